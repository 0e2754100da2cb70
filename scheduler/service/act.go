package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Decide, then act.
//
// Everything that changes a service is a decision: a function run under
// s.mu that reads and changes the in-memory model and does no I/O. It
// returns effects: state writes, to be made one after the other, then
// Mesos calls. The service goroutine (Run's loop) carries them out with
// the lock released, each bounded by its deadline, and hands each
// outcome back to a follow-up decision, again under the lock. Because a
// single goroutine runs the jobs one at a time, a decision always sees the
// outcomes of every job before it, and the order of writes and calls is the
// order in which they were decided.
//
// The guarantees of the state layout come from that order: a task record
// is one of the writes of the offer cycle that launches it, and its ACCEPT
// is only decided once the write succeeded; a status update's write comes
// before the job ends, and mesosclient acknowledges the update only when
// the job ended without error.

// effects are what one decision asks the service goroutine to do. Kafka
// calls (rolling.go) are carried out like Mesos calls: off the lock, each
// within its deadline, its verdict applied by a follow-up decision.
type effects struct {
	// writes are made in order.
	writes []write
	// after, when set, is decided under the lock once every write is done
	// and its outcome applied: what follows depends on which writes
	// succeeded (the offer cycle's calls). Its effects run before calls.
	after func() effects
	// calls are sent in order, after the writes.
	calls []call
	// kafka are the calls to the service's Kafka cluster, made in order
	// after the Mesos calls (rolling.go).
	kafka []kafkaCall
	// err is the decision's answer to whoever asked for it (a refused
	// update, a status that could not be stored).
	err error
}

// write is one state store write.
type write struct {
	// what says what the write does, for errors and logs: "storing the
	// status of task x".
	what string
	do   func(context.Context, state.Store) error
	// then, when set, applies the outcome under the lock and may ask for
	// more; when nil, a failure is logged.
	then func(err error) effects
}

// call is one Mesos call.
type call struct {
	what string
	call *scheduler.Call
	// then, when set, applies the outcome under the lock and may ask for
	// more; when nil, a failure is logged.
	then func(err error) effects
}

// failed is the effects of a decision that refuses: nothing to do, and err
// for the caller.
func failed(err error) effects { return effects{err: err} }

// join appends other's writes and calls to fx; the first error wins.
func (fx effects) join(other effects) effects {
	fx.writes = append(fx.writes, other.writes...)
	fx.calls = append(fx.calls, other.calls...)
	fx.kafka = append(fx.kafka, other.kafka...)
	if fx.err == nil {
		fx.err = other.err
	}
	if other.after != nil {
		first := fx.after
		fx.after = func() effects {
			var out effects
			if first != nil {
				out = first()
			}
			return out.join(other.after())
		}
	}
	return fx
}

// setWrite stores one key.
func setWrite(what, key string, value []byte, then func(error) effects) write {
	return write{what: what, then: then, do: func(ctx context.Context, st state.Store) error {
		return st.Set(ctx, key, value)
	}}
}

// commitWrite stores several keys at once, all or nothing.
func commitWrite(what string, ops []state.Op, then func(error) effects) write {
	return write{what: what, then: then, do: func(ctx context.Context, st state.Store) error {
		return st.Commit(ctx, ops...)
	}}
}

// deleteTreeWrite deletes a key and everything below it.
func deleteTreeWrite(what, key string, then func(error) effects) write {
	return write{what: what, then: then, do: func(ctx context.Context, st state.Store) error {
		return st.DeleteRecursive(ctx, key)
	}}
}

// job is one piece of work for the service goroutine.
type job struct {
	what   string
	decide func() effects // run under s.mu
	done   chan error     // buffered: the asker may have given up
}

// errStopped answers jobs submitted to a service whose Run has ended.
var errStopped = errors.New("the service is not running (uninstalled, or the scheduler is stopping)")

// submit hands a decision to the service goroutine and waits until its
// effects were carried out; it returns the decision's error, or ctx's when
// ctx ends first (the job still runs).
func (s *Service) submit(ctx context.Context, what string, decide func() effects) error {
	j := job{what: what, decide: decide, done: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-s.stopped:
		return fmt.Errorf("%s: service %s: %w", what, s.name, errStopped)
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for service %s: %w", what, s.name, ctx.Err())
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for service %s: %w", what, s.name, ctx.Err())
	}
}

// runJob decides under the lock, then carries out the effects. Only the
// service goroutine calls it.
func (s *Service) runJob(ctx context.Context, decide func() effects) error {
	return s.act(ctx, s.locked(decide))
}

// locked runs a decision under the lock and publishes the view of what it
// changed, unless the decision waits for writes: then what it changed is
// published once they are done, so that readers never see a launch or a
// configuration that is not stored yet.
func (s *Service) locked(decide func() effects) effects {
	s.mu.Lock()
	defer s.mu.Unlock()
	fx := decide()
	if len(fx.writes) == 0 {
		s.publish()
	}
	return fx
}

// act carries out effects: the writes in order, each outcome applied by its
// follow-up, then the after decision's effects, then the calls. It returns
// the first error any decision answered with.
func (s *Service) act(ctx context.Context, fx effects) error {
	errs := fx.err
	keep := func(more effects) {
		if err := s.act(ctx, more); err != nil && errs == nil {
			errs = err
		}
	}
	for _, w := range fx.writes {
		err := s.storeWrite(ctx, w)
		if w.then != nil {
			keep(s.locked(func() effects { return w.then(err) }))
		} else if err != nil {
			s.log.Warn("state store write failed", "what", w.what, "error", err)
		}
	}
	if len(fx.writes) > 0 {
		// What the decision changed, now stored; published under a
		// deferred unlock (locked), so that a panic cannot leave s.mu
		// held.
		s.locked(func() effects { return effects{} })
	}
	if fx.after != nil {
		keep(s.locked(fx.after))
	}
	for _, c := range fx.calls {
		err := s.mesosCall(ctx, c.call)
		if c.then != nil {
			keep(s.locked(func() effects { return c.then(err) }))
		} else if err != nil {
			s.log.Warn("Mesos call failed", "what", c.what, "error", err)
		}
	}
	for _, c := range fx.kafka {
		keep(s.locked(s.kafkaCallOut(ctx, c)))
	}
	return errs
}

// storeWrite makes one write within the store deadline.
func (s *Service) storeWrite(ctx context.Context, w write) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timing.StoreTimeout)
	defer cancel()
	if err := w.do(ctx, s.store); err != nil {
		return fmt.Errorf("%s: %w", w.what, err)
	}
	return nil
}

// mesosCall sends one call within the call deadline and counts the
// operations Mesos accepted.
func (s *Service) mesosCall(ctx context.Context, c *scheduler.Call) error {
	if s.conn == nil {
		return fmt.Errorf("sending %s: not connected to Mesos", c.GetType())
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timing.CallTimeout)
	defer cancel()
	if err := s.conn.Call(ctx, c); err != nil {
		return err
	}
	for _, op := range c.GetAccept().GetOperations() {
		s.metrics.Operation(lower(op.GetType().String()))
	}
	return nil
}
