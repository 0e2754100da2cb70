package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Kafka is the administration of one service's brokers that the topic and
// broker endpoints use; *admin.Client implements it. Every method validates
// its input before sending anything and returns errors that admin.KindOf
// sorts (see failKafka for the statuses).
type Kafka interface {
	ListTopics(ctx context.Context) ([]string, error)
	DescribeTopic(ctx context.Context, name string) (admin.Topic, error)
	CreateTopic(ctx context.Context, spec admin.TopicSpec) (admin.CreatedTopic, error)
	EnsureTopic(ctx context.Context, spec admin.TopicSpec) (admin.EnsureResult, error)
	ReadTopic(ctx context.Context, name string) (admin.TopicState, error)
	ReadTopics(ctx context.Context, names ...string) ([]admin.TopicState, error)
	UpdateTopicConfig(ctx context.Context, name string, set map[string]string, reset []string) error
	SetPartitions(ctx context.Context, name string, count int32) error
	SetReplicationFactor(ctx context.Context, name string, rf int16) error
	DeleteTopic(ctx context.Context, name string) error
	Offsets(ctx context.Context, topic string, q admin.OffsetQuery) ([]admin.PartitionOffset, error)
	ProducerPerfTest(ctx context.Context, p admin.PerfTest) (admin.PerfResult, error)
	PartitionHealth(ctx context.Context) (admin.HealthReport, error)
	ListBrokers(ctx context.Context) ([]admin.Broker, error)
}

// replicationWait bounds PUT /v2/topics/{topic}/replication below the
// server's write timeout (60 s): a reassignment still running then is a
// 504, and repeating the call waits for it again.
const replicationWait = 50 * time.Second

// maxProducerTestMessages bounds the DC/OS producer test (1 KiB records).
const maxProducerTestMessages = 1_000_000

// topicRoutes registers the DC/OS topic endpoints (/v1/topics, the paths,
// parameters and answers of DC/OS Kafka's TopicsResource) and the JSON
// topic API for programs (/v2/topics).
func (s *server) topicRoutes(r chi.Router) {
	r.Get("/v1/topics", s.withKafka(s.dcosListTopics))
	r.Post("/v1/topics", s.withKafka(s.dcosCreateTopic))
	r.Get("/v1/topics/under_replicated_partitions", s.withKafka(s.dcosUnderReplicated))
	r.Get("/v1/topics/unavailable_partitions", s.withKafka(s.dcosUnavailable))
	r.Get("/v1/topics/{topic}", s.withKafka(s.dcosDescribeTopic))
	r.Post("/v1/topics/{topic}", s.withKafka(s.dcosDescribeTopic))
	r.Put("/v1/topics/{topic}", s.withKafka(s.dcosAlterTopic))
	r.Delete("/v1/topics/{topic}", s.withKafka(s.dcosDeleteTopic))
	r.Get("/v1/topics/{topic}/offsets", s.withKafka(s.dcosOffsets))

	r.Get("/v2/topics", s.withKafka(s.readTopics))
	r.Post("/v2/topics", s.withKafka(s.createTopic))
	r.Get("/v2/topics/{topic}", s.withKafka(s.readTopic))
	r.Put("/v2/topics/{topic}/configs", s.withKafka(s.updateTopicConfigs))
	r.Put("/v2/topics/{topic}/partitions", s.withKafka(s.setTopicPartitions))
	r.Put("/v2/topics/{topic}/replication", s.withKafka(s.setTopicReplication))
	r.Delete("/v2/topics/{topic}", s.withKafka(s.deleteTopic))
}

// kafkaHandler is a topic or broker endpoint; withKafka gets the service's
// Kafka administration first.
type kafkaHandler func(w http.ResponseWriter, r *http.Request, k Kafka)

func (s *server) withKafka(h kafkaHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k, err := s.backend.Kafka(r.Context(), serviceName(r.Context()))
		if err != nil {
			s.failKafka(w, r, err)
			return
		}
		h(w, r, k)
	}
}

// failKafka answers a topic or broker endpoint's error:
//   - the API's own and the backend's errors as errorResponse maps them
//     (bad bodies, validation problems 400, unknown service 404, a
//     service uninstalling 409);
//   - a topic that exists with other settings 409, each difference a
//     problem (field, requested value, the topic's value);
//   - Kafka's answers by admin.KindOf: bad input 400, unknown topic or
//     broker 404, conflicts with the cluster's state 409 (deletion
//     disabled, a reassignment the cluster cannot do), brokers that do not
//     answer or are not there yet 503 (with Retry-After), deadlines 504,
//     anything else 502 (the brokers failed).
func (s *server) failKafka(w http.ResponseWriter, r *http.Request, err error) {
	var (
		se       *statusError
		ps       validation.Problems
		nf       *service.NotFoundError
		conflict *admin.ConflictError
	)
	switch {
	case errors.As(err, &se), errors.As(err, &ps), errors.As(err, &nf), errors.Is(err, service.ErrConflict):
		s.fail(w, r, err)
		return
	case errors.As(err, &conflict):
		problems := make([]api.Problem, len(conflict.Differences))
		for i, d := range conflict.Differences {
			rule := "is not set on the topic"
			if d.Current != "" {
				rule = fmt.Sprintf("is %q on the topic", d.Current)
			}
			problems[i] = api.Problem{Field: d.Field, Value: d.Requested, Rule: rule}
		}
		writeJSON(w, http.StatusConflict, api.ErrorBody{Message: err.Error(), Problems: problems})
		return
	}
	code := http.StatusBadGateway
	switch admin.KindOf(err) {
	case admin.KindInvalid:
		code = http.StatusBadRequest
	case admin.KindNotFound:
		code = http.StatusNotFound
	case admin.KindConflict:
		code = http.StatusConflict
	case admin.KindUnavailable:
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	case admin.KindTimeout:
		code = http.StatusGatewayTimeout
	}
	msg := err.Error()
	if errors.Is(err, kerr.TopicDeletionDisabled) {
		// DC/OS's ZooKeeper-era tool "marked" such a topic and nothing
		// happened; over the Kafka protocol the brokers refuse, so say
		// how to allow it.
		msg += fmt.Sprintf(`; to allow deleting topics, set "delete_topic_enable": true in the kafka options of service %s (PUT /v1/services/%s), which rolls the brokers`,
			serviceName(r.Context()), serviceName(r.Context()))
	}
	if code >= http.StatusInternalServerError {
		s.log.Warn("topic request failed", "method", r.Method, "path", r.URL.Path, "status", code, "error", err)
	}
	writeJSON(w, code, api.ErrorBody{Message: msg})
}

// DC/OS endpoints. Their messages are what Kafka's tools print.

func (s *server) dcosListTopics(w http.ResponseWriter, r *http.Request, k Kafka) {
	names, err := k.ListTopics(r.Context())
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(names))
}

// dcosCreateTopic is POST /v1/topics?name=&partitions=&replication=, as
// kafka-topics.sh --create: a topic that exists already is a 409.
// Partitions and replication left out are the brokers' defaults.
func (s *server) dcosCreateTopic(w http.ResponseWriter, r *http.Request, k Kafka) {
	q := r.URL.Query()
	var ps validation.Problems
	name := q.Get("name")
	if name == "" {
		ps.Add("name", "", "name the topic to create: POST /v1/topics?name=<topic>&partitions=<n>&replication=<n>")
	}
	partitions := queryInt(&ps, q.Get("partitions"), "partitions", -1)
	replication := queryInt(&ps, q.Get("replication"), "replication", -1)
	if err := ps.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	spec := admin.TopicSpec{Name: name, Partitions: int32(partitions), ReplicationFactor: int16(replication)}
	if _, err := k.CreateTopic(r.Context(), spec); err != nil {
		s.failKafka(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Message{Message: fmt.Sprintf("Output: Created topic %q.\n", name)})
}

// queryInt reads an optional whole-number parameter; "" gives def.
func queryInt(ps *validation.Problems, v, field string, def int) int {
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < -1 || n > 1<<15-1 {
		ps.Add(field, v, "must be a whole number (or -1 for the brokers' default)")
		return def
	}
	return n
}

// dcosDescribeTopic answers each partition's state as DC/OS did from
// ZooKeeper, [{"<partition>": {controller_epoch, isr, leader,
// leader_epoch, version}}].
func (s *server) dcosDescribeTopic(w http.ResponseWriter, r *http.Request, k Kafka) {
	t, err := k.DescribeTopic(r.Context(), pathParam(r, "topic"))
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	out := api.DCOSTopic{Partitions: make([]map[string]api.DCOSPartition, 0, len(t.Partitions))}
	for _, p := range t.Partitions {
		out.Partitions = append(out.Partitions, map[string]api.DCOSPartition{
			strconv.Itoa(int(p.Partition)): {ControllerEpoch: 1, ISR: nonNil(p.ISR), Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, Version: 1},
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// dcosAlterTopic is PUT /v1/topics/{topic}?operation=partitions&partitions=N
// or ?operation=producer-test&messages=N.
func (s *server) dcosAlterTopic(w http.ResponseWriter, r *http.Request, k Kafka) {
	q := r.URL.Query()
	topic := pathParam(r, "topic")
	var ps validation.Problems
	switch op := q.Get("operation"); op {
	case "partitions":
		n := queryInt(&ps, q.Get("partitions"), "partitions", 0)
		if q.Get("partitions") == "" {
			ps.Add("partitions", "", "give the new partition count: ?operation=partitions&partitions=<n>")
		}
		if err := ps.Err(); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := k.SetPartitions(r.Context(), topic, int32(n)); err != nil {
			s.failKafka(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, api.Message{Message: "Output: WARNING: If partitions are increased for a topic that has a key, " +
			"the partition logic or ordering of the messages will be affected\nAdding partitions succeeded!\n"})
	case "producer-test":
		n, err := strconv.Atoi(q.Get("messages"))
		if err != nil || n < 1 || n > maxProducerTestMessages {
			ps.Addf("messages", q.Get("messages"), "give how many 1 KiB records to send, 1 to %d: ?operation=producer-test&messages=<n>", maxProducerTestMessages)
			s.fail(w, r, ps)
			return
		}
		// kafka-producer-perf-test --num-records n --throughput 100000
		// --record-size 1024, as DC/OS ran it.
		res, err := k.ProducerPerfTest(r.Context(), admin.PerfTest{Topic: topic, Records: n, RecordSize: 1024, Throughput: 100_000})
		if err != nil {
			s.failKafka(w, r, err)
			return
		}
		if res.Errors > 0 {
			s.failKafka(w, r, fmt.Errorf("producer test on topic %q: %d of %d records failed: %w", topic, res.Errors, n, res.FirstError))
			return
		}
		writeJSON(w, http.StatusOK, api.Message{Message: res.String() + "\n"})
	default:
		ps.Add("operation", op, `must be "partitions" (with partitions=<n>) or "producer-test" (with messages=<n>)`)
		s.fail(w, r, ps)
	}
}

func (s *server) dcosDeleteTopic(w http.ResponseWriter, r *http.Request, k Kafka) {
	topic := pathParam(r, "topic")
	if err := k.DeleteTopic(r.Context(), topic); err != nil {
		s.failKafka(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Message{Message: fmt.Sprintf("Topic %s is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n", topic)})
}

// dcosOffsets is GET /v1/topics/{topic}/offsets?time=first|last|<ms>:
// [{"<partition>": "<offset>"}, ...]. A partition that cannot answer fails
// the whole read (503 when it has no leader).
func (s *server) dcosOffsets(w http.ResponseWriter, r *http.Request, k Kafka) {
	topic := pathParam(r, "topic")
	query, err := admin.ParseOffsetQuery(r.URL.Query().Get("time"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offsets, err := k.Offsets(r.Context(), topic, query)
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	out := make([]map[string]string, 0, len(offsets))
	for _, o := range offsets {
		if o.Err != nil {
			s.failKafka(w, r, o.Err)
			return
		}
		out = append(out, map[string]string{strconv.Itoa(int(o.Partition)): strconv.FormatInt(o.Offset, 10)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) dcosUnderReplicated(w http.ResponseWriter, r *http.Request, k Kafka) {
	s.partitionReport(w, r, k, func(h admin.HealthReport) []admin.PartitionStatus { return h.UnderReplicated })
}

func (s *server) dcosUnavailable(w http.ResponseWriter, r *http.Request, k Kafka) {
	s.partitionReport(w, r, k, func(h admin.HealthReport) []admin.PartitionStatus { return h.Unavailable })
}

// partitionReport answers partitions one line each, as kafka-topics.sh
// --describe prints them ("" when there are none).
func (s *server) partitionReport(w http.ResponseWriter, r *http.Request, k Kafka, pick func(admin.HealthReport) []admin.PartitionStatus) {
	report, err := k.PartitionHealth(r.Context())
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	var b strings.Builder
	for _, p := range pick(report) {
		leader := "none"
		if p.Leader >= 0 {
			leader = strconv.Itoa(int(p.Leader))
		}
		fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\n", p.Topic, p.Partition, leader, joinIDs(p.Replicas), joinIDs(p.ISR))
	}
	writeJSON(w, http.StatusOK, api.Message{Message: b.String()})
}

func joinIDs(ids []int32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(int(id))
	}
	return strings.Join(parts, ",")
}

// The JSON topic API.

func (s *server) readTopics(w http.ResponseWriter, r *http.Request, k Kafka) {
	topics, err := k.ReadTopics(r.Context(), r.URL.Query()["name"]...)
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	out := api.TopicList{Topics: make([]api.Topic, len(topics))}
	for i, t := range topics {
		out.Topics[i] = toTopic(t)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) readTopic(w http.ResponseWriter, r *http.Request, k Kafka) {
	t, err := k.ReadTopic(r.Context(), pathParam(r, "topic"))
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTopic(t))
}

// createTopic is POST /v2/topics: 201 with the topic when created, 200
// when it existed with the same settings, 409 naming every difference.
// partitions and replication_factor left out are -1 (the brokers'
// defaults, matching any existing value).
func (s *server) createTopic(w http.ResponseWriter, r *http.Request, k Kafka) {
	var body struct {
		Name              string            `json:"name"`
		Partitions        *int32            `json:"partitions"`
		ReplicationFactor *int16            `json:"replication_factor"`
		Configs           map[string]string `json:"configs"`
	}
	if err := readJSON(w, r, "the topic", &body); err != nil {
		s.fail(w, r, err)
		return
	}
	spec := admin.TopicSpec{Name: body.Name, Partitions: -1, ReplicationFactor: -1, Configs: body.Configs}
	if body.Partitions != nil {
		spec.Partitions = *body.Partitions
	}
	if body.ReplicationFactor != nil {
		spec.ReplicationFactor = *body.ReplicationFactor
	}
	res, err := k.EnsureTopic(r.Context(), spec)
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	code := http.StatusOK
	if res.Created {
		code = http.StatusCreated
	}
	writeJSON(w, code, toTopic(res.Topic))
}

func (s *server) updateTopicConfigs(w http.ResponseWriter, r *http.Request, k Kafka) {
	var body api.TopicConfigUpdate
	if err := readJSON(w, r, "the config change", &body); err != nil {
		s.fail(w, r, err)
		return
	}
	topic := pathParam(r, "topic")
	s.changeThenRead(w, r, k, topic, func(ctx context.Context) error { return k.UpdateTopicConfig(ctx, topic, body.Set, body.Reset) })
}

func (s *server) setTopicPartitions(w http.ResponseWriter, r *http.Request, k Kafka) {
	var body api.TopicPartitionsUpdate
	if err := readJSON(w, r, "the partition count", &body); err != nil {
		s.fail(w, r, err)
		return
	}
	topic := pathParam(r, "topic")
	s.changeThenRead(w, r, k, topic, func(ctx context.Context) error { return k.SetPartitions(ctx, topic, body.Partitions) })
}

func (s *server) setTopicReplication(w http.ResponseWriter, r *http.Request, k Kafka) {
	var body api.TopicReplicationUpdate
	if err := readJSON(w, r, "the replication factor", &body); err != nil {
		s.fail(w, r, err)
		return
	}
	topic := pathParam(r, "topic")
	s.changeThenRead(w, r, k, topic, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, replicationWait)
		defer cancel()
		return k.SetReplicationFactor(ctx, topic, body.ReplicationFactor)
	})
}

// changeThenRead runs a change and answers with the topic after it.
func (s *server) changeThenRead(w http.ResponseWriter, r *http.Request, k Kafka, topic string, change func(context.Context) error) {
	if err := change(r.Context()); err != nil {
		s.failKafka(w, r, err)
		return
	}
	s.readTopic(w, r, k)
}

func (s *server) deleteTopic(w http.ResponseWriter, r *http.Request, k Kafka) {
	if err := k.DeleteTopic(r.Context(), pathParam(r, "topic")); err != nil {
		s.failKafka(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readJSON reads a JSON body into v, refusing unknown fields and trailing
// data, so that a misspelt field is a 400 rather than silently ignored.
func readJSON(w http.ResponseWriter, r *http.Request, what string, v any) error {
	data, err := readBody(w, r, what)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(fmt.Sprintf("%s is not valid JSON of the expected shape: %v", what, err))
	}
	if dec.More() {
		return badRequest(what + " must be one JSON object")
	}
	return nil
}

func toTopic(t admin.TopicState) api.Topic {
	out := api.Topic{
		Name: t.Name, ID: t.ID, Internal: t.Internal, Partitions: len(t.Partitions), ReplicationFactor: t.ReplicationFactor,
		Configs: t.Configs, PartitionDetails: make([]api.TopicPartition, len(t.Partitions)),
	}
	if out.Configs == nil {
		out.Configs = map[string]string{}
	}
	for i, p := range t.Partitions {
		tp := api.TopicPartition{
			Partition: p.Partition, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch,
			Replicas: nonNil(p.Replicas), ISR: nonNil(p.ISR), OfflineReplicas: nonNil(p.OfflineReplicas),
		}
		var ke *kerr.Error
		if errors.As(p.Err, &ke) {
			tp.Error = ke.Message
		} else if p.Err != nil {
			tp.Error = p.Err.Error()
		}
		out.PartitionDetails[i] = tp
	}
	return out
}
