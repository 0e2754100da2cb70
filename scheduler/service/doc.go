// Package service runs one Kafka service: it is the service's Mesos
// framework and everything between its target configuration and its
// running brokers.
//
// A Service owns, for one service name:
//
//   - its state under dcos-service-<name> (framework ID, configurations and
//     the target through package configstore, one record per broker task
//     with its latest status, properties such as the uninstall bit and the
//     plan overrides), laid out as DC/OS lays it out (see records.go);
//   - its framework subscription through a Connection (package mesosclient
//     in production, servicetest's fake master in tests) with explicit
//     reconciliation after every subscription and implicit reconciliation on
//     a period;
//   - the offer cycle: offers are evaluated (package offers) against the
//     steps of the deploy and recovery plans (package plan) that need resources, matched
//     pods are reserved, get their volume and are launched with LAUNCH_GROUP
//     (the TaskInfo from package taskinfo); reserved resources no broker owns
//     are destroyed and unreserved; unused offers are declined in one call,
//     and the framework suppresses offers while there is nothing to do and
//     revives (rate-limited) when work appears; refusals are counted per
//     reason class (diagnostics.go);
//   - rolling updates (rolling.go): an update becomes a deploy plan built
//     with plan.WithRollout from rollout.Classify (each broker: nothing,
//     launch, restart or reconfigure in place), restarts ordered with the
//     active controller last; the preview is built by the same code. The
//     reconfigure step applies the cluster-wide properties through Kafka;
//     every kill for a relaunch passes the restart gate (CanRestartBroker)
//     when service.rolling_restart_safety_check is on, and a restart step
//     completes only once its broker is back in the ISR (BackInSync), or
//     goes to ERROR when service.isr_wait_timeout_secs runs out. The Kafka
//     connection comes from Config.Kafka (the manager's, one per service);
//   - recovery (recovery.go, replace.go, pause.go, backoff.go): the
//     recovery plan takes over a deployed broker whose task ends, becomes
//     unreachable or gone, or that an operator replaces, pauses or resumes;
//     package recovery decides, each tick, to relaunch it in place (after
//     the launch backoff shared with the deploy plan), wait, or replace it
//     on fresh reservations (by hand, or automatically after the grace
//     period with Kafka's PartitionHealth check off the lock);
//   - the uninstall plan: kill every broker, release every reservation,
//     tear the framework down and delete the service's state.
//
// Every change of a broker's launch is written to the state store before
// Mesos hears of it (the task record before ACCEPT, a status before its
// acknowledgement), so a scheduler killed at any point restarts with the
// same framework ID, reconciles, and neither launches a second broker for a
// pod nor forgets a reservation.
//
// Concurrency: decide, then act (act.go). Every change (a Mesos event, a
// timer, an API call that changes something) is a job of the service
// goroutine, Run's loop, which runs one job at a time: a decision under
// s.mu that does no I/O returns effects (state writes in order, then Mesos
// calls), which the goroutine carries out with the lock released, every
// write within Timing.StoreTimeout and every call within
// Timing.CallTimeout, every Kafka admin call within Timing.KafkaTimeout;
// each outcome is applied by a follow-up decision. No
// lock is held across a network call. Reads never wait (view.go): they are
// served from an immutable view published atomically at the end of every
// decision, so a slow master or ZooKeeper delays the service's own work,
// never its readers.
package service
