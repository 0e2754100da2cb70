package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

func TestProviderServesItsSchema(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, resp.Diagnostics)
	}
	attrs := map[string]*tfprotov6.SchemaAttribute{}
	for _, a := range resp.Provider.Block.Attributes {
		attrs[a.Name] = a
	}
	for _, name := range []string{"endpoint", "token", "ca_cert_pem", "insecure_skip_verify", "request_timeout", "max_retries"} {
		if attrs[name] == nil {
			t.Errorf("provider schema lacks %q", name)
		}
	}
	if attrs["token"] != nil && !attrs["token"].Sensitive {
		t.Error("token must be sensitive")
	}
	if resp.ResourceSchemas["kafka_cluster"] == nil || resp.DataSourceSchemas["kafka_cluster"] == nil {
		t.Errorf("the provider must serve the kafka_cluster resource and data source, got %v / %v", keys(resp.ResourceSchemas), keys(resp.DataSourceSchemas))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestClientConfigSettings(t *testing.T) {
	for _, env := range []string{EnvEndpoint, EnvToken, EnvInsecureSkipVerify, EnvCACertPEM, EnvRequestTimeout, EnvMaxRetries} {
		t.Setenv(env, "")
	}
	t.Setenv(EnvEndpoint, "https://from-env:8443/")
	t.Setenv(EnvToken, "env-token")
	t.Setenv(EnvRequestTimeout, "45s")
	t.Setenv(EnvMaxRetries, "2")

	fromEnv, diags := clientConfig(providerModel{}, "1.0")
	if diags.HasError() {
		t.Fatalf("env settings: %v", diags)
	}
	if fromEnv.Endpoint != "https://from-env:8443/" || fromEnv.Token != "env-token" || fromEnv.RequestTimeout != 45*time.Second || fromEnv.MaxRetries != 2 {
		t.Errorf("env settings gave %+v", fromEnv)
	}
	if fromEnv.UserAgent != "terraform-provider-kafka/1.0" {
		t.Errorf("user agent %q", fromEnv.UserAgent)
	}

	configured, diags := clientConfig(providerModel{
		Endpoint: types.StringValue("http://127.0.0.1:8080"), Token: types.StringValue("cfg"),
		RequestTimeout: types.StringValue("2m"), MaxRetries: types.Int64Value(0),
	}, "1.0")
	if diags.HasError() || configured.Endpoint != "http://127.0.0.1:8080" || configured.Token != "cfg" || configured.RequestTimeout != 2*time.Minute {
		t.Errorf("configuration must win over the environment: %+v %v", configured, diags)
	}
	if configured.MaxRetries != -1 {
		t.Errorf("max_retries = 0 must turn retries off (the client's -1), got %d", configured.MaxRetries)
	}

	cases := map[string]providerModel{
		"positive duration": {Endpoint: types.StringValue("http://x"), RequestTimeout: types.StringValue("soon")},
		"from 0 to 100":     {Endpoint: types.StringValue("http://x"), MaxRetries: types.Int64Value(-3)},
	}
	for want, model := range cases {
		_, diags := clientConfig(model, "test")
		if !diags.HasError() || !strings.Contains(diagText(diags), want) {
			t.Errorf("%+v: diagnostics %v do not say %q", model, diags, want)
		}
	}

	t.Setenv(EnvEndpoint, "")
	if _, diags := clientConfig(providerModel{}, "test"); !strings.Contains(diagText(diags), EnvEndpoint) {
		t.Errorf("a missing endpoint must name %s: %v", EnvEndpoint, diags)
	}
	t.Setenv(EnvEndpoint, "http://x")
	t.Setenv(EnvInsecureSkipVerify, "maybe")
	if _, diags := clientConfig(providerModel{}, "test"); !strings.Contains(diagText(diags), "must be true or false") {
		t.Errorf("a bad %s must be refused: %v", EnvInsecureSkipVerify, diags)
	}
	t.Setenv(EnvInsecureSkipVerify, "")
	t.Setenv(EnvMaxRetries, "lots")
	if _, diags := clientConfig(providerModel{}, "test"); !strings.Contains(diagText(diags), EnvMaxRetries) {
		t.Errorf("a bad %s must be refused: %v", EnvMaxRetries, diags)
	}
}

func TestUnknownSettingsAreNoticed(t *testing.T) {
	if (providerModel{Endpoint: types.StringValue("http://x")}).anyUnknown() {
		t.Error("known settings reported unknown")
	}
	for _, m := range []providerModel{{Endpoint: types.StringUnknown()}, {Token: types.StringUnknown()}, {MaxRetries: types.Int64Unknown()}} {
		if !m.anyUnknown() {
			t.Errorf("%+v: an unknown setting was not noticed", m)
		}
	}
}

func diagText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags.Errors() {
		b.WriteString(d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}
