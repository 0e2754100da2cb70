package provider

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// The topic tests share one 3-broker cluster, installed through the API
// by the first test that needs it. Its brokers carry a cluster-wide
// log.retention.hours, a broker default that must never show as drift.
// The folder in its name makes import ids split at the last '/'.
const topicClusterName = "acc/topics"

var topicCluster struct {
	once      sync.Once
	bootstrap string
	err       error
}

func sharedTopicCluster(t *testing.T) string {
	t.Helper()
	requireAcc(t)
	topicCluster.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		c := testClient(t)
		options := `{"brokers":{"count":3,"mem":512,"heap":{"size":256}},"kafka":{"log_retention_hours":24}}`
		if _, err := c.PutService(ctx, topicClusterName, []byte(options), api.PutOptions{}); err != nil {
			topicCluster.err = fmt.Errorf("installing %s: %w", topicClusterName, err)
			return
		}
		if _, err := c.WaitPlan(ctx, topicClusterName, deployPlan, api.WaitOptions{Interval: 200 * time.Millisecond}); err != nil {
			topicCluster.err = fmt.Errorf("deploying %s: %w", topicClusterName, err)
			return
		}
		eps, err := readEndpoints(ctx, c, topicClusterName)
		if err != nil {
			topicCluster.err = err
			return
		}
		topicCluster.bootstrap = strings.Join(eps.addresses, ",")
	})
	if topicCluster.err != nil {
		t.Fatal(topicCluster.err)
	}
	return topicCluster.bootstrap
}

// apiTopic reads a topic as the scheduler reports it.
func apiTopic(name string) (api.Topic, error) {
	c, err := api.NewClient(api.ClientConfig{Endpoint: accDev.endpoint, Token: accDev.token})
	if err != nil {
		return api.Topic{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Topic(ctx, topicClusterName, name)
}

// expectTopic checks a topic's partitions, replication factor and own
// configs as the scheduler reports them.
func expectTopic(name string, partitions, rf int, configs map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		t, err := apiTopic(name)
		if err != nil {
			return err
		}
		if t.Partitions != partitions || t.ReplicationFactor != rf || !reflect.DeepEqual(t.Configs, configs) {
			return fmt.Errorf("topic %s has %d partitions, replication factor %d, configs %v; want %d, %d, %v",
				name, t.Partitions, t.ReplicationFactor, t.Configs, partitions, rf, configs)
		}
		return nil
	}
}

func topicGone(name string) error {
	if _, err := apiTopic(name); !api.IsNotFound(err) {
		return fmt.Errorf("topic %s still exists after destroy (%v)", name, err)
	}
	return nil
}

func topicConfig(name string, partitions, rf int, configs map[string]string) string {
	var b strings.Builder
	for k, v := range configs {
		fmt.Fprintf(&b, "    %q = %q\n", k, v)
	}
	cfg := ""
	if len(configs) > 0 {
		cfg = "  config = {\n" + b.String() + "  }\n"
	}
	return fmt.Sprintf(`
resource "kafka_topic" "t" {
  cluster            = %q
  name               = %q
  partitions         = %d
  replication_factor = %d
%s}
`, topicClusterName, name, partitions, rf, cfg)
}

// TestAccTopicLifecycle: create with configs (both data sources reading
// it), partitions up in place, configs added, changed and removed (reset
// to the cluster default), a config set outside Terraform shown as drift
// and undone while the brokers' own log.retention.hours never shows, a
// topic deleted outside Terraform planned again, import by
// <cluster>/<topic> plan-clean, destroy.
func TestAccTopicLifecycle(t *testing.T) {
	sharedTopicCluster(t)
	const name = "acc-life-topic"
	const addr = "kafka_topic.t"
	withData := func(cfg string) string {
		return cfg + fmt.Sprintf(`
data "kafka_topic" "t" {
  cluster = kafka_topic.t.cluster
  name    = kafka_topic.t.name
}

data "kafka_topics" "life" {
  cluster    = kafka_topic.t.cluster
  prefix     = "acc-life-"
  depends_on = [kafka_topic.t]
}
`)
	}
	v1 := map[string]string{"retention.ms": "3600000", "cleanup.policy": "delete"}
	v2 := map[string]string{"retention.ms": "7200000", "segment.ms": "600000"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             func(*terraform.State) error { return topicGone(name) },
		Steps: []resource.TestStep{
			{
				Config: withData(topicConfig(name, 2, 2, v1)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(topicClusterName+"/"+name)),
					statecheck.ExpectKnownValue("data.kafka_topic.t", tfjsonpath.New("partition_details"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue("data.kafka_topic.t", tfjsonpath.New("partition_details").AtSliceIndex(0).AtMapKey("replicas"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue("data.kafka_topic.t", tfjsonpath.New("config"),
						knownvalue.MapExact(map[string]knownvalue.Check{"retention.ms": knownvalue.StringExact("3600000"), "cleanup.policy": knownvalue.StringExact("delete")})),
					statecheck.ExpectKnownValue("data.kafka_topics.life", tfjsonpath.New("names"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(name)})),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					expectTopic(name, 2, 2, v1),
					resource.TestCheckResourceAttrPair("data.kafka_topic.t", "topic_id", addr, "topic_id"),
					resource.TestCheckResourceAttr("data.kafka_topic.t", "replication_factor", "2"),
				),
			},
			{
				Config: withData(topicConfig(name, 4, 2, v1)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: expectTopic(name, 4, 2, v1),
			},
			{
				Config: withData(topicConfig(name, 4, 2, v2)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: expectTopic(name, 4, 2, v2), // cleanup.policy reset: no longer set on the topic
			},
			{
				PreConfig: func() { setTopicConfigThroughAPI(t, name, map[string]string{"max.message.bytes": "2000000"}) },
				Config:    withData(topicConfig(name, 4, 2, v2)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("config"), knownvalue.MapSizeExact(2)),
					},
				},
				Check: expectTopic(name, 4, 2, v2),
			},
			{
				Config:   withData(topicConfig(name, 4, 2, v2)),
				PlanOnly: true, // empty: the brokers' log.retention.hours is not the topic's
			},
			{
				Config:          topicConfig(name, 4, 2, v2),
				ResourceName:    addr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID, // fails unless the import plans no change
				ImportStateId:   topicClusterName + "/" + name,
			},
			{
				Config:                  topicConfig(name, 4, 2, v2),
				ResourceName:            addr,
				ImportState:             true,
				ImportStateId:           topicClusterName + "/" + name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				PreConfig: func() { deleteTopicThroughAPI(t, name) },
				Config:    topicConfig(name, 4, 2, v2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
				Check: expectTopic(name, 4, 2, v2),
			},
		},
	})
}

func setTopicConfigThroughAPI(t *testing.T, name string, set map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := testClient(t).UpdateTopicConfigs(ctx, topicClusterName, name, api.TopicConfigUpdate{Set: set}); err != nil {
		t.Fatalf("setting configs of %s through the API: %v", name, err)
	}
}

func deleteTopicThroughAPI(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := testClient(t).DeleteTopic(ctx, topicClusterName, name); err != nil {
		t.Fatalf("deleting %s through the API: %v", name, err)
	}
}

// TestAccTopicRefusedAtPlan: what the scheduler would refuse is refused by
// terraform plan, naming the problem; a topic of a cluster that does not
// exist fails its apply saying so.
func TestAccTopicRefusedAtPlan(t *testing.T) {
	sharedTopicCluster(t)
	plan := func(cfg, want string) resource.TestStep {
		return resource.TestStep{Config: cfg, PlanOnly: true, ExpectError: wrapped(want)}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{
			plan(topicConfig("bad name!", 1, 1, nil), `a topic name may contain only ASCII letters, digits, '.', '_' and '-' (found ' ')`),
			plan(topicConfig("acc-refused", 1, 1, map[string]string{"retention.msec": "1"}), `config "retention.msec" = "1" is not a Kafka topic config`),
			plan(topicConfig("acc-refused", 1, 1, map[string]string{"log.retention.ms": "1"}), `is a broker property, not a topic config; the topic config is "retention.ms"`),
			plan(topicConfig("acc-refused", 1, 1, map[string]string{"message.format.version": "3.0"}), `has no effect since Kafka 3.0`),
			plan(topicConfig("acc-refused", 1, 1, map[string]string{"retention.ms": "soon"}), `must be a whole number`),
			plan(topicConfig("acc-refused", 1, 4, nil), `replication_factor = 4 cannot be done on cluster acc/topics: it has 3 brokers`),
			plan(topicConfig("acc-refused", 0, 1, nil), `Attribute partitions value must be between 1`),
			{
				Config: `
resource "kafka_topic" "t" {
  cluster    = "acc-no-such-cluster"
  name       = "orphan"
  partitions = 1
}
`,
				ExpectError: wrapped(`the scheduler has no cluster named "acc-no-such-cluster"`),
			},
		},
	})
}

// TestAccTopicWithTheCLI drives the terraform CLI as a user does: a topic
// with a record in it; a partition decrease planned as a replacement with
// the warning that the records are lost, applied (the record is gone); a
// replication factor raised in place; destroy.
func TestAccTopicWithTheCLI(t *testing.T) {
	bootstrap := sharedTopicCluster(t)
	t.Parallel()
	const name = "acc-cli-topic"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tf := newTFCLI(t)
	header := `
terraform {
  required_providers {
    kafka = { source = "kafka-on-mesos/kafka" }
  }
}
`
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			tf.run("destroy", "-auto-approve")
		}
	})
	tf.write(header + topicConfig(name, 3, 1, map[string]string{"retention.ms": "86400000"}))
	tf.must("apply", "-auto-approve")
	stillThere, err := roundtrip(ctx, bootstrap, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := stillThere(ctx, bootstrap); err != nil {
		t.Fatal(err)
	}
	before, err := apiTopic(name)
	if err != nil {
		t.Fatal(err)
	}

	tf.write(header + topicConfig(name, 2, 1, map[string]string{"retention.ms": "86400000"}))
	plan := squash(tf.must("plan"))
	for _, want := range []string{"Topic will be replaced: its records are lost", "WITH ALL ITS RECORDS", "must be replaced", "1 to add, 0 to change, 1 to destroy"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan of a partition decrease does not say %q:\n%s", want, plan)
		}
	}
	tf.must("apply", "-auto-approve")
	after, err := apiTopic(name)
	if err != nil {
		t.Fatal(err)
	}
	if after.Partitions != 2 || after.ID == before.ID {
		t.Errorf("after the replacement the topic has %d partitions and id %s (before: %s); want 2 and a new id", after.Partitions, after.ID, before.ID)
	}
	if err := readOne(ctx, bootstrap, name); err == nil {
		t.Errorf("the replaced topic still holds a record")
	}

	tf.write(header + topicConfig(name, 2, 3, map[string]string{"retention.ms": "86400000"}))
	if out := squash(tf.must("plan")); !strings.Contains(out, "1 to change") {
		t.Errorf("a replication factor change must be in place:\n%s", out)
	}
	tf.must("apply", "-auto-approve")
	if err := expectTopic(name, 2, 3, map[string]string{"retention.ms": "86400000"})(nil); err != nil {
		t.Error(err)
	}
	for _, p := range mustTopic(t, name).PartitionDetails {
		if len(p.ISR) != 3 {
			t.Errorf("partition %d has ISR %v after the apply, want all 3 replicas in sync", p.Partition, p.ISR)
		}
	}
	if out, code := tf.run("plan", "-detailed-exitcode"); code != 0 {
		t.Errorf("the plan after the changes must be empty; exit %d:\n%s", code, out)
	}
	tf.must("destroy", "-auto-approve")
	destroyed = true
	if err := topicGone(name); err != nil {
		t.Error(err)
	}
}

func mustTopic(t *testing.T, name string) api.Topic {
	t.Helper()
	topic, err := apiTopic(name)
	if err != nil {
		t.Fatal(err)
	}
	return topic
}

// readOne fails unless a record can be read from the topic within a
// short deadline.
func readOne(ctx context.Context, bootstrap, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		fetches := cl.PollFetches(ctx)
		if len(fetches.Records()) > 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
