package admin

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// RestartCheck is the verdict of CanRestartBroker.
type RestartCheck struct {
	Broker int32 `json:"broker"`
	// Safe is true when restarting the broker now cannot take any
	// partition below its min.insync.replicas.
	Safe bool `json:"safe"`
	// Live is false when the broker is not running: restarting it cannot
	// lower availability, and unready brokers should be restarted first.
	Live bool `json:"live"`
	// Controller is true for the broker Metadata names as controller; roll
	// it last.
	Controller bool `json:"controller"`
	// Blocking lists the partitions that make the restart unsafe.
	Blocking []RestartBlocker `json:"blocking,omitempty"`
	// Warnings are findings that do not block, such as topics whose
	// replication factor is not above min.insync.replicas (no broker
	// holding them can ever be restarted safely, so they are reported
	// rather than allowed to block a roll forever).
	Warnings []string `json:"warnings,omitempty"`
}

// RestartBlocker is one partition that blocks a restart, and why.
type RestartBlocker struct {
	PartitionStatus
	Reason string `json:"reason"`
}

// Reason sums the verdict up for a person.
func (r RestartCheck) Reason() string {
	switch {
	case !r.Live:
		return fmt.Sprintf("broker %d is not running; restarting it cannot lower availability", r.Broker)
	case r.Safe:
		return fmt.Sprintf("broker %d can be restarted: no partition it holds would fall below min.insync.replicas", r.Broker)
	}
	reasons := make([]string, 0, min(3, len(r.Blocking)))
	for _, b := range r.Blocking[:min(3, len(r.Blocking))] {
		reasons = append(reasons, b.Reason)
	}
	more := ""
	if len(r.Blocking) > 3 {
		more = fmt.Sprintf(" (and %d more partitions)", len(r.Blocking)-3)
	}
	return fmt.Sprintf("broker %d must not be restarted now: %s%s", r.Broker, strings.Join(reasons, "; "), more)
}

// CanRestartBroker applies the safe rolling-restart rules (Strimzi's
// KafkaAvailability, kafka-ops.md §1.4) to broker id, on fresh metadata:
//   - a partition with a replica on the broker whose ISR is already below
//     the topic's min.insync.replicas blocks (the broker may be the replica
//     that would catch up first);
//   - a partition whose ISR is exactly min.insync.replicas, with the broker
//     in it, blocks when min.insync.replicas < replication factor
//     (restarting would refuse acks=all producers);
//   - topics whose replication factor is not above min.insync.replicas
//     never block; they are reported in Warnings;
//   - the controller is flagged so that a roll takes it last.
//
// min.insync.replicas is each topic's effective value (topic, broker or
// default). A broker id the cluster knows nothing about is an error wrapping
// ErrUnknownBroker.
func (c *Client) CanRestartBroker(ctx context.Context, id int32) (RestartCheck, error) {
	var ps validation.Problems
	checkBrokerID(&ps, id)
	if err := ps.Err(); err != nil {
		return RestartCheck{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	statuses, md, err := c.partitionStatuses(ctx)
	if err != nil {
		return RestartCheck{}, fmt.Errorf("checking whether broker %d can restart: %w", id, err)
	}
	check := RestartCheck{Broker: id, Live: md.live[id], Controller: md.controller == id}
	holds := false
	warned := map[string]bool{}
	for _, s := range statuses {
		if !slices.Contains(s.Replicas, id) {
			continue
		}
		holds = true
		if !check.Live {
			continue
		}
		blocker, warning := restartRule(s, id)
		if blocker != "" {
			check.Blocking = append(check.Blocking, RestartBlocker{PartitionStatus: s, Reason: blocker})
		}
		if warning != "" && !warned[s.Topic] {
			warned[s.Topic] = true
			check.Warnings = append(check.Warnings, warning)
		}
	}
	if !check.Live && !holds {
		return RestartCheck{}, fmt.Errorf("checking whether broker %d can restart: %w: it is not live and holds no replicas; the live brokers are %v",
			id, ErrUnknownBroker, md.liveIDs())
	}
	if check.Controller {
		check.Warnings = append(check.Warnings, fmt.Sprintf("broker %d is the controller: restart it after the other brokers", id))
	}
	sort.Strings(check.Warnings)
	check.Safe = len(check.Blocking) == 0
	return check, nil
}

// restartRule returns why partition s blocks a restart of broker id, or a
// warning that does not block.
func restartRule(s PartitionStatus, id int32) (blocker, warning string) {
	rf, isr, minISR := len(s.Replicas), len(s.ISR), s.MinISR
	where := s.Topic + "-" + strconv.Itoa(int(s.Partition))
	switch {
	case minISR <= 0:
		return "", ""
	case rf <= minISR:
		return "", fmt.Sprintf("topic %s has replication factor %d and min.insync.replicas %d: restarting any of its brokers refuses acks=all producers for a while; it does not block the roll",
			s.Topic, rf, minISR)
	case isr < minISR:
		return fmt.Sprintf("%s is already under min ISR (in sync %v, min.insync.replicas %d); broker %d holds a replica that may be the next to catch up",
			where, s.ISR, minISR, id), ""
	case isr == minISR && slices.Contains(s.ISR, id):
		return fmt.Sprintf("%s is at min ISR (in sync %v, min.insync.replicas %d); restarting broker %d would refuse acks=all producers",
			where, s.ISR, minISR, id), ""
	}
	return "", ""
}
