// Package wire defines the messages the local Mesos master and its agents
// exchange, the in-process counterpart of the Mesos internal protocol
// (RegisterSlaveMessage, RunTaskGroupMessage, StatusUpdateMessage, ...).
//
// Every call is one-way and must not block: a receiver queues the message and
// handles it on its own goroutine, like a libprocess actor. The local Mesos
// routes the calls through links that failure injection can cut, so a call may
// be silently dropped, as a message on a broken connection would be.
package wire

import (
	"errors"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// ErrUnreachable is returned when the other side cannot be reached (the link
// is cut or there is no leading master).
var ErrUnreachable = errors.New("unreachable")

// Registration is what an agent sends to (re)register with the master.
type Registration struct {
	// Info carries the agent's hostname, resources (as configured, without
	// checkpointed changes), attributes and domain; ID is set when the agent
	// reregisters.
	Info mesos.AgentInfo
	// Checkpointed lists the agent's dynamic reservations and persistent
	// volumes.
	Checkpointed []mesos.Resource
	// Frameworks, Executors and Tasks describe what runs on the agent.
	Frameworks []mesos.FrameworkInfo
	Executors  []mesos.ExecutorInfo
	Tasks      []mesos.Task
	// Agent is how the master reaches this agent.
	Agent Agent
}

// StatusUpdate is a task status update from an agent. Status carries a uuid;
// LatestState is the latest state the agent knows for the task, which may be
// newer than Status.State while earlier updates wait for acknowledgement.
type StatusUpdate struct {
	FrameworkID mesos.FrameworkID
	AgentID     mesos.AgentID
	Status      mesos.TaskStatus
	LatestState mesos.TaskState
}

// Master is the master as its agents see it.
type Master interface {
	// RegisterAgent registers or reregisters an agent and returns its ID. An
	// error means the master refused the agent and told it to shut down.
	RegisterAgent(reg Registration) (mesos.AgentID, error)
	// StatusUpdate forwards a task status update.
	StatusUpdate(u StatusUpdate)
	// ExitedExecutor tells the master that an executor has terminated.
	ExitedExecutor(agentID mesos.AgentID, frameworkID mesos.FrameworkID, executorID mesos.ExecutorID, status int32)
}

// Agent is an agent as the master sees it.
type Agent interface {
	// Ping reports whether the agent answers (health checking).
	Ping() bool
	// RunTask launches a task with the command executor.
	RunTask(framework mesos.FrameworkInfo, task mesos.TaskInfo)
	// RunTaskGroup launches a task group with the default executor.
	RunTaskGroup(framework mesos.FrameworkInfo, executor mesos.ExecutorInfo, group mesos.TaskGroupInfo)
	// KillTask kills a task; policy overrides the task's kill policy.
	KillTask(frameworkID mesos.FrameworkID, taskID mesos.TaskID, policy *mesos.KillPolicy)
	// Acknowledge acknowledges a status update.
	Acknowledge(frameworkID mesos.FrameworkID, taskID mesos.TaskID, uuid []byte)
	// ApplyOperation applies a RESERVE, UNRESERVE, CREATE or DESTROY
	// operation (post-refinement format, unallocated resources).
	ApplyOperation(op mesos.Offer_Operation)
	// ShutdownFramework kills every task of a framework without updates.
	ShutdownFramework(frameworkID mesos.FrameworkID)
	// ShutdownExecutor shuts an executor down (its tasks are killed).
	ShutdownExecutor(frameworkID mesos.FrameworkID, executorID mesos.ExecutorID)
	// ReconcileTasks asks about tasks the master knows but the agent did
	// not report; the agent answers for those it does not know.
	ReconcileTasks(framework mesos.FrameworkInfo, taskIDs []mesos.TaskID)
	// UpdateFramework updates the FrameworkInfo of a framework.
	UpdateFramework(framework mesos.FrameworkInfo)
	// Shutdown tells the agent to kill everything and stop (it was marked
	// gone).
	Shutdown(message string)
}
