package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// TestAccClusterRollingUpdateWithTheCLI is the platform team's workflow
// with the terraform CLI and the provider binary through dev_overrides:
// apply 3 brokers, write a record, plan a mem change (the plan's warning
// names the three brokers in order with the changed setting), apply it
// (every broker restarted, the record still there), a count decrease
// refused at plan, an empty plan, a disk change refused and then done by
// replacing the cluster as the refusal says, destroy with nothing left in
// Mesos.
func TestAccClusterRollingUpdateWithTheCLI(t *testing.T) {
	requireAcc(t)
	t.Parallel()
	const name = "acc-cli"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := testClient(t)
	tf := newTFCLI(t)
	disk := 5000
	config := func(mem, count int) string {
		return fmt.Sprintf(`
terraform {
  required_providers {
    kafka = { source = "kafka-on-mesos/kafka" }
  }
}

resource "kafka_cluster" "main" {
  name = %q
  brokers = {
    count = %d
    mem   = %d
    disk  = %d
  }
  server_properties = {
    "log.retention.hours" = "24"
  }
}

output "bootstrap_servers" {
  value = kafka_cluster.main.bootstrap_servers
}
`, name, count, mem, disk)
	}
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			tf.run("destroy", "-auto-approve")
		}
	})

	tf.write(config(1024, 3))
	tf.must("apply", "-auto-approve")
	bootstrap := tf.output("bootstrap_servers")
	if n := len(strings.Split(bootstrap, ",")); n != 3 {
		t.Fatalf("bootstrap_servers %q lists %d brokers, want 3", bootstrap, n)
	}
	stillThere, err := roundtrip(ctx, bootstrap, "acc-cli-records")
	if err != nil {
		t.Fatal(err)
	}
	before := brokerTasks(ctx, t, c, name)

	// The roll goes by broker id with the active controller last.
	order := []int{}
	controller := -1
	for id := range 3 {
		b, err := c.Broker(ctx, name, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Controller {
			controller = id
			continue
		}
		order = append(order, id)
	}
	if controller < 0 {
		t.Fatal("no broker is the controller")
	}
	order = append(order, controller)
	pods := make([]string, len(order))
	wants := []string{"Changed settings: brokers.mem: 1024 → 1536", fmt.Sprintf("kafka-%d (the active controller, last)", controller)}
	for i, id := range order {
		pods[i] = fmt.Sprintf("kafka-%d", id)
		wants = append(wants, fmt.Sprintf("%d. kafka-%d (broker %d): restart (brokers.mem: 1024 → 1536)", i+1, id, id))
	}
	wants = append(wants, "Kafka cluster acc-cli: the apply restarts 3 brokers (serial, "+strings.Join(pods, " → ")+")")

	tf.write(config(1536, 3))
	plan := squash(tf.must("plan"))
	for _, want := range wants {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
	}
	start := time.Now()
	tf.must("apply", "-auto-approve")
	t.Logf("the rolling update of 3 brokers took %s", time.Since(start).Round(time.Millisecond))
	after := brokerTasks(ctx, t, c, name)
	for pod, task := range before {
		if after[pod] == "" || after[pod] == task {
			t.Errorf("%s was not restarted by the update: task %s before, %q after", pod, task, after[pod])
		}
	}
	if err := stillThere(ctx, tf.output("bootstrap_servers")); err != nil {
		t.Errorf("the record written before the update: %v", err)
	}

	tf.write(config(1536, 2))
	out, code := tf.run("plan")
	if code == 0 || !strings.Contains(squash(out), "cannot decrease (from 3 to 2)") {
		t.Errorf("a count decrease must fail the plan quoting the scheduler's rule; exit %d:\n%s", code, out)
	}
	tf.write(config(1536, 3))
	if out, code := tf.run("plan", "-detailed-exitcode"); code != 0 {
		t.Errorf("the plan after the update must be empty; exit %d:\n%s", code, out)
	}

	// A new disk: refused as an update, done by replacing the cluster as
	// the refusal says (taint, then apply).
	disk = 6000
	tf.write(config(1536, 3))
	if out, code := tf.run("plan"); code == 0 || !strings.Contains(squash(out), "terraform taint <address of this kafka_cluster>, then terraform apply") {
		t.Errorf("a disk change must fail the plan and say how to replace the cluster; exit %d:\n%s", code, out)
	}
	tf.must("taint", "kafka_cluster.main")
	replaced := squash(tf.must("apply", "-auto-approve"))
	if !strings.Contains(replaced, "1 added, 0 changed, 1 destroyed") {
		t.Errorf("the tainted cluster must be replaced:\n%s", replaced)
	}
	if err := expectOption(name, "disk", 6000); err != nil {
		t.Error(err)
	}
	tf.must("destroy", "-auto-approve")
	destroyed = true
	if err := checkGone(name); err != nil {
		t.Error(err)
	}
}

// TestAccClusterLifecycle: create (with the data source reading it),
// changes the running cluster cannot take refused at plan, import
// plan-clean by name (the configuration has no timeouts block: Terraform
// keeps timeouts in state only, so an imported resource always plans to
// add them), drift after a change through the API shown in the
// plan and undone by the apply, an empty plan, destroy leaving nothing.
func TestAccClusterLifecycle(t *testing.T) {
	requireAcc(t)
	const name = "acc-life"
	config := func(count, disk int) string {
		return fmt.Sprintf(`
resource "kafka_cluster" "life" {
  name = %q
  brokers = {
    count = %d
    mem   = 1024
    disk  = %d
  }
  deploy_strategy = "parallel"
  server_properties = {
    "num.partitions"      = "3"
    "log.retention.hours" = "48"
  }
}

data "kafka_cluster" "life" {
  name = kafka_cluster.life.name
}
`, name, count, disk)
	}
	const addr = "kafka_cluster.life"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             func(*terraform.State) error { return checkGone(name) },
		Steps: []resource.TestStep{
			{
				Config: config(2, 2000),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("broker_addresses"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("brokers").AtMapKey("cpus"), knownvalue.Float64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("user"), knownvalue.StringExact("nobody")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("zookeeper_connect"), knownvalue.StringRegexp(regexp.MustCompile(`/dcos-service-acc-life$`))),
					statecheck.ExpectKnownValue("data.kafka_cluster.life", tfjsonpath.New("status"), knownvalue.StringExact("COMPLETE")),
					statecheck.ExpectKnownValue("data.kafka_cluster.life", tfjsonpath.New("brokers").AtMapKey("count"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("data.kafka_cluster.life", tfjsonpath.New("server_properties"),
						knownvalue.MapExact(map[string]knownvalue.Check{"num.partitions": knownvalue.StringExact("3"), "log.retention.hours": knownvalue.StringExact("48")})),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestMatchResourceAttr(addr, "bootstrap_servers", regexp.MustCompile(`^[0-9.]+:\d+,[0-9.]+:\d+$`)),
					resource.TestCheckResourceAttrPair("data.kafka_cluster.life", "bootstrap_servers", addr, "bootstrap_servers"),
					resource.TestCheckResourceAttrPair("data.kafka_cluster.life", "config_id", addr, "config_id"),
					resource.TestCheckResourceAttrWith(addr, "bootstrap_servers", func(v string) error {
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						defer cancel()
						check, err := roundtrip(ctx, v, "acc-life-records")
						if err != nil {
							return err
						}
						return check(ctx, v)
					}),
				),
			},
			{
				Config:      config(1, 2000),
				PlanOnly:    true,
				ExpectError: wrapped("brokers.count = 1: cannot decrease (from 2 to 1): brokers can only be added"),
			},
			{
				Config:      config(2, 3000),
				PlanOnly:    true,
				ExpectError: wrapped("persistent volumes cannot be resized. A broker's persistent volume cannot be resized, retyped or moved. To get it, replace the cluster, which deletes every broker and ALL ITS DATA: terraform taint"),
			},
			{
				Config:          config(2, 2000),
				ResourceName:    addr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID, // fails unless the import plans no change
				ImportStateId:   name,
			},
			{
				Config:                  config(2, 2000),
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				PreConfig: func() { changeThroughAPI(t, name, "mem", 1280) },
				Config:    config(2, 2000),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("brokers").AtMapKey("mem"), knownvalue.Float64Exact(1024)),
					},
				},
				Check: func(*terraform.State) error { return expectOption(name, "mem", 1024) },
			},
			{
				Config:   config(2, 2000),
				PlanOnly: true, // an empty plan
			},
		},
	})
}

// TestAccClusterCreateThatCannotFit: brokers no agent can hold make the
// create run out of its timeout, and the error says why, counted by
// reason over the agents.
func TestAccClusterCreateThatCannotFit(t *testing.T) {
	requireAcc(t)
	const name = "acc-nofit"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             func(*terraform.State) error { return checkGone(name) },
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "kafka_cluster" "nofit" {
  name = %q
  brokers = {
    count = 1
    mem   = 100000
  }
  timeouts {
    create = "15s"
  }
}
`, name),
			ExpectError: regexp.MustCompile(`(?s)did\s+not\s+complete\s+within\s+the\s+create\s+timeout\s+\(15s\).*` +
				`kafka-0:\s+no\s+offer\s+fits:\s+insufficient\s+mem\s+on\s+[1-4]\s+agents?\s+\(insufficient\s+mem:\s+need\s+1000\d\d,\s+offer\s+has`),
		}},
	})
}

// TestAccClusterEndpointUnknownAtPlan: a provider whose endpoint comes from
// a resource created in the same apply plans without the scheduler and
// applies once the endpoint is known.
func TestAccClusterEndpointUnknownAtPlan(t *testing.T) {
	requireAcc(t)
	const name = "acc-late"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             func(*terraform.State) error { return checkGone(name) },
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "scheduler" {
  input = %q
}

provider "kafka" {
  endpoint = terraform_data.scheduler.output
}

resource "kafka_cluster" "late" {
  name = %q
  brokers = {
    count = 1
    mem   = 512
    heap  = 256
  }
}
`, accDev.endpoint, name),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("kafka_cluster.late", plancheck.ResourceActionCreate)},
			},
			Check: resource.TestMatchResourceAttr("kafka_cluster.late", "bootstrap_servers", regexp.MustCompile(`^[0-9.]+:\d+$`)),
		}},
	})
}

// brokerTasks maps each pod of a service to its broker task id.
func brokerTasks(ctx context.Context, t *testing.T, c *api.Client, name string) map[string]string {
	t.Helper()
	status, err := c.PodsStatus(ctx, name)
	if err != nil {
		t.Fatalf("reading the pods of %s: %v", name, err)
	}
	out := map[string]string{}
	for _, typ := range status.Pods {
		for _, inst := range typ.Instances {
			for _, task := range inst.Tasks {
				out[inst.Name] = task.ID
			}
		}
	}
	return out
}

// setThroughAPI sets one option outside Terraform and waits for the
// scheduler's plan.
func setThroughAPI(t *testing.T, name, section, option string, value any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := testClient(t)
	detail, err := c.GetService(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	var options map[string]map[string]any
	if err := json.Unmarshal(detail.Options, &options); err != nil {
		t.Fatal(err)
	}
	options[section][option] = value
	body, _ := json.Marshal(options)
	if _, err := c.PutService(ctx, name, body, api.PutOptions{IfMatch: detail.ConfigID}); err != nil {
		t.Fatalf("setting %s.%s of %s through the API: %v", section, option, name, err)
	}
	if _, err := c.WaitPlan(ctx, name, deployPlan, api.WaitOptions{Interval: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}

// changeThroughAPI sets a brokers option outside Terraform and waits for
// the scheduler to roll it.
func changeThroughAPI(t *testing.T, name, option string, value float64) {
	t.Helper()
	setThroughAPI(t, name, "brokers", option, value)
}

// expectOption checks a brokers option as the scheduler reports it.
func expectOption(name, option string, want float64) error {
	c, err := api.NewClient(api.ClientConfig{Endpoint: accDev.endpoint, Token: accDev.token})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	detail, err := c.GetService(ctx, name)
	if err != nil {
		return err
	}
	var options struct {
		Brokers map[string]any `json:"brokers"`
	}
	if err := json.Unmarshal(detail.Options, &options); err != nil {
		return err
	}
	if got := options.Brokers[option]; got != want {
		return fmt.Errorf("brokers.%s of %s is %v, want %v", option, name, got, want)
	}
	return nil
}

// squash collapses runs of white space, since terraform wraps diagnostics.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// wrapped matches text in terraform's output whatever line wrapping it got.
func wrapped(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}
