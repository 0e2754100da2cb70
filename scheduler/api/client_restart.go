package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// RestartPod restarts a pod instance ("kafka-0") in place: the broker is
// relaunched on its own reservations and volume through the deploy plan.
func (c *Client) RestartPod(ctx context.Context, service, pod string) (PodRestart, error) {
	path := perService(service, "v1", "pod", url.PathEscape(pod), "restart")
	res, err := c.do(ctx, request{method: http.MethodPost, path: path})
	if err != nil {
		return PodRestart{}, err
	}
	var out PodRestart
	return out, decode(res, path, &out)
}

// RestartBroker restarts broker id in place (DC/OS Kafka's
// PUT /v1/brokers/{id}) and returns the ids of the tasks restarted.
func (c *Client) RestartBroker(ctx context.Context, service string, id int) ([]string, error) {
	path := perService(service, "v1", "brokers", strconv.Itoa(id))
	res, err := c.do(ctx, request{method: http.MethodPut, path: path, idempotent: true})
	if err != nil {
		return nil, err
	}
	var out []string
	return out, decode(res, path, &out)
}
