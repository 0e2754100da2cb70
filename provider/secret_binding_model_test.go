package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

func TestSecretFileMustStayInTheSandbox(t *testing.T) {
	for _, ok := range []string{"secrets/keystore.jks", "ks.jks", "a/b/c", "a/.hidden", "a..b/c"} {
		if err := validateSecretFile(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for file, want := range map[string]string{
		"/etc/keystore.jks":   `absolute path: secret files are placed in the broker's sandbox, so the path must be relative to it, such as "etc/keystore.jks"`,
		"../keystore.jks":     `".." segment`,
		"secrets/../../x.jks": `".." segment`,
		"secrets/..":          `".." segment`,
		"./ks.jks":            `"." segment`,
		"":                    "file is empty",
		"secrets/":            "ends with a slash",
	} {
		err := validateSecretFile(file)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error with %q", file, err, want)
		}
	}
}

func TestEnvKeyIsAVariableName(t *testing.T) {
	for _, ok := range []string{"KAFKA_SASL_PASSWORD", "_x", "a1"} {
		if err := validateEnvKey(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1A", "A-B", "A B", "A=B"} {
		if err := validateEnvKey(bad); err == nil {
			t.Errorf("%q must be refused", bad)
		}
	}
}

// bindingConfig is a configuration of kafka_secret_binding with the given
// attributes set and every other one null.
func bindingConfig(cluster, secretPath string, set func(*secretBindingModel)) secretBindingModel {
	m := secretBindingModel{
		ID: types.StringNull(), Cluster: types.StringValue(cluster), Path: types.StringValue(secretPath),
		ValueWO: types.StringNull(), ValueWOVersion: types.Int64Null(), Binary: types.BoolNull(),
		File: types.StringNull(), EnvKey: types.StringValue("SASL"), SecretVersion: types.StringNull(),
	}
	if set != nil {
		set(&m)
	}
	return m
}

// TestPlanRefusesWhatTheClusterMayNotRead: the plan applies the scheduler's
// own namespace rule (package secrets) and quotes it.
func TestPlanRefusesWhatTheClusterMayNotRead(t *testing.T) {
	for _, ok := range [][2]string{
		{"kafka", "kafka/sasl"}, {"kafka", "sasl"}, {"prod/kafka", "prod/kafka/x"}, {"prod/kafka", "prod/x"},
	} {
		if diags := validateBinding(bindingConfig(ok[0], ok[1], nil)); diags.HasError() {
			t.Errorf("cluster %s, path %s: %s", ok[0], ok[1], diagText(diags))
		}
	}
	for _, bad := range []struct{ cluster, path, want string }{
		{"kafka", "other/sasl", `service /kafka may not read secret "other/sasl": the secret is in namespace "other"`},
		{"kafka2", "kafka/sasl", `service /kafka2 may not read secret "kafka/sasl"`},
		{"prod/kafka", "prod/other/x", `only by services whose ID is at or below its namespace (here /prod/other and the services under it)`},
		{"kafka", "kafka/tls/x", `the secret is in namespace "kafka/tls"`},
	} {
		diags := validateBinding(bindingConfig(bad.cluster, bad.path, nil))
		if !diags.HasError() || diags.Errors()[0].Summary() != "The cluster may not read this secret" ||
			!strings.Contains(diags.Errors()[0].Detail(), bad.want) {
			t.Errorf("cluster %s, path %s: got %s, want the rule %q", bad.cluster, bad.path, diagText(diags), bad.want)
		}
	}
	// An unknown cluster (a kafka_cluster not created yet) still gets
	// its path checked.
	m := bindingConfig("", "/kafka/sasl", func(m *secretBindingModel) { m.Cluster = types.StringUnknown() })
	if diags := validateBinding(m); !diags.HasError() || !strings.Contains(diagText(diags), `absolute path`) {
		t.Errorf("an absolute secret path must be refused: %s", diagText(diags))
	}
}

func TestPlanChecksFileVariableAndBase64(t *testing.T) {
	value := base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff})
	cases := []struct {
		name string
		set  func(*secretBindingModel)
		want string // "" for no error
	}{
		{"absolute file", func(m *secretBindingModel) { m.EnvKey, m.File = types.StringNull(), types.StringValue("/tmp/ks") }, "absolute path"},
		{"file with ..", func(m *secretBindingModel) { m.EnvKey, m.File = types.StringNull(), types.StringValue("a/../../ks") }, `".." segment`},
		{"bad env key", func(m *secretBindingModel) { m.EnvKey = types.StringValue("A-B") }, "not an environment variable name"},
		{"binary without value", func(m *secretBindingModel) { m.Binary = types.BoolValue(true) }, "binary needs value_wo"},
		{"binary, not base64", func(m *secretBindingModel) {
			m.Binary, m.ValueWO, m.ValueWOVersion = types.BoolValue(true), types.StringValue("not base64!"), types.Int64Value(1)
		}, "value_wo is not base64"},
		{"binary, base64", func(m *secretBindingModel) {
			m.EnvKey, m.File = types.StringNull(), types.StringValue("ks")
			m.Binary, m.ValueWO, m.ValueWOVersion = types.BoolValue(true), types.StringValue(value), types.Int64Value(1)
		}, ""},
		{"binary, value unknown", func(m *secretBindingModel) {
			m.EnvKey, m.File = types.StringNull(), types.StringValue("ks")
			m.Binary, m.ValueWO, m.ValueWOVersion = types.BoolValue(true), types.StringUnknown(), types.Int64Value(1)
		}, ""},
		{"text", func(m *secretBindingModel) {
			m.ValueWO, m.ValueWOVersion = types.StringValue("pa ss!"), types.Int64Value(1)
		}, ""},
		{"binary as a variable", func(m *secretBindingModel) {
			m.Binary, m.ValueWO, m.ValueWOVersion = types.BoolValue(true), types.StringValue(value), types.Int64Value(1)
		}, "Binary secrets go to files"},
		{"empty text", func(m *secretBindingModel) { m.ValueWO, m.ValueWOVersion = types.StringValue(""), types.Int64Value(1) }, "Empty secret value"},
	}
	for _, c := range cases {
		diags := validateBinding(bindingConfig("kafka", "kafka/sasl", c.set))
		switch {
		case c.want == "" && diags.HasError():
			t.Errorf("%s: %s", c.name, diagText(diags))
		case c.want != "" && !strings.Contains(diagText(diags), c.want):
			t.Errorf("%s: got %q, want %q", c.name, diagText(diags), c.want)
		}
		if strings.Contains(diagText(diags), "not base64!") {
			t.Errorf("%s: a diagnostic shows the value", c.name)
		}
	}
	// Under a __dcos_base64__ path the value is base64 text without binary.
	m := bindingConfig("kafka", "kafka/__dcos_base64__ks", func(m *secretBindingModel) {
		m.ValueWO, m.ValueWOVersion = types.StringValue("%%%"), types.Int64Value(1)
	})
	if !strings.Contains(diagText(validateBinding(m)), "value_wo is not base64") {
		t.Error("a __dcos_base64__ path must take base64 only")
	}
}

func TestSecretPayloadDecodesBinaryValues(t *testing.T) {
	raw := []byte{0, 0xfe, 'x', 0xff}
	b64 := base64.StdEncoding.EncodeToString(raw)
	got, binary, err := secretPayload(b64, true, "kafka/ks")
	if err != nil || !binary || string(got) != string(raw) {
		t.Errorf("binary: %v %v %v", got, binary, err)
	}
	// The scheduler decodes a __dcos_base64__ value itself: send the text.
	got, binary, err = secretPayload(b64, true, "kafka/__dcos_base64__ks")
	if err != nil || binary || string(got) != b64 {
		t.Errorf("__dcos_base64__: %q %v %v", got, binary, err)
	}
	got, binary, err = secretPayload("text", false, "kafka/pw")
	if err != nil || binary || string(got) != "text" {
		t.Errorf("text: %q %v %v", got, binary, err)
	}
	if _, _, err := secretPayload("s3cr3t-not-base64", true, "kafka/ks"); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("a bad value must be an error that does not show it: %v", err)
	}
}

func TestSecretEntriesAreEditedInPlace(t *testing.T) {
	o, err := decodeOptions(json.RawMessage(`{"service":{"name":"kafka","secrets":[
		{"secret":"kafka/a","file":"secrets/a"},{"secret":"kafka/b","env_key":"B"}]},"brokers":{"cpus":0.5,"count":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if e, found, _ := o.findEntry("kafka/b"); !found || e.EnvKey != "B" {
		t.Errorf("findEntry: %+v %v", e, found)
	}
	if changed, err := o.setEntry(secretEntry{Secret: "kafka/b", EnvKey: "B"}); changed || err != nil {
		t.Errorf("setting an entry as it is must change nothing: %v %v", changed, err)
	}
	if _, err := o.setEntry(secretEntry{Secret: "kafka/c", File: "secrets/a"}); err == nil || !strings.Contains(err.Error(), `secret "kafka/a" already goes to file secrets/a`) {
		t.Errorf("a second secret for the same file must be refused: %v", err)
	}
	if changed, err := o.setEntry(secretEntry{Secret: "kafka/b", File: "secrets/b"}); !changed || err != nil {
		t.Errorf("changing an entry: %v %v", changed, err)
	}
	if changed, err := o.setEntry(secretEntry{Secret: "kafka/c", EnvKey: "C"}); !changed || err != nil {
		t.Errorf("adding an entry: %v %v", changed, err)
	}
	if changed, _ := o.removeEntry("kafka/a"); !changed {
		t.Error("removing an entry")
	}
	if changed, _ := o.removeEntry("kafka/zzz"); changed {
		t.Error("removing what is not there must change nothing")
	}
	want := `{"brokers":{"count":3,"cpus":0.5},"service":{"name":"kafka","secrets":[{"file":"secrets/b","secret":"kafka/b"},{"env_key":"C","secret":"kafka/c"}]}}`
	if got := string(o.encode()); got != want {
		t.Errorf("options\n got %s\nwant %s", got, want)
	}
	// Options without secrets get the list.
	o, _ = decodeOptions(json.RawMessage(`{"brokers":{"count":3}}`))
	o.setEntry(secretEntry{Secret: "s", EnvKey: "S"}) //nolint:errcheck
	if got := string(o.encode()); got != `{"brokers":{"count":3},"service":{"secrets":[{"env_key":"S","secret":"s"}]}}` {
		t.Errorf("first entry: %s", got)
	}
}

// TestClusterSettingsIgnoreSecrets: kafka_cluster reads only the settings
// it manages, so entries that bindings add never show as its drift.
func TestClusterSettingsIgnoreSecrets(t *testing.T) {
	base := `{"service":{"name":"x","user":"nobody"%s},"brokers":{"count":3,"mem":2048}}`
	without, err := settingsFromOptions([]byte(strings.Replace(base, "%s", "", 1)), emptySettings())
	if err != nil {
		t.Fatal(err)
	}
	with, err := settingsFromOptions([]byte(strings.Replace(base, "%s", `,"secrets":[{"secret":"x/a","env_key":"A"}]`, 1)), emptySettings())
	if err != nil {
		t.Fatal(err)
	}
	if changes := describeChanges(without, with); len(changes) > 0 {
		t.Errorf("service.secrets must not be a cluster setting: %v", changes)
	}
}

func TestImportCandidatesTryEverySplit(t *testing.T) {
	got := importCandidates("prod/kafka/prod/kafka/tls")
	want := [][2]string{{"prod", "kafka/prod/kafka/tls"}, {"prod/kafka", "prod/kafka/tls"}, {"prod/kafka/prod", "kafka/tls"}, {"prod/kafka/prod/kafka", "tls"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := importCandidates("kafka"); len(got) != 0 {
		t.Errorf("no slash: %v", got)
	}
	if got := importCandidates("/x/"); len(got) != 0 {
		t.Errorf("empty parts: %v", got)
	}
}

func TestWriteNeeded(t *testing.T) {
	state := bindingConfig("kafka", "kafka/pw", func(m *secretBindingModel) {
		m.ValueWOVersion, m.Binary, m.SecretVersion = types.Int64Value(1), types.BoolValue(false), types.StringValue("v1")
	})
	for _, c := range []struct {
		name    string
		plan    func(*secretBindingModel)
		written string
		want    write
	}{
		{"unchanged", nil, "v1", writeNone},
		{"file changed only", func(m *secretBindingModel) { m.EnvKey, m.File = types.StringNull(), types.StringValue("f") }, "v1", writeNone},
		{"version bump", func(m *secretBindingModel) { m.ValueWOVersion = types.Int64Value(2) }, "v1", writeVersion},
		{"binary changed", func(m *secretBindingModel) { m.Binary = types.BoolValue(true) }, "v1", writeBinary},
		{"written outside Terraform", nil, "v0", writeDrift},
		{"version dropped: no longer owned", func(m *secretBindingModel) { m.ValueWOVersion = types.Int64Null() }, "v0", writeNone},
		{"imported, then owned", nil, "", writeNone},
	} {
		plan := state
		if c.plan != nil {
			c.plan(&plan)
		}
		if got := writeNeeded(state, plan, c.written); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	imported := state
	imported.ValueWOVersion = types.Int64Null()
	if got := writeNeeded(imported, state, ""); got != writeVersion {
		t.Errorf("an imported binding given value_wo_version must write: %v", got)
	}
}

// TestEditSecretsStartsAgainAfterA412: the read-modify-write of a cluster's
// secrets sends with If-Match the config id it read, and reads again when
// someone changed the cluster in between.
func TestEditSecretsStartsAgainAfterA412(t *testing.T) {
	var ifMatches []string
	s := &updateStandIn{getID: "c1", getOptions: `{"service":{"name":"events"},"brokers":{"count":3}}`}
	s.put = func(n int, ifMatch string, body []byte) (int, string) {
		ifMatches = append(ifMatches, ifMatch)
		if !strings.Contains(string(body), `"secrets":[{"env_key":"PW","secret":"events/pw"}]`) || !strings.Contains(string(body), `"count":3`) {
			t.Errorf("PUT body %s", body)
		}
		if n == 1 {
			s.getID = "c2"
			return http.StatusPreconditionFailed, preconditionFailed
		}
		return http.StatusOK, `{"name":"events","config_id":"c3"}`
	}
	c := s.serve(t)
	put, changed, err := editSecrets(context.Background(), c, "events", time.Millisecond, func(o serviceOptions) (bool, error) {
		return o.setEntry(secretEntry{Secret: "events/pw", EnvKey: "PW"})
	})
	if err != nil || !changed || put.ConfigID != "c3" {
		t.Fatalf("editSecrets: %+v %v %v", put, changed, err)
	}
	if want := []string{`"c1"`, `"c2"`}; !slices.Equal(ifMatches, want) {
		t.Errorf("If-Match = %v, want %v", ifMatches, want)
	}
	// An edit that changes nothing sends nothing.
	_, changed, err = editSecrets(context.Background(), c, "events", time.Millisecond, func(serviceOptions) (bool, error) { return false, nil })
	if changed || err != nil || s.puts.Load() != 2 {
		t.Errorf("a no-op edit: %v %v, %d PUTs", changed, err, s.puts.Load())
	}
}

func TestSecretBindingSchemaKeepsTheValueOut(t *testing.T) {
	var resp resource.SchemaResponse
	(&secretBindingResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(diagText(resp.Diagnostics))
	}
	v := resp.Schema.Attributes["value_wo"]
	if !v.IsWriteOnly() || !v.IsSensitive() || v.IsComputed() {
		t.Errorf("value_wo must be write-only and sensitive, never computed: %+v", v)
	}
	for name, a := range resp.Schema.Attributes {
		if name != "value_wo" && a.IsWriteOnly() {
			t.Errorf("%s is write-only", name)
		}
	}
	if d := resp.Schema.ValidateImplementation(context.Background()); d.HasError() {
		t.Errorf("schema: %s", diagText(d))
	}
}

// readBinding runs kafka_secret_binding's Read of events/<secretPath>
// (text, owned, as file secrets/pw) against a stand-in whose service
// options are options and whose secret has version v2, and returns the
// state it leaves (nil when the binding was removed).
func readBinding(t *testing.T, options string) *secretBindingModel {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/services/events":
			fmt.Fprintf(w, `{"name":"events","config_id":"c1","status":"COMPLETE","options":%s}`, options)
		case "/v1/secrets/events/pw":
			w.Write([]byte(`{"path":"events/pw","version":"v2","binary":false,"used_by":["events"]}`)) //nolint:errcheck
		default:
			http.Error(w, `{"message":"unexpected call"}`, http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	client, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := &secretBindingResource{sched: &schedulerClient{Client: client, pollInterval: defaultPollInterval}}
	ctx := context.Background()
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	state := bindingConfig("events", "events/pw", func(m *secretBindingModel) {
		m.ID = types.StringValue("events/events/pw")
		m.EnvKey, m.File = types.StringNull(), types.StringValue("secrets/pw")
		m.ValueWOVersion, m.Binary, m.SecretVersion = types.Int64Value(1), types.BoolValue(false), types.StringValue("v1")
		m.Timeouts = timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "update": types.StringType, "delete": types.StringType,
		})}
	})
	st := tfsdk.State{Schema: sr.Schema}
	if diags := st.Set(ctx, &state); diags.HasError() {
		t.Fatal(diagText(diags))
	}
	resp := resource.ReadResponse{State: st}
	r.Read(ctx, resource.ReadRequest{State: st}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(diagText(resp.Diagnostics))
	}
	if resp.State.Raw.IsNull() {
		return nil
	}
	var out secretBindingModel
	if diags := resp.State.Get(ctx, &out); diags.HasError() {
		t.Fatal(diagText(diags))
	}
	return &out
}

// TestReadShowsDriftAndDropsRemovedEntries: a file changed outside
// Terraform reads back as it is (drift the plan shows), the secret's
// version as the store reports it, and an entry removed outside Terraform
// removes the binding from state.
func TestReadShowsDriftAndDropsRemovedEntries(t *testing.T) {
	got := readBinding(t, `{"service":{"name":"events","secrets":[{"secret":"events/other","env_key":"O"},{"secret":"events/pw","file":"secrets/moved"}]}}`)
	if got == nil {
		t.Fatal("a bound secret must stay in state")
	}
	if got.File.ValueString() != "secrets/moved" || !got.EnvKey.IsNull() || got.SecretVersion.ValueString() != "v2" || !got.ValueWO.IsNull() {
		t.Errorf("read: file %v, env_key %v, secret_version %v, value_wo %v", got.File, got.EnvKey, got.SecretVersion, got.ValueWO)
	}
	got = readBinding(t, `{"service":{"name":"events","secrets":[{"secret":"events/pw","env_key":"PW"}]}}`)
	if got == nil || got.EnvKey.ValueString() != "PW" || !got.File.IsNull() {
		t.Errorf("a file changed into a variable must read as one: %+v", got)
	}
	if got := readBinding(t, `{"service":{"name":"events","secrets":[{"secret":"events/other","env_key":"O"}]}}`); got != nil {
		t.Errorf("an entry removed outside Terraform must remove the binding: %+v", got)
	}
	if got := readBinding(t, `{"service":{"name":"events"}}`); got != nil {
		t.Errorf("no secrets at all must remove the binding: %+v", got)
	}
}

func TestShortSecretChanges(t *testing.T) {
	got := shortSecretChanges([]string{`service.secrets: [{"secret":"a","file":"x"}] → [{"secret":"a","file":"y"}]`, "secret:a: v1 → v2", "brokers.mem: 1 → 2"})
	if want := []string{"service.secrets", "secret:a: v1 → v2", "brokers.mem: 1 → 2"}; !slices.Equal(got, want) {
		t.Errorf("got %v", got)
	}
}

// TestUpdateThatCannotWriteKeepsTheOldVersion: when the write of a new
// value fails, the state keeps the old value_wo_version, so that the next
// apply tries the write again (the framework would otherwise save the
// plan's version as if it had been written).
func TestUpdateThatCannotWriteKeepsTheOldVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/services/events":
			w.Write([]byte(`{"name":"events","config_id":"c1","status":"COMPLETE","options":{"service":{"secrets":[{"secret":"events/pw","env_key":"PW"}]}}}`)) //nolint:errcheck
		case r.Method == http.MethodPut && r.URL.Path == "/v1/secrets/events/pw":
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			w.Write([]byte(`{"message":"the value is over 512 KiB"}`)) //nolint:errcheck
		default:
			http.Error(w, `{"message":"unexpected call"}`, http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	client, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := &secretBindingResource{sched: &schedulerClient{Client: client, pollInterval: defaultPollInterval}}
	ctx := context.Background()
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	model := func(version int64, secretVersion types.String) secretBindingModel {
		return bindingConfig("events", "events/pw", func(m *secretBindingModel) {
			m.ID, m.EnvKey = types.StringValue("events/events/pw"), types.StringValue("PW")
			m.ValueWOVersion, m.Binary, m.SecretVersion = types.Int64Value(version), types.BoolValue(false), secretVersion
			m.Timeouts = timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
				"create": types.StringType, "update": types.StringType, "delete": types.StringType,
			})}
		})
	}
	state, plan := model(1, types.StringValue("v1")), model(2, types.StringUnknown())
	config := plan
	config.ID, config.SecretVersion, config.ValueWO = types.StringNull(), types.StringNull(), types.StringValue("new value")
	st, pl, cf := tfsdk.State{Schema: sr.Schema}, tfsdk.Plan{Schema: sr.Schema}, tfsdk.Plan{Schema: sr.Schema}
	for _, d := range []diag.Diagnostics{st.Set(ctx, &state), pl.Set(ctx, &plan), cf.Set(ctx, &config)} {
		if d.HasError() {
			t.Fatal(diagText(d))
		}
	}
	req := resource.UpdateRequest{State: st, Plan: pl, Config: tfsdk.Config{Schema: sr.Schema, Raw: cf.Raw}}
	resp := resource.UpdateResponse{State: tfsdk.State{Schema: sr.Schema, Raw: pl.Raw}}
	r.Update(ctx, req, &resp)
	if !resp.Diagnostics.HasError() || !strings.Contains(diagText(resp.Diagnostics), "over 512 KiB") {
		t.Fatalf("a refused write must fail the update with the scheduler's reason: %s", diagText(resp.Diagnostics))
	}
	if strings.Contains(diagText(resp.Diagnostics), "new value") {
		t.Error("a diagnostic shows the value")
	}
	var saved secretBindingModel
	if d := resp.State.Get(ctx, &saved); d.HasError() {
		t.Fatal(diagText(d))
	}
	if saved.ValueWOVersion.ValueInt64() != 1 || saved.SecretVersion.ValueString() != "v1" {
		t.Errorf("the state must keep value_wo_version 1 and secret_version v1, got %v and %v", saved.ValueWOVersion, saved.SecretVersion)
	}
}

// TestEditSecretsWaitsForTheRunningRoll: options read while the cluster's
// deploy plan still runs are not changed; the edit waits for the plan and
// reads again, so that changes never pile onto a running roll.
func TestEditSecretsWaitsForTheRunningRoll(t *testing.T) {
	s := &updateStandIn{getID: "c1", getStatus: "IN_PROGRESS", getOptions: `{"service":{"name":"events"}}`}
	s.put = func(n int, ifMatch string, body []byte) (int, string) {
		return http.StatusOK, `{"name":"events","config_id":"c2"}`
	}
	c := s.serve(t)
	_, changed, err := editSecrets(context.Background(), c, "events", time.Millisecond, func(o serviceOptions) (bool, error) {
		return o.setEntry(secretEntry{Secret: "events/pw", EnvKey: "PW"})
	})
	if err != nil || !changed {
		t.Fatalf("editSecrets: %v %v", changed, err)
	}
	if want := []string{"IN_PROGRESS", "COMPLETE"}; !slices.Equal(s.getsDuring, want) || s.planWaits.Load() == 0 || s.puts.Load() != 1 {
		t.Errorf("reads saw %v, %d plan reads, %d PUTs: want a wait for the plan, a fresh read, then one PUT", s.getsDuring, s.planWaits.Load(), s.puts.Load())
	}
}
