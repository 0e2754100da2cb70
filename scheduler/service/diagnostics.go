package service

import (
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Diagnostics bounds.
const (
	// maxOutcomes bounds the offer evaluations kept (OfferOutcomes).
	maxOutcomes = 500
	// maxCycles bounds the offer cycle summaries kept (OfferCycles).
	maxCycles = 100
	// maxExamples is how many agents a step message or a cycle summary
	// names per reason class.
	maxExamples = 3
)

// ring keeps the latest values in a fixed buffer: adding one is O(1), and
// the oldest is overwritten once the ring is full.
type ring[T any] struct {
	buf   []T
	next  int    // where the next value goes
	count uint64 // values ever added; the ring's version
}

func newRing[T any](capacity int) *ring[T] {
	return &ring[T]{buf: make([]T, 0, capacity)}
}

// add records a value, overwriting the oldest when the ring is full.
func (r *ring[T]) add(v T) {
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, v)
	} else {
		r.buf[r.next] = v
	}
	r.next = (r.next + 1) % cap(r.buf)
	r.count++
}

// version changes whenever a value is added.
func (r *ring[T]) version() uint64 { return r.count }

// newestFirst copies the values, newest first.
func (r *ring[T]) newestFirst() []T {
	out := make([]T, 0, len(r.buf))
	for i := 1; i <= len(r.buf); i++ {
		out = append(out, r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return out
}

// recordOutcome keeps an evaluation for the diagnostics endpoint.
func (s *Service) recordOutcome(step string, g *agentOffers, passed bool, outcome, reason string) {
	ids := make([]string, len(g.ids))
	for i, id := range g.ids {
		ids[i] = id.Value
	}
	if outcome == "" && passed {
		outcome = "launched"
	}
	if outcome == "" {
		outcome = "did not fit"
	}
	s.outcomes.add(OfferOutcome{
		Time: s.now().UTC(), Plan: s.activePlan().Name(), Step: step, OfferIDs: ids,
		AgentID: g.merged.AgentID.Value, Hostname: g.merged.Hostname, Passed: passed, Outcome: outcome, Reason: reason,
	})
}

// recordOutcomes keeps the outcome of offers declined together (ids are
// the groups' offer ids, in order), with one allocation for all their ids.
func (s *Service) recordOutcomes(groups []*agentOffers, ids []mesos.OfferID, outcome, reason string) {
	all := make([]string, len(ids))
	for i, id := range ids {
		all[i] = id.Value
	}
	at, planName := s.now().UTC(), s.activePlan().Name()
	for _, g := range groups {
		n := len(g.ids)
		s.outcomes.add(OfferOutcome{
			Time: at, Plan: planName, OfferIDs: all[:n:n],
			AgentID: g.merged.AgentID.Value, Hostname: g.merged.Hostname, Outcome: outcome, Reason: reason,
		})
		all = all[n:]
	}
}

// startCycle opens the summary of an offer cycle.
func (s *Service) startCycle(offerCount, agents int) {
	s.cycle = &OfferCycle{Time: s.now().UTC(), Offers: offerCount, Agents: agents}
}

// countRefusals adds a step's refusals to the cycle's summary.
func (s *Service) countRefusals(t *offers.Tally) {
	if s.cycle == nil {
		return
	}
	for _, c := range t.Counts() {
		merged := false
		for i := range s.cycle.Refusals {
			if r := &s.cycle.Refusals[i]; r.Class == c.Class {
				r.Agents += c.Agents
				for _, e := range c.Examples {
					if len(r.Examples) < maxExamples {
						r.Examples = append(r.Examples, e)
					}
				}
				merged = true
			}
		}
		if !merged {
			s.cycle.Refusals = append(s.cycle.Refusals, ReasonCount{Class: c.Class, Agents: c.Agents, Examples: c.Examples})
		}
	}
}

// decided adds the time a decision of the cycle took.
func (s *Service) decided(start time.Time) {
	if s.cycle != nil {
		s.cycle.Decide += time.Since(start)
	}
}

// finishCycle closes the cycle's summary once its calls are done.
func (s *Service) finishCycle(total time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cycle == nil {
		return
	}
	s.cycle.Total = total
	s.cycles.add(*s.cycle)
	s.cycle = nil
	s.publish()
}

// OfferCycles lists the latest offer cycles, newest first.
func (s *Service) OfferCycles() []OfferCycle { return s.current().cycles }
