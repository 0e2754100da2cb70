package agent

import (
	"bytes"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/wire"
)

// The status update manager: per task, updates are delivered in order; the
// first unacknowledged one is re-sent with exponential backoff until the
// framework acknowledges it, then the next one goes out.

type streamKey struct{ framework, task string }

type updateStream struct {
	framework  mesos.FrameworkID
	pending    []mesos.TaskStatus
	latest     mesos.TaskState
	checkpoint bool
	backoff    time.Duration
	timer      *time.Timer
}

func (s *updateStream) stop() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

func isTerminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TASK_FINISHED, mesos.TASK_FAILED, mesos.TASK_KILLED, mesos.TASK_ERROR,
		mesos.TASK_LOST, mesos.TASK_DROPPED, mesos.TASK_GONE, mesos.TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}

func (a *Agent) enqueueUpdate(fwID mesos.FrameworkID, st mesos.TaskStatus, checkpoint bool) {
	key := streamKey{fwID.Value, st.TaskID.Value}
	s := a.streams[key]
	if s == nil {
		s = &updateStream{framework: fwID, checkpoint: checkpoint}
		a.streams[key] = s
	}
	s.pending = append(s.pending, st)
	s.latest = st.GetState()
	if len(s.pending) == 1 {
		s.backoff = a.cfg.StatusUpdateRetry
		a.sendHead(key, s)
	}
}

// sendHead sends the first pending update of a stream and schedules its
// retry.
func (a *Agent) sendHead(key streamKey, s *updateStream) {
	s.stop()
	if len(s.pending) == 0 {
		return
	}
	if a.registered {
		if m := a.cfg.Master(); m != nil {
			head := s.pending[0]
			head.AgentID = &mesos.AgentID{Value: a.id.Value}
			m.StatusUpdate(wire.StatusUpdate{FrameworkID: s.framework, AgentID: a.id, Status: head, LatestState: s.latest})
		}
	}
	delay := s.backoff
	s.backoff *= 2
	if s.backoff > a.cfg.StatusUpdateRetryMax {
		s.backoff = a.cfg.StatusUpdateRetryMax
	}
	s.timer = time.AfterFunc(delay, func() {
		a.post(func() {
			if a.streams[key] == s {
				a.sendHead(key, s)
			}
		})
	})
}

// flushUpdates re-sends the head of every stream at once, as the agent does
// after (re)registering.
func (a *Agent) flushUpdates() {
	for key, s := range a.streams {
		s.backoff = a.cfg.StatusUpdateRetry
		a.sendHead(key, s)
	}
}

// acknowledge handles a framework's acknowledgement forwarded by the master.
func (a *Agent) acknowledge(fwID mesos.FrameworkID, taskID mesos.TaskID, uuid []byte) {
	key := streamKey{fwID.Value, taskID.Value}
	s := a.streams[key]
	if s == nil || len(s.pending) == 0 {
		a.log.Debug("ignoring acknowledgement of an unknown update stream", "framework", fwID.Value, "task", taskID.Value)
		return
	}
	head := s.pending[0]
	if !bytes.Equal(head.UUID, uuid) {
		a.log.Debug("ignoring acknowledgement of an update that is not the oldest pending one", "task", taskID.Value)
		return
	}
	s.pending = s.pending[1:]
	s.stop()
	if isTerminal(head.GetState()) {
		delete(a.streams, key)
		if fw := a.frameworks[fwID.Value]; fw != nil {
			delete(fw.completed, taskID.Value)
			a.forgetFrameworkIfDone(fw)
		}
		a.saveState()
		return
	}
	a.saveState()
	if len(s.pending) > 0 {
		s.backoff = a.cfg.StatusUpdateRetry
		a.sendHead(key, s)
	}
}

// pendingUpdates returns the unacknowledged updates of a task.
func (a *Agent) pendingUpdates(fwID, taskID string) []mesos.TaskStatus {
	if s := a.streams[streamKey{fwID, taskID}]; s != nil {
		return s.pending
	}
	return nil
}
