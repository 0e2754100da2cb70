package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// ErrNoController is wrapped by Controller when the cluster names no
// active controller (an election is under way, or no broker is up).
var ErrNoController = errors.New("the cluster names no active controller")

// Controller returns the id of the active controller, from fresh metadata.
// Roll it last: restarting it moves the controllership, which should
// happen once, at the end of a roll (Strimzi's KafkaRoller does the same).
func (c *Client) Controller(ctx context.Context) (int32, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.brokersOnly(ctx)
	if err != nil {
		return -1, fmt.Errorf("finding the active controller: %w", err)
	}
	if md.controller < 0 || !md.live[md.controller] {
		return -1, fmt.Errorf("finding the active controller: %w (controller id %d, live brokers %v)", ErrNoController, md.controller, md.liveIDs())
	}
	return md.controller, nil
}

// InSyncCheck is the verdict of BackInSync.
type InSyncCheck struct {
	Broker int32 `json:"broker"`
	// Live is true when metadata lists the broker.
	Live bool `json:"live"`
	// InSync is true when the broker is live and in the ISR of every
	// partition it replicates.
	InSync bool `json:"in_sync"`
	// Partitions counts the partitions the broker replicates.
	Partitions int `json:"partitions"`
	// Missing lists the partitions whose ISR does not hold the broker yet,
	// sorted by topic and partition.
	Missing []PartitionStatus `json:"missing,omitempty"`
}

// Reason sums the verdict up for a step message: the first partitions still
// missing the broker, and how many more.
func (r InSyncCheck) Reason() string {
	switch {
	case !r.Live:
		return fmt.Sprintf("broker %d is not in the cluster's metadata yet", r.Broker)
	case r.InSync:
		return fmt.Sprintf("broker %d is in the ISR of all %d partitions it replicates", r.Broker, r.Partitions)
	}
	const shown = 5
	names := make([]string, 0, shown)
	for _, p := range r.Missing[:min(shown, len(r.Missing))] {
		names = append(names, fmt.Sprintf("%s-%d (in sync %v)", p.Topic, p.Partition, p.ISR))
	}
	more := ""
	if len(r.Missing) > shown {
		more = fmt.Sprintf(" and %d more", len(r.Missing)-shown)
	}
	return fmt.Sprintf("broker %d is not yet in the ISR of %d of its %d partitions: %s%s",
		r.Broker, len(r.Missing), r.Partitions, strings.Join(names, ", "), more)
}

// BackInSync reports whether a restarted broker is back in the in-sync
// replica set of every partition it replicates (the last condition of a
// safe restart step, kafka-ops.md §1.4), on fresh metadata. A broker that
// is not live is not in sync; it is not an error, since a restarted broker
// is expected to be missing for a while.
func (c *Client) BackInSync(ctx context.Context, id int32) (InSyncCheck, error) {
	var ps validation.Problems
	checkBrokerID(&ps, id)
	if err := ps.Err(); err != nil {
		return InSyncCheck{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx)
	if err != nil {
		return InSyncCheck{}, fmt.Errorf("checking whether broker %d is back in sync: %w", id, err)
	}
	return inSync(id, md.live[id], metadataStatuses(md)), nil
}

// inSync applies the rule to partition statuses.
func inSync(id int32, live bool, statuses []PartitionStatus) InSyncCheck {
	check := InSyncCheck{Broker: id, Live: live}
	for _, s := range statuses {
		if !slices.Contains(s.Replicas, id) {
			continue
		}
		check.Partitions++
		if !slices.Contains(s.ISR, id) {
			check.Missing = append(check.Missing, s)
		}
	}
	check.InSync = live && len(check.Missing) == 0
	return check
}

// metadataStatuses lists every partition of md (without min ISR), sorted.
func metadataStatuses(md *clusterMetadata) []PartitionStatus {
	names := make([]string, 0, len(md.topics))
	for name, t := range md.topics {
		if t.ErrorCode == 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []PartitionStatus
	for _, name := range names {
		for _, p := range sortedPartitions(md.topics[name]) {
			out = append(out, PartitionStatus{
				Topic: name, Partition: p.Partition, Leader: p.Leader,
				Replicas: p.Replicas, ISR: p.ISR, OfflineReplicas: p.OfflineReplicas,
				Err: kerr.ErrorForCode(p.ErrorCode),
			})
		}
	}
	return out
}

// ClusterConfig is one cluster-wide broker property to change in place:
// Value nil deletes the cluster-wide value (the brokers fall back to their
// server.properties or Kafka's default).
type ClusterConfig struct {
	Key   string
	Value *string
}

// maxClusterConfigs bounds one ApplyClusterConfigs call (Kafka has about
// two hundred broker properties).
const maxClusterConfigs = 500

// ApplyClusterConfigs sets or deletes cluster-wide dynamic broker configs
// with one IncrementalAlterConfigs request on the cluster's default broker
// resource (BROKER ""), then reads them back with DescribeConfigs: every
// set key must show its value with source DYNAMIC_DEFAULT_BROKER_CONFIG
// (a sensitive key only its presence, since Kafka never returns its
// value), and every deleted key must be gone. A read-back that disagrees
// is an error naming the key. Bad input (no configs, an empty or repeated
// key) returns validation.Problems and sends nothing.
func (c *Client) ApplyClusterConfigs(ctx context.Context, configs []ClusterConfig) error {
	var ps validation.Problems
	if len(configs) == 0 {
		ps.Add("configs", "", "name at least one cluster-wide config to set or delete")
	}
	if len(configs) > maxClusterConfigs {
		ps.Addf("configs", strconv.Itoa(len(configs)), "at most %d configs can be applied at once", maxClusterConfigs)
	}
	seen := map[string]bool{}
	for _, cfg := range configs {
		switch {
		case strings.TrimSpace(cfg.Key) == "":
			ps.Add("configs", cfg.Key, "a config key must not be empty")
		case seen[cfg.Key]:
			ps.Add("configs."+cfg.Key, "", "is named twice; name each key once")
		}
		seen[cfg.Key] = true
	}
	if err := ps.Err(); err != nil {
		return err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	if err := c.alterClusterConfigs(ctx, configs); err != nil {
		return err
	}
	return c.verifyClusterConfigs(ctx, configs)
}

func (c *Client) alterClusterConfigs(ctx context.Context, configs []ClusterConfig) error {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBroker, ""
	for _, cfg := range configs {
		rc := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		rc.Name, rc.Value, rc.Op = cfg.Key, cfg.Value, kmsg.IncrementalAlterConfigOpSet
		if cfg.Value == nil {
			rc.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		res.Configs = append(res.Configs, rc)
	}
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return fmt.Errorf("changing the cluster-wide broker configs %s: %w", keysOf(configs), err)
	}
	if len(resp.Resources) != 1 {
		return fmt.Errorf("changing the cluster-wide broker configs %s: the broker answered for %d resources, not 1", keysOf(configs), len(resp.Resources))
	}
	if err := kerr.ErrorForCode(resp.Resources[0].ErrorCode); err != nil {
		return kafkaErr("changing the cluster-wide broker configs "+keysOf(configs), "", err, deref(resp.Resources[0].ErrorMessage))
	}
	return nil
}

// ConfigMismatchError is a cluster-wide config whose read-back disagrees
// with what was applied.
type ConfigMismatchError struct {
	Key string
	// Want is the value applied; nil for a delete.
	Want *string
	// Got is what DescribeConfigs shows on BROKER ""; Present is false
	// when it shows nothing for the key.
	Got     *string
	Present bool
}

func (e *ConfigMismatchError) Error() string {
	switch {
	case e.Want == nil:
		return fmt.Sprintf("verifying cluster-wide broker config %s: it was deleted, but DescribeConfigs still shows it set to %s", e.Key, show(e.Got))
	case !e.Present:
		return fmt.Sprintf("verifying cluster-wide broker config %s: it was set to %q, but DescribeConfigs does not show it as a cluster-wide value", e.Key, *e.Want)
	}
	return fmt.Sprintf("verifying cluster-wide broker config %s: it was set to %q, but DescribeConfigs shows %s", e.Key, *e.Want, show(e.Got))
}

func show(v *string) string {
	if v == nil {
		return "a hidden (sensitive) value"
	}
	return strconv.Quote(*v)
}

// verifyClusterConfigs reads BROKER "" back and compares.
func (c *Client) verifyClusterConfigs(ctx context.Context, configs []ClusterConfig) error {
	current, err := c.ClusterConfigs(ctx)
	if err != nil {
		return fmt.Errorf("verifying the cluster-wide broker configs %s: %w", keysOf(configs), err)
	}
	for _, cfg := range configs {
		got, present := current[cfg.Key]
		switch {
		case cfg.Value == nil && present:
			return &ConfigMismatchError{Key: cfg.Key, Got: got.Value, Present: true}
		case cfg.Value == nil:
		case !present:
			return &ConfigMismatchError{Key: cfg.Key, Want: cfg.Value}
		case got.Sensitive && got.Value == nil:
			// Kafka never returns a sensitive value: presence is all
			// that can be verified.
		case got.Value == nil || *got.Value != *cfg.Value:
			return &ConfigMismatchError{Key: cfg.Key, Want: cfg.Value, Got: got.Value, Present: true}
		}
	}
	return nil
}

// ClusterConfigs returns the cluster-wide dynamic broker configs (the
// entries of BROKER "" whose source is DYNAMIC_DEFAULT_BROKER_CONFIG), by
// key.
func (c *Client) ClusterConfigs(ctx context.Context) (map[string]BrokerConfig, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBroker, ""
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("describing the cluster-wide broker configs: %w", err)
	}
	if len(resp.Resources) != 1 {
		return nil, fmt.Errorf("describing the cluster-wide broker configs: the broker answered for %d resources, not 1", len(resp.Resources))
	}
	r := resp.Resources[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		return nil, kafkaErr("describing the cluster-wide broker configs", "", err, deref(r.ErrorMessage))
	}
	out := map[string]BrokerConfig{}
	for _, e := range r.Configs {
		if e.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
			continue
		}
		out[e.Name] = BrokerConfig{Key: e.Name, Value: e.Value, Source: configSourceName(e.Source), Sensitive: e.IsSensitive}
	}
	return out, nil
}

func keysOf(configs []ClusterConfig) string {
	keys := make([]string, len(configs))
	for i, c := range configs {
		keys[i] = c.Key
	}
	return strings.Join(keys, ", ")
}
