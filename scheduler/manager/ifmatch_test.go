package manager_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// optionsWithRetention is a one-broker service whose options differ only
// by a Kafka property, so that every value is a new configuration.
func optionsWithRetention(hours int) string {
	return fmt.Sprintf(`{"brokers": {"count": 1}, "kafka": {"log_retention_hours": %d}}`, hours)
}

// No lost update: an update or uninstall naming a configuration that is no
// longer the target is refused and changes nothing; concurrent updates are
// accepted one at a time and the history lists each, in order.
func TestIfMatchAndConcurrentUpdates(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 1})
	ctx := context.Background()
	installed := h.install("kafka", optionsWithRetention(1))
	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}

	// 20 concurrent updates without If-Match: each is accepted, none fails.
	const n = 20
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.mgr.PutService(ctx, "kafka", []byte(optionsWithRetention(100+i)), "")
			ids[i], errs[i] = res.ConfigID, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent update %d: %v", i, err)
		}
	}
	history, err := svc.ConfigurationHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for k, e := range history {
		listed = append(listed, e.ID)
		if k > 0 && e.Accepted.Before(history[k-1].Accepted) {
			t.Errorf("history out of order at %d: %v", k, history)
		}
	}
	if len(history) != n+1 || listed[0] != installed.ConfigID {
		t.Fatalf("history %v: want the install and the %d updates", listed, n)
	}
	for i, id := range ids {
		if !slices.Contains(listed, id) {
			t.Errorf("update %d's configuration %s is not in the history %v", i, id, listed)
		}
	}
	_, target := svc.Spec()
	if target != listed[len(listed)-1] {
		t.Errorf("target %s, but the history ends with %s", target, listed[len(listed)-1])
	}
	// The target is the options of the update accepted last.
	last := slices.Index(ids, target)
	if spec, _ := svc.Spec(); last < 0 || spec.Options.Kafka.LogRetentionHours != 100+last {
		t.Errorf("target %s (update %d) holds log_retention_hours %d", target, last, spec.Options.Kafka.LogRetentionHours)
	}

	// A stale If-Match changes nothing.
	before, _ := svc.ConfigurationHistory(ctx)
	_, err = h.mgr.PutService(ctx, "kafka", []byte(optionsWithRetention(7)), installed.ConfigID)
	var pf *service.PreconditionFailedError
	if !errors.As(err, &pf) || pf.Current != target || pf.Expected != installed.ConfigID {
		t.Fatalf("stale If-Match: %v", err)
	}
	if err := h.mgr.DeleteService(ctx, "kafka", installed.ConfigID); !errors.As(err, &pf) {
		t.Fatalf("stale If-Match on DELETE: %v", err)
	}
	after, _ := svc.ConfigurationHistory(ctx)
	if _, now := svc.Spec(); now != target || !slices.Equal(before, after) || svc.Detail().Uninstalling {
		t.Fatalf("a refused request changed the service: target %s→%s, history %v→%v", target, now, before, after)
	}

	// 20 concurrent updates that all expect the current target: exactly
	// one wins, the others are told what it became.
	results := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.mgr.PutService(ctx, "kafka", []byte(optionsWithRetention(200+i)), target)
			results[i], errs[i] = res.ConfigID, err
		}()
	}
	wg.Wait()
	var winner string
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Fatalf("two updates expecting %s were accepted: %s and %s", target, winner, results[i])
			}
			winner = results[i]
		case errors.As(err, &pf):
		default:
			t.Fatalf("update %d: %v (want success or a precondition failure)", i, err)
		}
	}
	if winner == "" {
		t.Fatal("no update expecting the current target was accepted")
	}
	for i, err := range errs {
		if errors.As(err, &pf) && pf.Current != winner {
			t.Errorf("refused update %d was told the target is %s, but %s won", i, pf.Current, winner)
		}
	}
	final, _ := svc.ConfigurationHistory(ctx)
	if final[len(final)-1].ID != winner || len(final) > n+2 {
		t.Errorf("history after the contest: %d entries ending with %s, want at most %d ending with %s", len(final), final[len(final)-1].ID, n+2, winner)
	}
	// Any existing target matches "*"; the uninstall goes through.
	if err := h.mgr.DeleteService(ctx, "kafka", service.AnyConfig); err != nil {
		t.Fatalf("DELETE with *: %v", err)
	}
	h.waitGone("kafka", 60*time.Second)
}
