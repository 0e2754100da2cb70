package provider

import (
	"context"
	"strings"
	"testing"

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
	for _, name := range []string{"endpoint", "token", "ca_cert_pem", "insecure_skip_verify"} {
		if attrs[name] == nil {
			t.Errorf("provider schema lacks %q", name)
		}
	}
	if attrs["token"] != nil && !attrs["token"].Sensitive {
		t.Error("token must be sensitive")
	}
}

func TestNewSchedulerSettings(t *testing.T) {
	t.Setenv(EnvEndpoint, "https://from-env:8443/")
	t.Setenv(EnvToken, "env-token")
	t.Setenv(EnvInsecureSkipVerify, "")
	t.Setenv(EnvCACertPEM, "")

	fromEnv, diags := newScheduler(providerModel{})
	if diags.HasError() {
		t.Fatalf("env settings: %v", diags)
	}
	if fromEnv.Endpoint.String() != "https://from-env:8443" || fromEnv.Token != "env-token" {
		t.Errorf("env settings gave %s / token %q", fromEnv.Endpoint, fromEnv.Token)
	}

	configured, diags := newScheduler(providerModel{Endpoint: types.StringValue("http://127.0.0.1:8080"), Token: types.StringValue("cfg")})
	if diags.HasError() || configured.Endpoint.Host != "127.0.0.1:8080" || configured.Token != "cfg" {
		t.Errorf("configuration must win over the environment: %v %v", configured, diags)
	}

	cases := map[string]providerModel{
		"must start with http": {Endpoint: types.StringValue("ftp://x")},
		"holds no PEM":         {Endpoint: types.StringValue("http://x"), CACertPEM: types.StringValue("not a cert")},
		"is not known until":   {Endpoint: types.StringUnknown()},
	}
	for want, model := range cases {
		_, diags := newScheduler(model)
		if !diags.HasError() || !strings.Contains(diagText(diags), want) {
			t.Errorf("%+v: diagnostics %v do not say %q", model, diags, want)
		}
	}

	t.Setenv(EnvEndpoint, "")
	if _, diags := newScheduler(providerModel{}); !strings.Contains(diagText(diags), EnvEndpoint) {
		t.Errorf("a missing endpoint must name %s: %v", EnvEndpoint, diags)
	}
	t.Setenv(EnvEndpoint, "http://x")
	t.Setenv(EnvInsecureSkipVerify, "maybe")
	if _, diags := newScheduler(providerModel{}); !strings.Contains(diagText(diags), "must be true or false") {
		t.Errorf("a bad %s must be refused: %v", EnvInsecureSkipVerify, diags)
	}
}

func diagText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags.Errors() {
		b.WriteString(d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}
