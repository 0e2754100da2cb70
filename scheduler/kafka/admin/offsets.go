package admin

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// OffsetQuery says which offset of each partition to look up.
type OffsetQuery struct {
	kind   offsetKind
	millis int64
}

type offsetKind int

const (
	firstOffset offsetKind = iota + 1
	lastOffset
	atTime
)

// FirstOffsets asks for each partition's log start offset.
func FirstOffsets() OffsetQuery { return OffsetQuery{kind: firstOffset} }

// LastOffsets asks for each partition's high watermark (the offset the next
// record gets).
func LastOffsets() OffsetQuery { return OffsetQuery{kind: lastOffset} }

// OffsetsAt asks for each partition's first offset whose record timestamp
// is at or after t.
func OffsetsAt(t time.Time) OffsetQuery { return OffsetQuery{kind: atTime, millis: t.UnixMilli()} }

// ParseOffsetQuery reads the DC/OS offsets API's time parameter: "first" or
// -2, "last" or -1, or a Unix time in milliseconds.
func ParseOffsetQuery(s string) (OffsetQuery, error) {
	switch strings.TrimSpace(strings.ToLower(s)) {
	case "first", "earliest", "-2":
		return FirstOffsets(), nil
	case "last", "latest", "-1", "":
		return LastOffsets(), nil
	}
	ms, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || ms < 0 {
		var ps validation.Problems
		ps.Add("time", s, `must be "first" (-2), "last" (-1) or a Unix time in milliseconds`)
		return OffsetQuery{}, ps
	}
	return OffsetQuery{kind: atTime, millis: ms}, nil
}

func (q OffsetQuery) String() string {
	switch q.kind {
	case firstOffset:
		return "first"
	case lastOffset:
		return "last"
	case atTime:
		return "at " + time.UnixMilli(q.millis).UTC().Format(time.RFC3339Nano)
	}
	return "unset"
}

// PartitionOffset is one partition's offset.
type PartitionOffset struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
	// Timestamp is the record's timestamp for a time query, -1 otherwise
	// or when no record is that recent (Offset is then the end offset).
	Timestamp int64 `json:"timestamp"`
	Err       error `json:"-"`
}

// Offsets looks up an offset of every partition of a topic. A partition
// that cannot answer (no leader, for example) carries its error in Err.
func (c *Client) Offsets(ctx context.Context, topic string, q OffsetQuery) ([]PartitionOffset, error) {
	var ps validation.Problems
	checkTopicName(&ps, topic)
	if q.kind == 0 {
		ps.Add("time", "", `say which offsets: first, last or a time`)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	var listed kadm.ListedOffsets
	var err error
	switch q.kind {
	case firstOffset:
		listed, err = c.adm.ListStartOffsets(ctx, topic)
	case lastOffset:
		listed, err = c.adm.ListEndOffsets(ctx, topic)
	default:
		listed, err = c.adm.ListOffsetsAfterMilli(ctx, q.millis, topic)
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s offsets of topic %q: %w", q, topic, err)
	}
	var out []PartitionOffset
	for _, o := range listed[topic] {
		if o.Partition < 0 {
			return nil, fmt.Errorf("listing %s offsets of topic %q: %w", q, topic, o.Err)
		}
		po := PartitionOffset{Partition: o.Partition, Offset: o.Offset, Timestamp: o.Timestamp}
		if q.kind != atTime {
			po.Timestamp = -1
		}
		if o.Err != nil {
			po.Err = fmt.Errorf("partition %d of topic %q: %w", o.Partition, topic, o.Err)
		}
		out = append(out, po)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("listing %s offsets of topic %q: the cluster returned no partitions", q, topic)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out, nil
}
