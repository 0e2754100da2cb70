// Package provider implements the Terraform provider for Kafka services run
// by kafka-scheduler. It owns the provider schema and configuration, and
// the resources and data sources, each in its own file with its model; all
// of them talk to the scheduler only through the typed client of package
// api (scheduler/api), never with hand-rolled HTTP.
package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// Address is the provider's registry source address.
const Address = "registry.terraform.io/kafka-on-mesos/kafka"

// Environment variables that supply provider settings left out of the
// configuration. `kafka-scheduler dev start` prints the first two.
const (
	EnvEndpoint           = "KAFKA_SCHEDULER_ENDPOINT"
	EnvToken              = "KAFKA_SCHEDULER_TOKEN"
	EnvCACertPEM          = "KAFKA_SCHEDULER_CA_CERT_PEM"
	EnvInsecureSkipVerify = "KAFKA_SCHEDULER_INSECURE_SKIP_VERIFY"
	EnvRequestTimeout     = "KAFKA_SCHEDULER_REQUEST_TIMEOUT"
	EnvMaxRetries         = "KAFKA_SCHEDULER_MAX_RETRIES"
)

// New returns a constructor for the provider at the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &kafkaProvider{version: version} }
}

type kafkaProvider struct {
	version string
}

// providerModel is the provider block of a configuration.
type providerModel struct {
	Endpoint           types.String `tfsdk:"endpoint"`
	Token              types.String `tfsdk:"token"`
	CACertPEM          types.String `tfsdk:"ca_cert_pem"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	RequestTimeout     types.String `tfsdk:"request_timeout"`
	MaxRetries         types.Int64  `tfsdk:"max_retries"`
}

// schedulerClient is what Configure hands to resources and data sources.
// Client is nil when the endpoint is not known yet (see unknownEndpoint).
type schedulerClient struct {
	Client *api.Client
	// pollInterval is how often waits read a plan.
	pollInterval time.Duration
	// topics is the instance's topic cache and request limit (topics_cache.go).
	topics *topicCache
}

// unknownEndpoint is the detail of every diagnostic about a provider whose
// endpoint is not known yet.
const unknownEndpoint = "The provider's endpoint (or another of its settings) depends on a value that is only known after apply, " +
	"for example a scheduler created in the same configuration. Terraform plans the clusters without asking the scheduler, " +
	"and the apply talks to it once the value is known."

func (p *kafkaProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "kafka"
	resp.Version = p.version
}

func (p *kafkaProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manages Apache Kafka services run on Apache Mesos by kafka-scheduler, through the scheduler's REST API.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				Description: "Base URL of the kafka-scheduler REST API, for example `http://127.0.0.1:8080`. " +
					"May also be set with the `" + EnvEndpoint + "` environment variable. " +
					"A value known only after apply (a scheduler created in the same configuration) is allowed: " +
					"plans then skip the scheduler's preview.",
				Optional: true,
			},
			"token": schema.StringAttribute{
				Description: "API token, sent as `Authorization: token=<token>`. " +
					"May also be set with the `" + EnvToken + "` environment variable.",
				Optional:  true,
				Sensitive: true,
			},
			"ca_cert_pem": schema.StringAttribute{
				Description: "PEM-encoded CA certificate(s) to trust for an HTTPS endpoint, instead of the system roots. " +
					"May also be set with the `" + EnvCACertPEM + "` environment variable.",
				Optional: true,
			},
			"insecure_skip_verify": schema.BoolAttribute{
				Description: "Skip TLS certificate verification of the scheduler. For development only. " +
					"May also be set with the `" + EnvInsecureSkipVerify + "` environment variable (`true`/`false`).",
				Optional: true,
			},
			"request_timeout": schema.StringAttribute{
				Description: "How long one attempt of an API call may take, as a Go duration such as `30s` (default `30s`). " +
					"Waits for the scheduler's plans are bounded by each resource's `timeouts` instead. " +
					"May also be set with the `" + EnvRequestTimeout + "` environment variable.",
				Optional: true,
			},
			"max_retries": schema.Int64Attribute{
				Description: "How often an API call is tried again after a connection error, a 429 or a 503 " +
					"(and other 5xx answers for calls that are safe to repeat), with jittered doubling backoff " +
					"that honours `Retry-After` (default 4; 0 turns retries off). " +
					"May also be set with the `" + EnvMaxRetries + "` environment variable.",
				Optional: true,
			},
		},
	}
}

func (p *kafkaProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if config.anyUnknown() {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
			return
		}
		// Without deferral support the resources plan without the
		// scheduler; Terraform configures the provider again for the apply.
		data := &schedulerClient{pollInterval: defaultPollInterval, topics: newTopicCache()}
		resp.ResourceData, resp.DataSourceData = data, data
		return
	}
	cfg, diags := clientConfig(config, p.version)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	client, err := api.NewClient(cfg)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Invalid scheduler settings", err.Error())
		return
	}
	data := &schedulerClient{Client: client, pollInterval: defaultPollInterval, topics: newTopicCache()}
	resp.ResourceData, resp.DataSourceData = data, data
}

// defaultPollInterval is how often waits read the scheduler's plans.
const defaultPollInterval = 500 * time.Millisecond

func (p *kafkaProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewClusterResource, NewTopicResource, NewSecretBindingResource}
}

func (p *kafkaProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewClusterDataSource, NewTopicDataSource, NewTopicsDataSource}
}

// anyUnknown is true when a setting depends on a value known only after
// apply.
func (m providerModel) anyUnknown() bool {
	return m.Endpoint.IsUnknown() || m.Token.IsUnknown() || m.CACertPEM.IsUnknown() ||
		m.InsecureSkipVerify.IsUnknown() || m.RequestTimeout.IsUnknown() || m.MaxRetries.IsUnknown()
}

// clientConfig resolves the provider settings (configuration first, then
// environment) into the API client's configuration, reporting every
// problem at once.
func clientConfig(config providerModel, version string) (api.ClientConfig, diag.Diagnostics) {
	var diags diag.Diagnostics
	cfg := api.ClientConfig{
		Endpoint:  stringSetting(config.Endpoint, EnvEndpoint),
		Token:     stringSetting(config.Token, EnvToken),
		CACertPEM: stringSetting(config.CACertPEM, EnvCACertPEM),
		UserAgent: "terraform-provider-kafka/" + version,
	}
	if cfg.Endpoint == "" {
		diags.AddAttributeError(path.Root("endpoint"), "No scheduler endpoint",
			"Set endpoint in the provider block or the "+EnvEndpoint+" environment variable to the kafka-scheduler API URL, "+
				"for example http://127.0.0.1:8080 (`kafka-scheduler dev start` prints it).")
	}

	switch {
	case !config.InsecureSkipVerify.IsNull():
		cfg.InsecureSkipVerify = config.InsecureSkipVerify.ValueBool()
	case os.Getenv(EnvInsecureSkipVerify) != "":
		v, err := strconv.ParseBool(os.Getenv(EnvInsecureSkipVerify))
		if err != nil {
			diags.AddAttributeError(path.Root("insecure_skip_verify"), "Invalid "+EnvInsecureSkipVerify,
				fmt.Sprintf("%s must be true or false, got %q.", EnvInsecureSkipVerify, os.Getenv(EnvInsecureSkipVerify)))
		}
		cfg.InsecureSkipVerify = v
	}

	if raw := stringSetting(config.RequestTimeout, EnvRequestTimeout); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout",
				fmt.Sprintf("request_timeout must be a positive duration such as 30s or 2m, got %q.", raw))
		}
		cfg.RequestTimeout = d
	}

	retries := int64(-1) // unset: the client's default
	switch {
	case !config.MaxRetries.IsNull():
		retries = config.MaxRetries.ValueInt64()
	case os.Getenv(EnvMaxRetries) != "":
		n, err := strconv.ParseInt(os.Getenv(EnvMaxRetries), 10, 64)
		if err != nil {
			n = -2
		}
		retries = n
	}
	switch {
	case retries == -1:
	case retries < 0 || retries > 100:
		diags.AddAttributeError(path.Root("max_retries"), "Invalid max_retries",
			fmt.Sprintf("max_retries must be a whole number from 0 to 100 (from the configuration or %s).", EnvMaxRetries))
	case retries == 0:
		cfg.MaxRetries = -1 // the client's "none"
	default:
		cfg.MaxRetries = int(retries)
	}
	return cfg, diags
}

// stringSetting returns the configured value, or the environment variable
// when the attribute is not set.
func stringSetting(v types.String, env string) string {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

// client returns the API client, or an error diagnostic when the provider
// could not be configured with a known endpoint. Plans check Client for
// nil themselves and skip the scheduler instead.
func (s *schedulerClient) client() (*api.Client, diag.Diagnostics) {
	var diags diag.Diagnostics
	if s == nil {
		diags.AddError("Provider not configured", "The kafka provider was not configured; this is a bug in the provider.")
		return nil, diags
	}
	if s.Client == nil {
		diags.AddError("Scheduler endpoint unknown", unknownEndpoint+" This operation needs the scheduler now.")
		return nil, diags
	}
	return s.Client, diags
}
