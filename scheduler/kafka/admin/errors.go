package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// KafkaError is an error code a broker answered with: what was being done,
// the topic (or broker) it was about, the code and the broker's message.
// errors.Is(err, kerr.X) matches the code.
type KafkaError struct {
	// Op says what was being done: "creating topic", "deleting topic".
	Op string
	// Topic is the topic the error is about ("" when none).
	Topic string
	// Code is the Kafka error.
	Code *kerr.Error
	// Message is the broker's own message, if it sent one.
	Message string
}

func (e *KafkaError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Topic != "" {
		fmt.Fprintf(&b, " %q", e.Topic)
	}
	fmt.Fprintf(&b, ": Kafka error %s (code %d)", e.Code.Message, e.Code.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	} else if e.Code.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Code.Description)
	}
	return b.String()
}

// Unwrap returns the Kafka error code.
func (e *KafkaError) Unwrap() error { return e.Code }

// kafkaErr wraps err as what happened while doing op on topic: a bare
// Kafka error code becomes a *KafkaError carrying the broker's message;
// anything else (a connection or deadline error, or an error that already
// says what it is about) is wrapped with op and topic.
func kafkaErr(op, topic string, err error, brokerMessage string) error {
	if err == nil {
		return nil
	}
	if code, ok := err.(*kerr.Error); ok {
		return &KafkaError{Op: op, Topic: topic, Code: code, Message: brokerMessage}
	}
	if topic == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s %q: %w", op, topic, err)
}

// Difference is one setting in which an existing topic differs from what a
// request asks for.
type Difference struct {
	// Field is "partitions", "replication_factor" or "configs.<key>".
	Field string `json:"field"`
	// Current is the topic's value ("" when the config is not set on the
	// topic); Requested is the request's ("" when it does not set it).
	Current   string `json:"current"`
	Requested string `json:"requested"`
}

func (d Difference) String() string {
	switch {
	case d.Current == "":
		return fmt.Sprintf("%s is not set on the topic, the request sets %q", d.Field, d.Requested)
	case d.Requested == "":
		return fmt.Sprintf("%s is %q on the topic, the request does not set it", d.Field, d.Current)
	}
	return fmt.Sprintf("%s is %s on the topic, the request asks for %s", d.Field, d.Current, d.Requested)
}

// ConflictError says that a topic exists with other settings than a create
// asked for. Nothing was changed.
type ConflictError struct {
	Topic       string       `json:"topic"`
	Differences []Difference `json:"differences"`
}

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Differences))
	for i, d := range e.Differences {
		parts[i] = d.String()
	}
	return fmt.Sprintf("topic %q already exists with other settings: %s; change the request to match, or change the topic with the update operations (partitions, replication, configs)",
		e.Topic, strings.Join(parts, "; "))
}

// ErrCannotReassign is wrapped by errors saying that the cluster cannot
// carry out a partition reassignment (replication factor change) that was
// asked for: it does not support reassignment, or refuses this one. Nothing
// was changed.
var ErrCannotReassign = errors.New("the cluster cannot reassign the partitions")

// ErrNotReady is wrapped by errors saying that a cluster's brokers are not
// there to answer yet (a service still deploying); callers should try
// again later. KindOf gives KindUnavailable.
var ErrNotReady = errors.New("the brokers are not ready")

// ErrorKind sorts errors for callers that must answer with a status (the
// REST API): what the caller did wrong, what is missing, what conflicts with
// the cluster's state, and what is the cluster's fault.
type ErrorKind int

// Error kinds.
const (
	// KindInternal is anything else: the broker failed in a way the
	// caller cannot fix (5xx).
	KindInternal ErrorKind = iota
	// KindInvalid is bad input: validation problems, or a request the
	// brokers refused as invalid (400).
	KindInvalid
	// KindNotFound is an unknown topic or broker (404).
	KindNotFound
	// KindConflict is a request the cluster's state forbids: a topic
	// that exists with other settings, deletion disabled, a reassignment
	// the cluster cannot do or one already running (409).
	KindConflict
	// KindUnavailable is a cluster that cannot answer now: no broker
	// reachable, no leader, no controller (503).
	KindUnavailable
	// KindTimeout is a deadline that passed before the cluster answered
	// or finished (504).
	KindTimeout
)

func (k ErrorKind) String() string {
	return [...]string{"internal", "invalid", "not found", "conflict", "unavailable", "timeout"}[k]
}

// KindOf sorts an error returned by this package.
func KindOf(err error) ErrorKind {
	var (
		ps       validation.Problems
		conflict *ConflictError
		ke       *kerr.Error
		netErr   net.Error
	)
	switch {
	case err == nil:
		return KindInternal
	case errors.As(err, &ps) && len(ps) > 0:
		return KindInvalid
	case errors.As(err, &conflict), errors.Is(err, ErrCannotReassign):
		return KindConflict
	case errors.Is(err, ErrUnknownBroker):
		return KindNotFound
	case errors.Is(err, ErrNotReady):
		return KindUnavailable
	case errors.As(err, &ke):
		return kindOfCode(ke)
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, kgo.ErrClientClosed), errors.As(err, &netErr), kgo.IsRetryableBrokerErr(err):
		return KindUnavailable
	}
	return KindInternal
}

func kindOfCode(e *kerr.Error) ErrorKind {
	switch e {
	case kerr.UnknownTopicOrPartition, kerr.UnknownTopicID:
		return KindNotFound
	case kerr.TopicAlreadyExists, kerr.TopicDeletionDisabled, kerr.ReassignmentInProgress,
		kerr.NoReassignmentInProgress, kerr.ConcurrentTransactions:
		return KindConflict
	case kerr.InvalidTopicException, kerr.InvalidPartitions, kerr.InvalidReplicationFactor,
		kerr.InvalidReplicaAssignment, kerr.InvalidConfig, kerr.InvalidRequest, kerr.PolicyViolation,
		kerr.RecordListTooLarge, kerr.MessageTooLarge, kerr.InvalidRecord:
		return KindInvalid
	case kerr.RequestTimedOut:
		return KindTimeout
	}
	if e.Retriable {
		return KindUnavailable
	}
	return KindInternal
}
