package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

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

// TestUpdateRefusedByIfMatchSaysToPlanAgain: an update whose If-Match no
// longer matches (the scheduler answers 412) sends nothing else and tells
// the user the cluster changed outside Terraform. The scheduler here is a
// stand-in answering only that PUT, since the 412 is the contract under
// test.
func TestUpdateRefusedByIfMatchSaysToPlanAgain(t *testing.T) {
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/v1/services/events" {
			http.Error(w, `{"message":"unexpected call"}`, http.StatusInternalServerError)
			return
		}
		puts.Add(1)
		if got := r.Header.Get("If-Match"); got != `"old-id"` {
			t.Errorf("If-Match = %q, want the state's config id", got)
		}
		w.Header().Set("ETag", `"new-id"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusPreconditionFailed)
		w.Write([]byte(`{"message":"the target configuration is new-id, not old-id"}`)) //nolint:errcheck
	}))
	defer srv.Close()
	client, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := &clusterResource{sched: &schedulerClient{Client: client, pollInterval: defaultPollInterval}}

	ctx := context.Background()
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

	if !resp.Diagnostics.HasError() {
		t.Fatal("a 412 must fail the update")
	}
	d := resp.Diagnostics.Errors()[0]
	if d.Summary() != "Cluster changed outside Terraform" || !strings.Contains(d.Detail(), "run terraform plan again") ||
		!strings.Contains(d.Detail(), "new-id") || !strings.Contains(d.Detail(), "old-id") {
		t.Errorf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
	if n := puts.Load(); n != 1 {
		t.Errorf("%d PUTs, want exactly one (a 412 is not retried)", n)
	}
}
