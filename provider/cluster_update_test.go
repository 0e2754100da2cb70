package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// nullModel is a kafka_cluster with every value null and typed.
func nullModel(name string) clusterModel {
	m := clusterModel{
		ID: types.StringValue(name), Name: types.StringValue(name),
		ServerProperties: types.MapNull(types.StringType),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "update": types.StringType, "delete": types.StringType,
		})},
		BrokerAddresses: types.ListNull(types.StringType), BrokerDNS: types.ListNull(types.StringType),
	}
	for _, g := range groups {
		*m.group(g) = types.ObjectNull(groupAttrTypes(g))
	}
	return m
}

// updateStandIn is a scheduler stand-in for kafka_cluster's Update: GET
// /v1/services/events answers getOptions with config id getID, and every
// PUT goes to put, which records it. The stand-in answers only these calls,
// since the read-modify-write contract is what the tests check.
type updateStandIn struct {
	getID, getOptions string
	// getStatus is the deploy plan's status GET answers ("" is COMPLETE);
	// a read of the deploy plan answers it once and then COMPLETE, as a
	// roll that ends.
	getStatus  string
	planWaits  atomic.Int32
	put        func(n int, ifMatch string, body []byte) (status int, answer string)
	puts       atomic.Int32
	getsDuring []string // the statuses GET answered, in order
}

func (s *updateStandIn) serve(t *testing.T) *api.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/services/events":
			status := s.getStatus
			if status == "" {
				status = "COMPLETE"
			}
			s.getsDuring = append(s.getsDuring, status)
			w.Header().Set("ETag", `"`+s.getID+`"`)
			fmt.Fprintf(w, `{"name":"events","config_id":%q,"status":%q,"options":%s}`, s.getID, status, s.getOptions)
		case r.Method == http.MethodGet && r.URL.Path == "/service/events/v1/plans/deploy":
			s.planWaits.Add(1)
			status := s.getStatus
			s.getStatus = ""
			if status == "" {
				status = "COMPLETE"
			}
			code := http.StatusOK
			if status != "COMPLETE" {
				code = http.StatusAccepted
			}
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"status":%q,"phases":[]}`, status)
		case r.Method == http.MethodPut && r.URL.Path == "/v1/services/events":
			body, _ := io.ReadAll(r.Body)
			status, answer := s.put(int(s.puts.Add(1)), r.Header.Get("If-Match"), body)
			w.WriteHeader(status)
			w.Write([]byte(answer)) //nolint:errcheck
		default:
			http.Error(w, `{"message":"unexpected call"}`, http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	client, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// runMemUpdate runs kafka_cluster's Update of brokers.mem 1024 → 2048 from
// a state whose config id is old-id.
func runMemUpdate(t *testing.T, client *api.Client) resource.UpdateResponse {
	t.Helper()
	r := &clusterResource{sched: &schedulerClient{Client: client, pollInterval: defaultPollInterval}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	schema := clusterResourceSchema(ctx)
	state := nullModel("events")
	state.ConfigID = types.StringValue("old-id")
	mem := func(v float64) types.Object {
		s := emptySettings()
		s.values["brokers.mem"] = types.Float64Value(v)
		m := nullModel("events")
		if diags := m.setSettings(s); diags.HasError() {
			t.Fatal(diags)
		}
		return m.Brokers
	}
	state.Brokers = mem(1024)
	plan := state
	plan.Brokers = mem(2048)
	plan.ConfigID = types.StringUnknown()

	toPlan := func(m clusterModel) tfsdk.Plan {
		p := tfsdk.Plan{Schema: schema}
		if diags := p.Set(ctx, &m); diags.HasError() {
			t.Fatal(diags)
		}
		return p
	}
	st := tfsdk.State{Schema: schema}
	if diags := st.Set(ctx, &state); diags.HasError() {
		t.Fatal(diags)
	}
	cfgModel := plan
	cfgModel.ID, cfgModel.ConfigID = types.StringNull(), types.StringNull()
	cfgPlan := toPlan(cfgModel)
	req := resource.UpdateRequest{Plan: toPlan(plan), State: st, Config: tfsdk.Config{Schema: schema, Raw: cfgPlan.Raw}}
	resp := resource.UpdateResponse{State: tfsdk.State{Schema: schema, Raw: req.Plan.Raw}}
	r.Update(ctx, req, &resp)
	return resp
}

const preconditionFailed = `{"message":"the target configuration is new-id, not old-id"}`

// TestUpdateRefusedByIfMatchSaysToPlanAgain: an update whose cluster had a
// setting kafka_cluster manages changed since the plan sends nothing and
// tells the user the cluster changed outside Terraform, naming both
// configurations and the change.
func TestUpdateRefusedByIfMatchSaysToPlanAgain(t *testing.T) {
	s := &updateStandIn{getID: "new-id", getOptions: `{"brokers":{"mem":4096}}`,
		put: func(int, string, []byte) (int, string) { return http.StatusPreconditionFailed, preconditionFailed }}
	resp := runMemUpdate(t, s.serve(t))
	if !resp.Diagnostics.HasError() {
		t.Fatal("a managed setting changed outside Terraform must fail the update")
	}
	d := resp.Diagnostics.Errors()[0]
	if d.Summary() != "Cluster changed outside Terraform" || !strings.Contains(d.Detail(), "run terraform plan again") ||
		!strings.Contains(d.Detail(), "new-id") || !strings.Contains(d.Detail(), "old-id") || !strings.Contains(d.Detail(), "brokers.mem: 1024 → 4096") {
		t.Errorf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
	if n := s.puts.Load(); n != 0 {
		t.Errorf("%d PUTs, want none", n)
	}
}

// TestUpdateKeepsTheSecretsOfBindings: kafka_cluster does not manage
// service.secrets (kafka_secret_binding does), so an update sends the
// entries the scheduler has, and a target that moved on only in them (a
// binding changed it after the plan) is no change outside Terraform: the
// update goes to the new target. A 412 between the read and the write
// (a binding wrote just then) starts the read-modify-write again.
func TestUpdateKeepsTheSecretsOfBindings(t *testing.T) {
	const entries = `[{"env_key":"SASL_PASSWORD","secret":"events/sasl"},{"file":"secrets/ks.jks","secret":"events/__dcos_base64__ks"}]`
	var ifMatches []string
	s := &updateStandIn{getID: "new-id", getOptions: `{"service":{"name":"events","secrets":` + entries + `},"brokers":{"mem":1024}}`}
	s.put = func(n int, ifMatch string, body []byte) (int, string) {
		ifMatches = append(ifMatches, ifMatch)
		var sent struct {
			Service struct {
				Secrets json.RawMessage `json:"secrets"`
			} `json:"service"`
			Brokers struct {
				Mem float64 `json:"mem"`
			} `json:"brokers"`
		}
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Errorf("PUT body %s: %v", body, err)
		}
		if got := squash(string(sent.Service.Secrets)); got != entries {
			t.Errorf("PUT %d sent service.secrets %s, want the scheduler's %s", n, got, entries)
		}
		if sent.Brokers.Mem != 2048 {
			t.Errorf("PUT %d sent brokers.mem %v, want the planned 2048", n, sent.Brokers.Mem)
		}
		if n == 1 {
			s.getID = "newer-id" // a binding wrote between the read and the write
			return http.StatusPreconditionFailed, preconditionFailed
		}
		return http.StatusOK, `{"name":"events","config_id":"next-id"}`
	}
	resp := runMemUpdate(t, s.serve(t))
	if want := []string{`"new-id"`, `"newer-id"`}; !slices.Equal(ifMatches, want) {
		t.Errorf("If-Match of the PUTs = %v, want %v", ifMatches, want)
	}
	// The stand-in has no plans, so the wait after the accepted PUT fails;
	// what matters here is that the update was sent.
	for _, d := range resp.Diagnostics.Errors() {
		if d.Summary() == "Cluster changed outside Terraform" {
			t.Errorf("a change of service.secrets alone must not stop the update: %s", d.Detail())
		}
	}
}

func TestWithSecretsOfCopiesOnlyTheEntries(t *testing.T) {
	sent := json.RawMessage(`{"brokers":{"mem":2048},"service":{"user":"nobody"}}`)
	got, err := withSecretsOf(sent, json.RawMessage(`{"brokers":{"mem":1024},"service":{"user":"root","secrets":[{"secret":"a","file":"f"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"brokers":{"mem":2048},"service":{"secrets":[{"file":"f","secret":"a"}],"user":"nobody"}}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	same, err := withSecretsOf(sent, json.RawMessage(`{"service":{"secrets":[]}}`))
	if err != nil || string(same) != string(sent) {
		t.Errorf("no entries must leave the options as sent: %s %v", same, err)
	}
}
