package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Polling for a change to show in metadata starts fast, since the dev
// stand-in and a KRaft cluster usually show it at once, and backs off for
// slow clusters.
const (
	pollFirst = 5 * time.Millisecond
	pollMax   = 250 * time.Millisecond
)

// poll calls check until it reports done, ctx ends or check fails. what
// names the wait in the error when ctx ends first; last (if not nil) says
// where things stood.
func poll(ctx context.Context, what string, check func(context.Context) (done bool, last string, err error)) error {
	wait := pollFirst
	for {
		done, last, err := check(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			if last != "" {
				return fmt.Errorf("waiting for %s (%s): %w", what, last, ctx.Err())
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, pollMax)
	}
}

// waitTopicShows waits until fresh metadata shows the topic with at least
// partitions partitions and returns it.
func (c *Client) waitTopicShows(ctx context.Context, name string, partitions int32) (Topic, error) {
	var out Topic
	err := poll(ctx, fmt.Sprintf("topic %q to show %d partitions in metadata", name, partitions), func(ctx context.Context) (bool, string, error) {
		md, err := c.freshMetadata(ctx, name)
		if err != nil {
			return false, "", fmt.Errorf("reading topic %q: %w", name, err)
		}
		t, err := md.topic(name)
		switch {
		case errors.Is(err, kerr.UnknownTopicOrPartition) || errors.Is(err, kerr.LeaderNotAvailable):
			return false, "not in metadata yet", nil
		case err != nil:
			return false, "", kafkaErr("reading topic", name, err, "")
		case int32(len(t.Partitions)) < partitions:
			return false, fmt.Sprintf("%d partitions so far", len(t.Partitions)), nil
		}
		out = t
		return true, "", nil
	})
	return out, err
}

// waitTopicGone waits until fresh metadata no longer shows the topic.
func (c *Client) waitTopicGone(ctx context.Context, name string) error {
	return poll(ctx, fmt.Sprintf("topic %q to leave metadata after its deletion", name), func(ctx context.Context) (bool, string, error) {
		md, err := c.freshMetadata(ctx, name)
		if err != nil {
			return false, "", fmt.Errorf("reading topic %q: %w", name, err)
		}
		_, err = md.topic(name)
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return true, "", nil
		}
		return false, "still in metadata", nil
	})
}
