// Package provider implements the Terraform provider for Kafka services run by
// kafka-scheduler. It owns the provider schema and configuration, and the
// resources that drive the scheduler's REST API.
package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Address is the provider's registry source address.
const Address = "registry.terraform.io/kafka-on-mesos/kafka"

// Environment variables that supply provider settings left out of the
// configuration.
const (
	EnvEndpoint           = "KAFKA_SCHEDULER_ENDPOINT"
	EnvToken              = "KAFKA_SCHEDULER_TOKEN"
	EnvCACertPEM          = "KAFKA_SCHEDULER_CA_CERT_PEM"
	EnvInsecureSkipVerify = "KAFKA_SCHEDULER_INSECURE_SKIP_VERIFY"
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
}

// Scheduler is what Configure hands to resources and data sources: where
// the scheduler's API is and how to reach it.
type Scheduler struct {
	Endpoint   *url.URL
	Token      string
	HTTPClient *http.Client
}

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
					"May also be set with the `" + EnvEndpoint + "` environment variable.",
				Optional: true,
			},
			"token": schema.StringAttribute{
				Description: "API token sent as `Authorization: token=<token>`. " +
					"May also be set with the `" + EnvToken + "` environment variable.",
				Optional:  true,
				Sensitive: true,
			},
			"ca_cert_pem": schema.StringAttribute{
				Description: "PEM-encoded CA certificate(s) to trust for an HTTPS endpoint, in addition to the system roots. " +
					"May also be set with the `" + EnvCACertPEM + "` environment variable.",
				Optional: true,
			},
			"insecure_skip_verify": schema.BoolAttribute{
				Description: "Skip TLS certificate verification of the scheduler. For development only. " +
					"May also be set with the `" + EnvInsecureSkipVerify + "` environment variable (`true`/`false`).",
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
	scheduler, diags := newScheduler(config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.ResourceData = scheduler
	resp.DataSourceData = scheduler
}

func (p *kafkaProvider) Resources(context.Context) []func() resource.Resource {
	return nil
}

func (p *kafkaProvider) DataSources(context.Context) []func() datasource.DataSource {
	return nil
}

// newScheduler resolves the provider settings (configuration first, then
// environment) into a Scheduler, reporting every problem at once.
func newScheduler(config providerModel) (*Scheduler, diag.Diagnostics) {
	var diags diag.Diagnostics
	if config.Endpoint.IsUnknown() {
		diags.AddAttributeError(path.Root("endpoint"), "Unknown scheduler endpoint",
			"The endpoint depends on a value that is not known until apply. Set it to a known value, or use the "+EnvEndpoint+" environment variable.")
		return nil, diags
	}

	rawEndpoint := stringSetting(config.Endpoint, EnvEndpoint)
	endpoint, err := parseEndpoint(rawEndpoint)
	if err != nil {
		diags.AddAttributeError(path.Root("endpoint"), "Invalid scheduler endpoint", err.Error())
	}

	insecure := false
	switch {
	case !config.InsecureSkipVerify.IsNull() && !config.InsecureSkipVerify.IsUnknown():
		insecure = config.InsecureSkipVerify.ValueBool()
	case os.Getenv(EnvInsecureSkipVerify) != "":
		insecure, err = strconv.ParseBool(os.Getenv(EnvInsecureSkipVerify))
		if err != nil {
			diags.AddAttributeError(path.Root("insecure_skip_verify"), "Invalid "+EnvInsecureSkipVerify,
				fmt.Sprintf("%s must be true or false, got %q.", EnvInsecureSkipVerify, os.Getenv(EnvInsecureSkipVerify)))
		}
	}

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // opt-in, documented as development only
	if caPEM := stringSetting(config.CACertPEM, EnvCACertPEM); caPEM != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(caPEM)) {
			diags.AddAttributeError(path.Root("ca_cert_pem"), "Invalid CA certificate",
				"ca_cert_pem holds no PEM-encoded certificate. Paste the CA certificate including its BEGIN/END CERTIFICATE lines.")
		}
		tlsConfig.RootCAs = pool
	}
	if diags.HasError() {
		return nil, diags
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	return &Scheduler{
		Endpoint:   endpoint,
		Token:      stringSetting(config.Token, EnvToken),
		HTTPClient: &http.Client{Transport: transport, Timeout: 60 * time.Second},
	}, diags
}

// stringSetting returns the configured value, or the environment variable
// when the attribute is not set.
func stringSetting(v types.String, env string) string {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

func parseEndpoint(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("no scheduler endpoint is configured: set endpoint in the provider block or the %s environment variable, for example http://127.0.0.1:8080", EnvEndpoint)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q is not a URL: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("endpoint %q must start with http:// or https://", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("endpoint %q has no host", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}
