package service

import (
	"context"
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// Replace (permanent recovery): POST /v1/pod/{pod}/replace and DC/OS
// Kafka's PUT /v1/brokers/{id}?replace=true. The broker keeps its id; its
// task record is marked permanently failed (stored before anything else),
// its running task, if any, is killed, and its next launch takes fresh
// reservations and an empty volume, on another agent when one fits the
// placement (placementOrder). Kafka then copies the broker's partitions
// from the other replicas: a partition with no other replica loses its
// data. The old reservations and volume are released when Mesos offers
// them (recovery.go).

// ReplaceWarning is what the replace endpoints tell the operator.
const ReplaceWarning = "the broker's local data is lost: it restarts with fresh reservations and an empty volume (possibly on another agent), keeps its broker id, and Kafka rebuilds its partitions from the other replicas; partitions with no other replica lose their data"

// ReplacePod marks a pod for replacement and returns it as it was (its
// tasks are the ones replaced). Unknown pods are a NotFoundError; a
// service uninstalling or failed refuses with ErrConflict.
func (s *Service) ReplacePod(ctx context.Context, podName string) (PodInstance, error) {
	var before PodInstance
	err := s.submit(ctx, "replacing "+podName, func() effects {
		p, err := s.operablePod(podName)
		if err != nil {
			return failed(err)
		}
		before = podInstance(p.record.Pod, p)
		if p.record.PermanentlyFailed {
			return effects{} // already being replaced
		}
		return s.markReplace(p, false, "an operator asked to replace this broker (pod replace): "+ReplaceWarning)
	})
	return before, err
}

// operablePod finds a pod an operator command may act on. Callers hold
// s.mu.
func (s *Service) operablePod(podName string) (*pod, error) {
	i := podIndexOf(podName)
	p := s.pods[i]
	if i < 0 || p == nil || p.record.TaskID == "" || spec.PodInstanceName(i) != podName {
		return nil, &NotFoundError{Kind: "Pod", Name: podName}
	}
	switch {
	case s.uninstall != nil:
		return nil, fmt.Errorf("%w: service %s is being uninstalled", ErrConflict, s.name)
	case s.failure != "":
		return nil, fmt.Errorf("%w: %s", ErrConflict, s.failure)
	}
	return p, nil
}

// placementOrder is the order in which the agents' offers are tried for
// pod i: as offered, except that a pod being replaced tries its old agent
// last, so that it moves when another agent fits.
func (s *Service) placementOrder(i int, groups []*agentOffers) []*agentOffers {
	p := s.pods[i]
	if p == nil || !p.record.PermanentlyFailed {
		return groups
	}
	out := make([]*agentOffers, 0, len(groups))
	var old []*agentOffers
	for _, g := range groups {
		if g.merged.AgentID.Value == p.record.AgentID {
			old = append(old, g)
			continue
		}
		out = append(out, g)
	}
	return append(out, old...)
}
