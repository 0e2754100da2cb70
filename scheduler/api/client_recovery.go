package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// PodReplace answers POST /service/{name}/v1/pod/{pod}/replace: the pod,
// the names of the tasks replaced (dcos-commons' shape), and a warning that
// the broker's local data is lost and rebuilt from the other replicas.
type PodReplace struct {
	Pod     string   `json:"pod"`
	Tasks   []string `json:"tasks"`
	Warning string   `json:"warning"`
}

// ReplacePod replaces a pod instance ("kafka-0"): the broker keeps its id
// and gets fresh reservations and an empty volume, on another agent when
// the placement allows; Kafka copies its partitions from the other
// replicas. Progress shows in the recovery plan (Plan(ctx, service,
// "recovery")).
func (c *Client) ReplacePod(ctx context.Context, service, pod string) (PodReplace, error) {
	path := perService(service, "v1", "pod", url.PathEscape(pod), "replace")
	// Replacing a pod being replaced changes nothing: safe to retry.
	res, err := c.do(ctx, request{method: http.MethodPost, path: path, idempotent: true})
	if err != nil {
		return PodReplace{}, err
	}
	var out PodReplace
	return out, decode(res, path, &out)
}

// ReplaceBroker is DC/OS Kafka's PUT /v1/brokers/{id}?replace=true: it
// replaces broker id as ReplacePod does and returns the ids of the tasks
// replaced.
func (c *Client) ReplaceBroker(ctx context.Context, service string, id int) ([]string, error) {
	path := perService(service, "v1", "brokers", strconv.Itoa(id))
	res, err := c.do(ctx, request{method: http.MethodPut, path: path, query: url.Values{"replace": {"true"}}, idempotent: true})
	if err != nil {
		return nil, err
	}
	var out []string
	return out, decode(res, path, &out)
}

// PausePod relaunches a pod instance's tasks in place with a command that
// keeps the sandbox and volume but does not run Kafka (for debugging);
// the pod status shows PAUSING, then PAUSED. tasks names the tasks
// ("broker" or "kafka-0-broker"); none means all of them.
func (c *Client) PausePod(ctx context.Context, service, pod string, tasks ...string) (PodRestart, error) {
	return c.podGoal(ctx, service, pod, "pause", tasks)
}

// ResumePod relaunches a paused pod instance's tasks with Kafka.
func (c *Client) ResumePod(ctx context.Context, service, pod string, tasks ...string) (PodRestart, error) {
	return c.podGoal(ctx, service, pod, "resume", tasks)
}

func (c *Client) podGoal(ctx context.Context, service, pod, verb string, tasks []string) (PodRestart, error) {
	path := perService(service, "v1", "pod", url.PathEscape(pod), verb)
	// Pausing a paused pod (resuming a running one) changes nothing.
	req := request{method: http.MethodPost, path: path, idempotent: true}
	if len(tasks) > 0 {
		body, err := json.Marshal(tasks)
		if err != nil {
			return PodRestart{}, err
		}
		req.body = body
	}
	res, err := c.do(ctx, req)
	if err != nil {
		return PodRestart{}, err
	}
	var out PodRestart
	return out, decode(res, path, &out)
}
