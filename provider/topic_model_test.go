package provider

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

func TestSplitTopicIDSplitsAtTheLastSlash(t *testing.T) {
	for id, want := range map[string][2]string{
		"events/orders":          {"events", "orders"},
		"prod/kafka/audit.log-1": {"prod/kafka", "audit.log-1"},
	} {
		c, n, err := splitTopicID(id)
		if err != nil || c != want[0] || n != want[1] {
			t.Errorf("splitTopicID(%q) = %q, %q, %v; want %q, %q", id, c, n, err, want[0], want[1])
		}
	}
	for _, bad := range []string{"", "orders", "/orders", "events/"} {
		if _, _, err := splitTopicID(bad); err == nil {
			t.Errorf("splitTopicID(%q) must fail", bad)
		}
	}
}

func TestConfigChangeSetsChangedAndResetsRemovedKeys(t *testing.T) {
	u := configChange(
		map[string]string{"retention.ms": "1", "cleanup.policy": "delete", "segment.ms": "5"},
		map[string]string{"retention.ms": "2", "segment.ms": "5", "max.message.bytes": "100"},
	)
	if want := map[string]string{"retention.ms": "2", "max.message.bytes": "100"}; !reflect.DeepEqual(u.Set, want) {
		t.Errorf("Set = %v, want %v", u.Set, want)
	}
	if want := []string{"cleanup.policy"}; !reflect.DeepEqual(u.Reset, want) {
		t.Errorf("Reset = %v, want %v", u.Reset, want)
	}
	if u := configChange(map[string]string{"a": "1"}, map[string]string{"a": "1"}); len(u.Set)+len(u.Reset) != 0 {
		t.Errorf("no change must send nothing, got %+v", u)
	}
}

func TestValidateTopicConfigRefusesWhatTheSchedulerRefuses(t *testing.T) {
	m := types.MapValueMust(types.StringType, map[string]attr.Value{
		"retention.ms":           types.StringValue("86400000"),
		"retention.msec":         types.StringValue("1"),
		"log.retention.ms":       types.StringValue("1"),
		"message.format.version": types.StringValue("3.0"),
		"cleanup.policy":         types.StringValue("sometimes"),
	})
	diags := validateTopicConfig(context.Background(), m)
	if diags.ErrorsCount() != 4 {
		t.Fatalf("want 4 errors (unknown, broker property, read-only, bad value), got %d: %v", diags.ErrorsCount(), diags)
	}
}

// The Reads of one run share one bulk read per cluster; a failed one is
// not kept, and a write drops the listing.
func TestShareRunsOneFetchForConcurrentCallers(t *testing.T) {
	tc := newTopicCache()
	ct := tc.cluster("c")
	var calls atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context) (map[string]api.Topic, error) {
		calls.Add(1)
		<-release
		return map[string]api.Topic{"a": {Name: "a"}}, nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := share(tc, context.Background(), &ct.listing, fetch); err != nil || len(got) != 1 {
				t.Errorf("share = %v, %v", got, err)
			}
		}()
	}
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("20 concurrent readers made %d fetches, want 1", n)
	}
	tc.invalidate("c")
	if _, err := share(tc, context.Background(), &ct.listing, fetch); err != nil || calls.Load() != 2 {
		t.Errorf("after a write the next read must fetch again: %v, %d fetches", err, calls.Load())
	}
	failing := func(context.Context) (map[string]api.Topic, error) { return nil, errors.New("boom") }
	tc.invalidate("c")
	if _, err := share(tc, context.Background(), &ct.listing, failing); err == nil {
		t.Fatal("a failed fetch must be an error")
	}
	if _, err := share(tc, context.Background(), &ct.listing, fetch); err != nil || calls.Load() != 3 {
		t.Errorf("a failed listing must not be kept: %v, %d fetches", err, calls.Load())
	}
}

func TestTopicModelWriteChanged(t *testing.T) {
	ctx := context.Background()
	old := topicModel{
		ID: types.StringValue("c/t"), Cluster: types.StringValue("c"), Name: types.StringValue("t"),
		Partitions: types.Int64Value(3), ReplicationFactor: types.Int64Value(1),
		Config:  types.MapValueMust(types.StringType, map[string]attr.Value{"retention.ms": types.StringValue("1000")}),
		TopicID: types.StringValue("abc"),
	}
	var written []string
	set := func(_ context.Context, p path.Path, _ any) diag.Diagnostics {
		written = append(written, p.String())
		return nil
	}
	same := old
	if diags := same.fill(ctx, "c", api.Topic{Name: "t", ID: "abc", Partitions: 3, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "1000"}}); diags.HasError() {
		t.Fatal(diags)
	}
	same.writeChanged(ctx, old, set)
	if len(written) != 0 {
		t.Fatalf("an unchanged topic wrote %v", written)
	}
	drifted := old
	drifted.fill(ctx, "c", api.Topic{Name: "t", ID: "abc", Partitions: 5, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}})
	drifted.writeChanged(ctx, old, set)
	if got := strings.Join(written, ","); got != "partitions,config" {
		t.Fatalf("drift wrote %q, want partitions,config", got)
	}
}
