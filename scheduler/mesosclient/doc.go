// Package mesosclient is the scheduler's connection to a Mesos master through
// the v1 scheduler HTTP API: it finds the leading master (a URL, or zk://
// master detection), subscribes as one framework, reads the RecordIO event
// stream, and sends calls.
//
// It uses mesos-go's generated types and RecordIO reader with the protobuf
// codec, but not mesos-go's httpsched caller, because of the gaps that
// reference/mesos.md §0 lists and a production framework must close itself:
//
//   - 307 redirects are followed for every call, not only SUBSCRIBE, and the
//     new leader is remembered for the calls that follow;
//   - a heartbeat watchdog drops a subscription whose master went silent
//     (five missed heartbeats) and resubscribes;
//   - a non-2xx answer to a call is returned to the caller as an error and
//     does not tear the subscription down (except 403 "Framework is not
//     subscribed": the master dropped us, so the client subscribes again);
//   - resubscription uses capped exponential backoff with jitter;
//   - "Framework has been removed" ends Run with ErrFrameworkRemoved instead of
//     being retried forever, and so does a successful TEARDOWN call;
//   - a master that never answers SUBSCRIBE, or never sends the first event,
//     and a ZooKeeper that never answers are given Config.CallTimeout, then
//     the attempt counts as failed and is retried.
//
// Master addresses are http(s) URLs of any master, or Mesos-style
// zk://[user:password@]host[:port][,host[:port]]/path for ZooKeeper master
// detection (the leader is the json.info_ node with the lowest sequence
// number).
//
// Status updates that carry a uuid are acknowledged after the Handler has
// processed them without error (so the handler can persist first); updates
// without a uuid (reconciliation answers, master-generated updates) are never
// acknowledged, as Mesos requires.
package mesosclient
