package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Topic calls. The JSON topic API (/v2/topics) is for programs: creates are
// idempotent, reads carry only each topic's own configs, and every write
// returns once Kafka shows its effect. The DCOS* calls are the DC/OS Kafka
// topic and broker endpoints (/v1/topics, /v1/brokers).
//
// A service still deploying answers 503 until its brokers answer; the
// client retries 503s (honouring Retry-After) within the context.

func topicsPath(service string, rest ...string) string {
	return perService(service, append([]string{"v2", "topics"}, rest...)...)
}

func (c *Client) sendJSON(ctx context.Context, method, path string, in any, ok []int, idempotent bool) (response, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return response{}, fmt.Errorf("encoding the request to %s: %w", path, err)
	}
	return c.do(ctx, request{method: method, path: path, body: body, ok: ok, idempotent: idempotent})
}

// CreateTopic creates a topic, or finds it already there with the same
// settings (created is false). A topic that exists with other settings is
// a 409 *Error whose Problems name every difference (ProblemsOf).
func (c *Client) CreateTopic(ctx context.Context, service string, spec TopicSpec) (topic Topic, created bool, err error) {
	path := topicsPath(service)
	// Idempotent by design: repeating it after a lost answer is safe.
	res, err := c.sendJSON(ctx, http.MethodPost, path, spec, []int{http.StatusCreated, http.StatusOK}, true)
	if err != nil {
		return Topic{}, false, err
	}
	if err := decode(res, path, &topic); err != nil {
		return Topic{}, false, err
	}
	return topic, res.status == http.StatusCreated, nil
}

// Topic reads one topic; a 404 *Error when it does not exist.
func (c *Client) Topic(ctx context.Context, service, name string) (Topic, error) {
	var out Topic
	err := c.getJSON(ctx, topicsPath(service, url.PathEscape(name)), &out)
	return out, err
}

// Topics reads every topic of a service (internal ones excepted) in one
// request, or with names only those (leaving out the ones that do not
// exist). Sorted by name.
func (c *Client) Topics(ctx context.Context, service string, names ...string) ([]Topic, error) {
	path := topicsPath(service)
	q := url.Values{}
	for _, n := range names {
		q.Add("name", n)
	}
	res, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, idempotent: true})
	if err != nil {
		return nil, err
	}
	var out TopicList
	return out.Topics, decode(res, path, &out)
}

// UpdateTopicConfigs sets and resets configs of a topic in one change and
// returns the topic after it.
func (c *Client) UpdateTopicConfigs(ctx context.Context, service, name string, u TopicConfigUpdate) (Topic, error) {
	return c.putTopic(ctx, topicsPath(service, url.PathEscape(name), "configs"), u)
}

// SetTopicPartitions raises a topic's partition count (a decrease is a 400:
// Kafka cannot remove partitions) and returns the topic after it.
func (c *Client) SetTopicPartitions(ctx context.Context, service, name string, partitions int32) (Topic, error) {
	return c.putTopic(ctx, topicsPath(service, url.PathEscape(name), "partitions"), TopicPartitionsUpdate{Partitions: partitions})
}

// SetTopicReplicationFactor changes a topic's replication factor by
// partition reassignment, returning once it is done; a 409 when the
// cluster cannot reassign.
func (c *Client) SetTopicReplicationFactor(ctx context.Context, service, name string, rf int16) (Topic, error) {
	return c.putTopic(ctx, topicsPath(service, url.PathEscape(name), "replication"), TopicReplicationUpdate{ReplicationFactor: rf})
}

func (c *Client) putTopic(ctx context.Context, path string, in any) (Topic, error) {
	res, err := c.sendJSON(ctx, http.MethodPut, path, in, nil, true)
	if err != nil {
		return Topic{}, err
	}
	var out Topic
	return out, decode(res, path, &out)
}

// DeleteTopic deletes a topic and returns once it is gone; a 404 *Error
// when it does not exist.
func (c *Client) DeleteTopic(ctx context.Context, service, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: topicsPath(service, url.PathEscape(name)), ok: []int{http.StatusNoContent}})
	return err
}

func dcosTopicsPath(service string, rest ...string) string {
	return perService(service, append([]string{"v1", "topics"}, rest...)...)
}

func (c *Client) message(ctx context.Context, method, path string, q url.Values) (string, error) {
	res, err := c.do(ctx, request{method: method, path: path, query: q})
	if err != nil {
		return "", err
	}
	var m Message
	return m.Message, decode(res, path, &m)
}

// DCOSTopicNames lists the topics (GET /v1/topics).
func (c *Client) DCOSTopicNames(ctx context.Context, service string) ([]string, error) {
	var out []string
	err := c.getJSON(ctx, dcosTopicsPath(service), &out)
	return out, err
}

// DCOSCreateTopic creates a topic as kafka-topics.sh --create does (an
// existing topic is a 409); partitions or replication 0 leave the
// parameter out (the brokers' defaults).
func (c *Client) DCOSCreateTopic(ctx context.Context, service, name string, partitions, replication int) (string, error) {
	q := url.Values{"name": {name}}
	if partitions != 0 {
		q.Set("partitions", strconv.Itoa(partitions))
	}
	if replication != 0 {
		q.Set("replication", strconv.Itoa(replication))
	}
	return c.message(ctx, http.MethodPost, dcosTopicsPath(service), q)
}

// DCOSDescribeTopic describes a topic's partitions (GET /v1/topics/{topic}).
func (c *Client) DCOSDescribeTopic(ctx context.Context, service, name string) (DCOSTopic, error) {
	var out DCOSTopic
	err := c.getJSON(ctx, dcosTopicsPath(service, url.PathEscape(name)), &out)
	return out, err
}

// DCOSTopicOffsets lists each partition's offset at time ("first", "last"
// or Unix milliseconds) as [{"<partition>": "<offset>"}, ...].
func (c *Client) DCOSTopicOffsets(ctx context.Context, service, name, time string) ([]map[string]string, error) {
	path := dcosTopicsPath(service, url.PathEscape(name), "offsets")
	res, err := c.do(ctx, request{method: http.MethodGet, path: path, query: url.Values{"time": {time}}, idempotent: true})
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	return out, decode(res, path, &out)
}

// DCOSSetPartitions raises a topic's partition count
// (PUT /v1/topics/{topic}?operation=partitions).
func (c *Client) DCOSSetPartitions(ctx context.Context, service, name string, partitions int) (string, error) {
	q := url.Values{"operation": {"partitions"}, "partitions": {strconv.Itoa(partitions)}}
	return c.message(ctx, http.MethodPut, dcosTopicsPath(service, url.PathEscape(name)), q)
}

// DCOSProducerTest runs the producer performance test on a topic
// (PUT /v1/topics/{topic}?operation=producer-test) and returns its line.
func (c *Client) DCOSProducerTest(ctx context.Context, service, name string, messages int) (string, error) {
	q := url.Values{"operation": {"producer-test"}, "messages": {strconv.Itoa(messages)}}
	return c.message(ctx, http.MethodPut, dcosTopicsPath(service, url.PathEscape(name)), q)
}

// DCOSDeleteTopic deletes a topic (DELETE /v1/topics/{topic}).
func (c *Client) DCOSDeleteTopic(ctx context.Context, service, name string) (string, error) {
	return c.message(ctx, http.MethodDelete, dcosTopicsPath(service, url.PathEscape(name)), nil)
}

// DCOSUnderReplicatedPartitions lists the under-replicated partitions as
// kafka-topics.sh --describe --under-replicated-partitions prints them
// ("" when there are none).
func (c *Client) DCOSUnderReplicatedPartitions(ctx context.Context, service string) (string, error) {
	return c.message(ctx, http.MethodGet, dcosTopicsPath(service, "under_replicated_partitions"), nil)
}

// DCOSUnavailablePartitions lists the partitions without a live leader, as
// kafka-topics.sh --describe --unavailable-partitions prints them.
func (c *Client) DCOSUnavailablePartitions(ctx context.Context, service string) (string, error) {
	return c.message(ctx, http.MethodGet, dcosTopicsPath(service, "unavailable_partitions"), nil)
}

// BrokerIDs lists the live brokers' ids (GET /v1/brokers).
func (c *Client) BrokerIDs(ctx context.Context, service string) ([]string, error) {
	var out DCOSBrokers
	err := c.getJSON(ctx, perService(service, "v1", "brokers"), &out)
	return out.Brokers, err
}

// Broker describes one live broker (GET /v1/brokers/{id}); a 404 when no
// live broker has the id.
func (c *Client) Broker(ctx context.Context, service string, id int) (BrokerDetail, error) {
	var out BrokerDetail
	err := c.getJSON(ctx, perService(service, "v1", "brokers", strconv.Itoa(id)), &out)
	return out, err
}
