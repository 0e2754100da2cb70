package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// RestartOptions are the optional parts of RestartPod and RestartBroker.
type RestartOptions struct {
	// Force stops the broker without the restart gate's check (that no
	// partition it replicates is offline, under-replicated or would fall
	// below min.insync.replicas). The answer says the gate was skipped.
	Force bool
}

func (o RestartOptions) query() url.Values {
	if !o.Force {
		return nil
	}
	return url.Values{"force": {"true"}}
}

// RestartPod restarts a pod instance ("kafka-0") in place: the broker is
// relaunched on its own reservations and volume through the deploy plan,
// after the restart gate found it safe (unless opts.Force).
func (c *Client) RestartPod(ctx context.Context, service, pod string, opts RestartOptions) (PodRestart, error) {
	path := perService(service, "v1", "pod", url.PathEscape(pod), "restart")
	res, err := c.do(ctx, request{method: http.MethodPost, path: path, query: opts.query()})
	if err != nil {
		return PodRestart{}, err
	}
	var out PodRestart
	return out, decode(res, path, &out)
}

// RestartBroker restarts broker id in place (DC/OS Kafka's
// PUT /v1/brokers/{id}) and returns the ids of the tasks restarted. With
// opts.Force the answer's Warning header says the restart gate was
// skipped (the body keeps DC/OS's shape, a list of task ids).
func (c *Client) RestartBroker(ctx context.Context, service string, id int, opts RestartOptions) ([]string, error) {
	path := perService(service, "v1", "brokers", strconv.Itoa(id))
	res, err := c.do(ctx, request{method: http.MethodPut, path: path, query: opts.query(), idempotent: true})
	if err != nil {
		return nil, err
	}
	var out []string
	return out, decode(res, path, &out)
}
