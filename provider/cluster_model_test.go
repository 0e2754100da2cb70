package provider

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// emptySettings has every setting null.
func emptySettings() settings {
	s := settings{values: map[string]attr.Value{}, serverProperties: types.MapNull(types.StringType)}
	for _, l := range leaves {
		s.values[l.attr()] = nullOf(l.typ)
	}
	return s
}

func TestOptionsSendWhatIsConfiguredAndWhatThePlanKept(t *testing.T) {
	config, plan := emptySettings(), emptySettings()
	config.values["brokers.mem"] = types.Float64Value(1536)
	plan.values["brokers.mem"] = types.Float64Value(1536)
	plan.values["brokers.cpus"] = types.Float64Value(2)            // kept from state
	plan.values["brokers.count"] = types.Int64Unknown()            // left to the scheduler
	plan.values["health_check.grace_period"] = types.Int64Value(9) // a DC/OS name with a hyphen
	config.values["brokers.heap"] = types.Int64Value(768)          // brokers.heap.size
	config.serverProperties = types.MapValueMust(types.StringType, map[string]attr.Value{"log.retention.hours": types.StringValue("24")})

	options, unknown := optionsJSON(config, plan)
	if len(unknown) > 0 {
		t.Fatalf("unknown %v", unknown)
	}
	var got map[string]any
	if err := json.Unmarshal(options, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"brokers":{"cpus":2,"heap":{"size":768},"mem":1536},"kafka":{"server_properties":{"log.retention.hours":"24"}},"service":{"health_check":{"grace-period":9}}}`
	if string(options) != want {
		t.Errorf("options\n%s\nwant\n%s", options, want)
	}

	config.values["region"] = types.StringUnknown()
	config.serverProperties = types.MapValueMust(types.StringType, map[string]attr.Value{"a": types.StringUnknown()})
	if _, unknown := optionsJSON(config, plan); strings.Join(unknown, ",") != `region,server_properties["a"]` {
		t.Errorf("unknown configured values must be reported, got %v", unknown)
	}
}

func TestSettingsFromOptionsReadEveryLeaf(t *testing.T) {
	options := []byte(`{
	  "service": {"name": "x", "user": "nobody", "placement_constraint": "", "deploy_strategy": "serial", "region": "",
	              "readiness_check": {"interval": 5, "delay": 2, "timeout": 120},
	              "health_check": {"enabled": true, "method": "PORT", "interval": 60, "delay": 20, "timeout": 60,
	                               "grace-period": 30, "max-consecutive-failures": 3, "health-check-topic-prefix": "H"}},
	  "brokers": {"count": 3, "cpus": 0.5, "mem": 2048, "heap": {"size": 512}, "disk": 5000, "disk_type": "ROOT",
	              "disk_path": "d", "port": 0, "kill_grace_period": 30, "kafka_uri": "file:///k.tgz", "kafka_version_path": "kafka-dev"},
	  "kafka": {"num_partitions": 1, "server_properties": {"num.partitions": "3"}}
	}`)
	prior := emptySettings()
	prior.values["placement_constraint"] = types.StringValue("") // configured as ""
	s, err := settingsFromOptions(options, prior)
	if err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[string]attr.Value{
		"brokers.cpus":              types.Float64Value(0.5),
		"brokers.heap":              types.Int64Value(512),
		"brokers.count":             types.Int64Value(3),
		"health_check.enabled":      types.BoolValue(true),
		"health_check.grace_period": types.Int64Value(30),
		"health_check.topic_prefix": types.StringValue("H"),
		"readiness_check.delay":     types.Int64Value(2),
		"placement_constraint":      types.StringValue(""), // prior had ""
		"region":                    types.StringNull(),    // "" with no prior: unset
		"brokers.java_uri":          types.StringNull(),    // absent
		"placement_strategy":        types.StringNull(),
		"update_strategy":           types.StringNull(),
	} {
		if got := s.values[attr]; !got.Equal(want) {
			t.Errorf("%s = %v, want %v", attr, got, want)
		}
	}
	if want := types.MapValueMust(types.StringType, map[string]attr.Value{"num.partitions": types.StringValue("3")}); !s.serverProperties.Equal(want) {
		t.Errorf("server_properties = %v", s.serverProperties)
	}
	if _, err := settingsFromOptions([]byte(`{"brokers": {"count": "three"}}`), prior); err == nil || !strings.Contains(err.Error(), "brokers.count") {
		t.Errorf("a mistyped option must be an error naming it: %v", err)
	}
}

func TestDescribeChangesListsSettingsAndHidesSecrets(t *testing.T) {
	state, plan := emptySettings(), emptySettings()
	state.values["brokers.mem"], plan.values["brokers.mem"] = types.Float64Value(2048), types.Float64Value(3072.5)
	state.values["brokers.cpus"], plan.values["brokers.cpus"] = types.Float64Value(1), types.Float64Unknown()
	state.serverProperties = types.MapValueMust(types.StringType, map[string]attr.Value{
		"ssl.key.password": types.StringValue("old-secret"), "num.partitions": types.StringValue("1"), "gone": types.StringValue("x"),
	})
	plan.serverProperties = types.MapValueMust(types.StringType, map[string]attr.Value{
		"ssl.key.password": types.StringValue("new-secret"), "num.partitions": types.StringValue("1"), "added": types.StringValue("y"),
	})
	got := strings.Join(describeChanges(state, plan), "\n")
	want := strings.Join([]string{
		"brokers.mem: 2048 → 3072.5",
		`server_properties["added"]: (unset) → "y"`,
		`server_properties["gone"]: "x" → (unset)`,
		`server_properties["ssl.key.password"]: (sensitive) → (sensitive)`,
	}, "\n")
	if got != want {
		t.Errorf("changes:\n%s\nwant:\n%s", got, want)
	}
}

func TestPreviewNamesTheBrokersInPlanOrder(t *testing.T) {
	preview := api.Preview{Strategy: "serial", Notes: []string{"brokers are rolled with the serial strategy in the order shown"}, Brokers: []api.BrokerPreview{
		{Broker: 0, Pod: "kafka-0", Action: api.ActionNone},
		{Broker: 1, Pod: "kafka-1", Action: api.ActionRestart, Order: 2, Changes: []api.FieldChange{{Field: "brokers.mem", Old: "1024", New: "1536"}}},
		{Broker: 2, Pod: "kafka-2", Action: api.ActionRestart, Order: 1, Changes: []api.FieldChange{{Field: "brokers.mem", Old: "1024", New: "1536"}}},
		{Broker: 3, Pod: "kafka-3", Action: api.ActionLaunch, Order: 3},
	}}
	steps := previewSteps(preview, 3)
	summary, detail := renderPreview("prod", previewStrategy(preview), preview.Notes, steps, []string{"brokers.count: 3 → 4", "brokers.mem: 1024 → 1536"})
	if want := "Kafka cluster prod: the apply restarts 2 brokers and launches 1 new broker (serial, kafka-2 → kafka-1 → kafka-3)"; summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
	for _, want := range []string{
		"brokers.count: 3 → 4",
		"1. kafka-2 (broker 2): restart (brokers.mem: 1024 → 1536)\n  2. kafka-1 (broker 1): restart (brokers.mem: 1024 → 1536)\n  3. kafka-3 (broker 3): launch\n",
		"Note: brokers are rolled with the serial strategy in the order shown.",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "kafka-0") {
		t.Errorf("a broker the apply does not touch is listed:\n%s", detail)
	}
	if summary, _ := renderPreview("prod", "serial", nil, nil, []string{"placement_constraint: ..."}); !strings.Contains(summary, "restarts no broker") {
		t.Errorf("no broker touched: %q", summary)
	}
}

func TestPreviewOfAnOlderSchedulerIsReadOffItsPlan(t *testing.T) {
	broker := func(i int) *int { return &i }
	p := api.Preview{Plan: api.Plan{Strategy: "serial", Phases: []api.Phase{{
		Name: "broker", Strategy: "parallel", Steps: []api.Step{
			{Name: "kafka-0:[broker]", Pod: "kafka-0", Broker: broker(0), Status: api.StatusComplete},
			{Name: "kafka-2:[broker]", Pod: "kafka-2", Broker: broker(2), Status: api.StatusPending},
			{Name: "kafka-3:[broker]", Pod: "kafka-3", Broker: broker(3), Status: api.StatusPending},
		},
	}}}}
	steps := previewSteps(p, 3)
	summary, _ := renderPreview("prod", previewStrategy(p), nil, steps, nil)
	if want := "Kafka cluster prod: the apply restarts 1 broker and launches 1 new broker (parallel, kafka-2 → kafka-3)"; summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
}

func TestRefusalsPointAtTheAttribute(t *testing.T) {
	for field, want := range map[string]path.Path{
		"brokers.count":                     path.Root("brokers").AtName("count"),
		"brokers.heap.size":                 path.Root("brokers").AtName("heap"),
		"service.placement_strategy":        path.Root("placement_strategy"),
		"service.health_check.grace-period": path.Root("health_check").AtName("grace_period"),
		"kafka.server_properties.broker.id": path.Root("server_properties").AtMapKey("broker.id"),
		"service.name":                      path.Root("name"),
	} {
		got, ok := attributePath(field)
		if !ok || !got.Equal(want) {
			t.Errorf("%s → %v, want %v", field, got, want)
		}
	}
	if _, ok := attributePath("kafka.num_partitions"); ok {
		t.Error("a DC/OS option the resource does not expose has no attribute")
	}
	if a := adviceFor("brokers.disk"); !strings.Contains(a, "terraform taint <address of this kafka_cluster>, then terraform apply") || !strings.Contains(a, "ALL ITS DATA") {
		t.Errorf("a disk change must say how to replace the cluster and that the data is lost: %q", a)
	}
}

func TestOfferOutcomesAreCountedByReason(t *testing.T) {
	p := api.Plan{Phases: []api.Phase{{Steps: []api.Step{
		{Name: "kafka-0:[broker]", Pod: "kafka-0", Status: api.StatusComplete},
		{Name: "kafka-1:[broker]", Pod: "kafka-1", Status: api.StatusPending},
	}}}}
	outcomes := []api.OfferOutcome{
		{Step: "kafka-1:[broker]", AgentID: "a1", Reason: "insufficient mem: need 8192, offer has 4096 unreserved"},
		{Step: "kafka-1:[broker]", AgentID: "a2", Reason: "insufficient mem: need 8192, offer has 2048 unreserved"},
		{Step: "kafka-1:[broker]", AgentID: "a2", Reason: "insufficient mem: need 8192, offer has 2048 unreserved"}, // same agent again
		{Step: "kafka-1:[broker]", AgentID: "a3", Reason: "placement: hostname MAX_PER 1"},
		{Step: "kafka-1:[broker]", AgentID: "a4", Passed: true},
		{Step: "kafka-0:[broker]", AgentID: "a1", Reason: "insufficient cpus: old"}, // a complete step
	}
	got := summarizeOutcomes(p, outcomes)
	want := "kafka-1: no offer fits: insufficient mem on 2 agents (insufficient mem: need 8192, offer has 4096 unreserved); placement on 1 agent (placement: hostname MAX_PER 1)"
	if len(got) != 1 || got[0] != want {
		t.Errorf("summary %q\nwant %q", got, want)
	}
}

func TestWaitErrorsSayWhy(t *testing.T) {
	failed := &api.PlanError{Service: "events", Name: "deploy", Plan: api.Plan{Status: api.StatusError, Errors: []string{"kafka-1 failed to launch 3 times"}}}
	if got := explainWait(context.Background(), nil, "events", failed); !strings.Contains(got, "The plan is in ERROR") || !strings.Contains(got, "kafka-1 failed to launch 3 times") {
		t.Errorf("a plan in ERROR: %q", got)
	}
	p := api.Plan{Status: api.StatusInProgress, Phases: []api.Phase{{Steps: []api.Step{
		{Name: "kafka-0:[broker]", Status: api.StatusComplete},
		{Name: "kafka-1:[broker]", Status: api.StatusPending, Message: "no offer fits: a1: insufficient mem"},
	}}}}
	if got := describePending(p); !strings.Contains(got, "kafka-1:[broker] (PENDING): no offer fits: a1: insufficient mem") || strings.Contains(got, "kafka-0") {
		t.Errorf("pending steps: %q", got)
	}
}
