// Package api is the scheduler's REST contract: the wire types of every
// request and answer, the error shape, and Client, a typed Go client of the
// API. It uses the standard library only, so that the Terraform provider,
// tests, scripts and any CLI can import it without the scheduler (package
// httpapi serves this contract; it converts the scheduler's domain values
// into these types).
//
// # Using the client
//
//	c, err := api.NewClient(api.ClientConfig{Endpoint: "http://127.0.0.1:8080", Token: token})
//	res, err := c.PutService(ctx, "kafka", json.RawMessage(`{"brokers":{"count":3}}`), api.PutOptions{})
//	plan, err := c.WaitPlan(ctx, "kafka", "deploy", api.WaitOptions{}) // bound ctx with a deadline
//
// Every call takes a context; each attempt is bounded by
// ClientConfig.RequestTimeout as well. Calls are retried with jittered,
// doubling backoff after connection errors (a call that is not idempotent
// only when it never reached the server), after 429 and 503 (honouring
// Retry-After), and after other 5xx answers for idempotent calls. An
// answer with an unexpected status is an *Error carrying the status, the
// server's message and, for invalid options, every problem (ProblemsOf);
// IsNotFound, IsConflict and IsPreconditionFailed test for the common
// cases. WaitPlan returns a *PlanError as soon as a plan is in ERROR and a
// *WaitError, naming the steps still waiting and why, when its context
// ends first.
//
// # Routes
//
// Tokens travel as "Authorization: token=<t>" (DC/OS) or
// "Authorization: Bearer <t>"; without the right one every route but the
// two health routes answers 401. Service names may hold folders
// ("prod/kafka"), written either escaped in one segment ("prod%2Fkafka";
// the client does this) or as plain segments. Errors are JSON ErrorBody
// everywhere. Every route answers 401 without the token, 404 for an unknown
// service, and 503 when the state store is unavailable.
//
//	GET    /v1/health                          200 scheduler liveness, no token
//
//	Management (Client.Services, PutService, GetService, DeleteService, PreviewService)
//	GET    /v1/services                        200 []ServiceSummary
//	PUT    /v1/services/{name}                 201 installed, 200 updated or no-op: PutResult;
//	                                           400 invalid options (every problem), 409 while
//	                                           uninstalling, 413 body over 1 MiB
//	GET    /v1/services/{name}                 200 ServiceDetail
//	DELETE /v1/services/{name}                 202 uninstall started (runs in the background)
//	POST   /v1/services/{name}/preview         200 Preview; 400 as PUT; changes nothing
//
//	Secrets, values write-only (Client.PutSecret, Secrets, GetSecret, DeleteSecret; details in secrets.go)
//	PUT    /v1/secrets/{path}                  201 created, 200 new version: Secret; 400; 413; 501
//	GET    /v1/secrets ; /v1/secrets/{path}    200 []Secret ; Secret (never the value); 404
//	DELETE /v1/secrets/{path}                  204; 404; 409 while a service uses it
//
//	Per service, DC/OS compatible, under /service/{name}
//	GET    /v1/plans                           200 plan names (deploy, recovery)
//	GET    /v1/plans/{plan}                    Plan: 200 COMPLETE, 202 in progress, 417 ERROR; 404
//	POST   /v1/plans/{plan}/{command}          200 Message; 208 already done; 400 bad parameters;
//	                                           404 unknown plan, phase, step or command
//	                                           (continue, interrupt, forceComplete, restart,
//	                                           start, stop; ?phase=&step= names or ids)
//	GET    /v1/plan ; /v1/plan/{command} ; PUT|POST /v1/plan?cmd=   legacy deploy-plan aliases
//	GET    /v1/pod                             200 pod instance names
//	GET    /v1/pod/status                      200 PodsStatus
//	GET    /v1/pod/{pod}/status                200 PodInstance; 404
//	GET    /v1/pod/{pod}/info                  200 []PodTaskInfo; 404
//	POST   /v1/pod/{pod}/restart[?force=true]  200 PodRestart; 404 (restart in place through the deploy plan
//	                                           and the restart gate; force skips the gate and says so)
//	PUT    /v1/brokers/{id}[?force=true]       200 [task ids] (DC/OS broker restart; a Warning header when
//	                                           forced); 400 bad id or force value; 404;
//	                                           ?replace=true replaces it instead (task ids, Warning)
//	POST   /v1/pod/{pod}/replace               200 PodReplace (tasks + data-loss warning); 404; 409
//	                                           (fresh reservations and an empty volume, same broker id;
//	                                           progress in the recovery plan)
//	POST   /v1/pod/{pod}/pause                 200 PodRestart; 400 bad body; 404 unknown pod or task; 409
//	POST   /v1/pod/{pod}/resume                (optional body ["broker"]; relaunched in place without,
//	                                           then with, Kafka through the recovery plan)
//	GET    /v1/endpoints                       200 endpoint names
//	GET    /v1/endpoints/{name}                200 Endpoint (broker) or text (zookeeper); 404
//	GET    /v1/configurations                  200 ids
//	GET    /v1/configurations/targetId         200 ["<id>"]
//	GET    /v1/configurations/{id} ; /target   200 the configuration; 400 not a UUID; 404
//	GET    /v1/state/frameworkId               200 [id]
//	GET    /v1/state/properties[/{name}]       200 names or the JSON value; 404
//	GET    /v1/health                          Health, the code is the status (200 RUNNING,
//	                                           202, 204 DEPLOYING_PENDING, 207, 208, 318, 500); no token
//	GET    /v1/metrics ; /v1/metrics/prometheus     codahale JSON ; Prometheus text
//	GET    /v1/debug/offers ; /v2/debug/offers      200 []OfferOutcome, newest first
//
//	Topics and brokers, DC/OS compatible, under /service/{name} (Client.DCOS*, BrokerIDs, Broker)
//	GET    /v1/topics                          200 topic names
//	POST   /v1/topics?name=&partitions=&replication=   200 Message "Output: Created topic ..."; 409 exists
//	GET|POST /v1/topics/{topic}                200 DCOSTopic; 404
//	GET    /v1/topics/{topic}/offsets?time=first|last|<ms>   200 [{"<partition>":"<offset>"}]; 400
//	PUT    /v1/topics/{topic}?operation=partitions&partitions=N       200 Message; 400 a decrease
//	PUT    /v1/topics/{topic}?operation=producer-test&messages=N      200 Message (the perf-test line)
//	DELETE /v1/topics/{topic}                  200 Message once gone; 404; 409 deletion disabled
//	GET    /v1/topics/under_replicated_partitions ; unavailable_partitions   200 Message, a line each
//	GET    /v1/brokers                         200 DCOSBrokers (live ids as strings)
//	GET    /v1/brokers/{id}                    200 BrokerDetail; 400 not an id; 404 not live
//
//	The JSON topic API for programs, under /service/{name} (Client.CreateTopic, Topic, Topics,
//	UpdateTopicConfigs, SetTopicPartitions, SetTopicReplicationFactor, DeleteTopic)
//	GET    /v2/topics[?name=...]               200 TopicList: every topic (or those named) in one
//	                                           Metadata + one DescribeConfigs request, only each
//	                                           topic's own configs
//	POST   /v2/topics                          TopicSpec: 201 created, 200 exists with the same
//	                                           settings, 409 exists with others (Problems name each
//	                                           difference), 400 invalid
//	GET    /v2/topics/{topic}                  200 Topic; 404
//	PUT    /v2/topics/{topic}/configs          TopicConfigUpdate: 200 Topic; 400
//	PUT    /v2/topics/{topic}/partitions       TopicPartitionsUpdate: 200 Topic; 400 a decrease
//	PUT    /v2/topics/{topic}/replication      TopicReplicationUpdate: 200 Topic once reassigned;
//	                                           400; 409 the cluster cannot reassign; 504 still
//	                                           running after 50 s (repeat to wait again)
//	DELETE /v2/topics/{topic}                  204 once gone; 404; 409 deletion disabled
//
// Every topic and broker route also answers 503 (with Retry-After) while
// the service has no broker or is deploying and its brokers do not answer
// yet, or when its brokers do not answer; 409 while it is uninstalling; 504
// when Kafka does not answer in time; and 502 for other Kafka failures.
// Kafka errors in messages name the topic and the code, such as
// `creating topic "t": Kafka error TOPIC_ALREADY_EXISTS (code 36): ...`.
// The JSON topic API lives under /v2 so that /v1 stays exactly DC/OS's.
package api
