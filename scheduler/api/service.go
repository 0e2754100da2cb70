package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// perService is the escaped path of a per-service endpoint
// (/service/{name}/v1/...).
func perService(name string, rest ...string) string {
	return servicePath("/service/", name, rest...)
}

// PlanNames lists a service's plans ("deploy", ...).
func (c *Client) PlanNames(ctx context.Context, service string) ([]string, error) {
	var out []string
	err := c.getJSON(ctx, perService(service, "v1", "plans"), &out)
	return out, err
}

// Plan returns one plan of a service. A plan in ERROR is an answer (417),
// not an error: its Status says so.
func (c *Client) Plan(ctx context.Context, service, plan string) (Plan, error) {
	path := perService(service, "v1", "plans", url.PathEscape(plan))
	res, err := c.do(ctx, request{
		method: http.MethodGet, path: path, idempotent: true,
		ok: []int{http.StatusOK, http.StatusAccepted, http.StatusExpectationFailed},
	})
	if err != nil {
		return Plan{}, err
	}
	var out Plan
	return out, decode(res, path, &out)
}

// Plan commands, as in the DC/OS plans API paths.
const (
	CommandContinue      = "continue"
	CommandInterrupt     = "interrupt"
	CommandForceComplete = "forceComplete"
	CommandRestart       = "restart"
	CommandStart         = "start"
	CommandStop          = "stop"
)

// PlanCommand is an operator command on a plan, a phase or a step.
type PlanCommand struct {
	Command string
	// Phase and Step are names or ids; "" means the whole plan (or phase).
	Phase, Step string
	// Parameters are the start command's environment parameters.
	Parameters map[string]string
}

// RunPlanCommand runs an operator command and returns the server's
// message. A command that has already been done is a 208 answer, which is
// not an error here.
func (c *Client) RunPlanCommand(ctx context.Context, service, plan string, cmd PlanCommand) (string, error) {
	q := url.Values{}
	if cmd.Phase != "" {
		q.Set("phase", cmd.Phase)
	}
	if cmd.Step != "" {
		q.Set("step", cmd.Step)
	}
	var body []byte
	if cmd.Command == CommandStart && cmd.Parameters != nil {
		var err error
		if body, err = json.Marshal(cmd.Parameters); err != nil {
			return "", fmt.Errorf("encoding the start parameters: %w", err)
		}
	}
	path := perService(service, "v1", "plans", url.PathEscape(plan), url.PathEscape(cmd.Command))
	res, err := c.do(ctx, request{
		method: http.MethodPost, path: path, query: q, body: body, idempotent: true,
		ok: []int{http.StatusOK, http.StatusAlreadyReported},
	})
	if err != nil {
		return "", err
	}
	var m Message
	return m.Message, decode(res, path, &m)
}

// WaitOptions tune WaitPlan.
type WaitOptions struct {
	// Interval is the polling period (default 1s).
	Interval time.Duration
	// Progress, when set, is called with every plan read.
	Progress func(Plan)
}

// WaitPlan polls a plan until it is COMPLETE, and returns it. It returns a
// *PlanError as soon as the plan is in ERROR, and ctx's error (wrapped,
// with the last plan read in the message) when ctx ends first: callers
// bound the wait with a deadline on ctx.
func (c *Client) WaitPlan(ctx context.Context, service, plan string, opts WaitOptions) (Plan, error) {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	ticker := time.NewTicker(opts.Interval)
	defer ticker.Stop()
	var last Plan
	for {
		p, err := c.Plan(ctx, service, plan)
		switch {
		case err != nil && ctx.Err() != nil:
			return last, &WaitError{Service: service, Name: plan, Plan: last, Err: ctx.Err()}
		case err != nil:
			return last, fmt.Errorf("waiting for the %s plan of service %s: %w", plan, service, err)
		}
		last = p
		if opts.Progress != nil {
			opts.Progress(p)
		}
		switch p.Status {
		case StatusComplete:
			return p, nil
		case StatusError:
			return p, &PlanError{Service: service, Name: plan, Plan: p}
		}
		select {
		case <-ctx.Done():
			return last, &WaitError{Service: service, Name: plan, Plan: last, Err: ctx.Err()}
		case <-ticker.C:
		}
	}
}

// WaitError is a WaitPlan that ran out of time: the last plan read says
// what was still waiting, and why.
type WaitError struct {
	Service, Name string
	Plan          Plan
	Err           error
}

func (e *WaitError) Error() string {
	var pending []string
	for _, st := range e.Plan.Steps() {
		if st.Status != StatusComplete {
			pending = append(pending, fmt.Sprintf("%s (%s): %s", st.Name, st.Status, st.Message))
		}
	}
	msg := fmt.Sprintf("the %s plan of service %s did not complete in time (status %s)", e.Name, e.Service, e.Plan.Status)
	if len(pending) > 0 {
		msg += "; steps not complete: " + strings.Join(pending, "; ")
	}
	return msg + ": " + e.Err.Error()
}

func (e *WaitError) Unwrap() error { return e.Err }

// PodNames lists a service's pod instances ("kafka-0", ...).
func (c *Client) PodNames(ctx context.Context, service string) ([]string, error) {
	var out []string
	err := c.getJSON(ctx, perService(service, "v1", "pod"), &out)
	return out, err
}

// PodsStatus returns every pod instance with its tasks.
func (c *Client) PodsStatus(ctx context.Context, service string) (PodsStatus, error) {
	var out PodsStatus
	err := c.getJSON(ctx, perService(service, "v1", "pod", "status"), &out)
	return out, err
}

// PodStatus returns one pod instance with its tasks.
func (c *Client) PodStatus(ctx context.Context, service, pod string) (PodInstance, error) {
	var out PodInstance
	err := c.getJSON(ctx, perService(service, "v1", "pod", url.PathEscape(pod), "status"), &out)
	return out, err
}

// PodInfo returns one pod instance's tasks as Mesos TaskInfo and
// TaskStatus JSON.
func (c *Client) PodInfo(ctx context.Context, service, pod string) ([]PodTaskInfo, error) {
	var out []PodTaskInfo
	err := c.getJSON(ctx, perService(service, "v1", "pod", url.PathEscape(pod), "info"), &out)
	return out, err
}

// EndpointNames lists a service's endpoints ("broker", "zookeeper").
func (c *Client) EndpointNames(ctx context.Context, service string) ([]string, error) {
	var out []string
	err := c.getJSON(ctx, perService(service, "v1", "endpoints"), &out)
	return out, err
}

// Endpoint returns a port endpoint ("broker").
func (c *Client) Endpoint(ctx context.Context, service, name string) (Endpoint, error) {
	var out Endpoint
	err := c.getJSON(ctx, perService(service, "v1", "endpoints", url.PathEscape(name)), &out)
	return out, err
}

// EndpointText returns a text endpoint ("zookeeper": the connect string).
func (c *Client) EndpointText(ctx context.Context, service, name string) (string, error) {
	res, err := c.do(ctx, request{method: http.MethodGet, path: perService(service, "v1", "endpoints", url.PathEscape(name)), idempotent: true})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.body)), nil
}

// ConfigurationIDs lists the stored configurations of a service.
func (c *Client) ConfigurationIDs(ctx context.Context, service string) ([]string, error) {
	var out []string
	err := c.getJSON(ctx, perService(service, "v1", "configurations"), &out)
	return out, err
}

// Configuration returns one stored configuration (the service spec JSON).
func (c *Client) Configuration(ctx context.Context, service, id string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.getJSON(ctx, perService(service, "v1", "configurations", url.PathEscape(id)), &out)
	return out, err
}

// TargetConfigurationID is the id of a service's target configuration.
func (c *Client) TargetConfigurationID(ctx context.Context, service string) (string, error) {
	return c.oneID(ctx, perService(service, "v1", "configurations", "targetId"))
}

// FrameworkID is a service's Mesos framework id; a 404 before the
// service's first subscription.
func (c *Client) FrameworkID(ctx context.Context, service string) (string, error) {
	return c.oneID(ctx, perService(service, "v1", "state", "frameworkId"))
}

// oneID reads an id that DC/OS answers as a one-element array ["<id>"].
func (c *Client) oneID(ctx context.Context, path string) (string, error) {
	var out []string
	if err := c.getJSON(ctx, path, &out); err != nil {
		return "", err
	}
	if len(out) != 1 {
		return "", fmt.Errorf("the answer of %s holds %d ids, want one", path, len(out))
	}
	return out[0], nil
}

// PropertyNames lists a service's state properties.
func (c *Client) PropertyNames(ctx context.Context, service string) ([]string, error) {
	var out []string
	err := c.getJSON(ctx, perService(service, "v1", "state", "properties"), &out)
	return out, err
}

// Property returns one state property's JSON value ("suppressed").
func (c *Client) Property(ctx context.Context, service, name string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.getJSON(ctx, perService(service, "v1", "state", "properties", url.PathEscape(name)), &out)
	return out, err
}

// Health returns a service's DC/OS health. Every health code is an
// answer; a 204 (DEPLOYING_PENDING) has no body, so its Name is filled in
// here.
func (c *Client) Health(ctx context.Context, service string) (Health, error) {
	path := perService(service, "v1", "health")
	res, err := c.do(ctx, request{method: http.MethodGet, path: path, idempotent: true, ok: healthCodes})
	if err != nil {
		return Health{}, err
	}
	if len(res.body) == 0 {
		return Health{Code: res.status, Name: healthNames[res.status], Reasons: []string{}}, nil
	}
	var out Health
	return out, decode(res, path, &out)
}

// healthCodes are the DC/OS health codes; healthNames names those that
// answer without a body.
var (
	healthCodes = []int{200, 202, 204, 206, 207, 208, 304, 318, 417, 418, 500}
	healthNames = map[int]string{204: "DEPLOYING_PENDING", 304: "RECOVERY_PENDING"}
)

// OfferOutcomes lists a service's latest offer evaluations, newest first.
func (c *Client) OfferOutcomes(ctx context.Context, service string) ([]OfferOutcome, error) {
	var out []OfferOutcome
	err := c.getJSON(ctx, perService(service, "v1", "debug", "offers"), &out)
	return out, err
}

// SchedulerHealth checks that the scheduler answers (GET /v1/health).
func (c *Client) SchedulerHealth(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/health", idempotent: true})
	return err
}

// WaitServiceGone polls until GetService answers 404 (an uninstall has
// finished) or ctx ends.
func (c *Client) WaitServiceGone(ctx context.Context, name string, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Second
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		_, err := c.GetService(ctx, name)
		switch {
		case IsNotFound(err):
			return nil
		case err != nil && ctx.Err() == nil:
			return fmt.Errorf("waiting for service %s to be uninstalled: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service %s is still uninstalling: %w", name, ctx.Err())
		case <-ticker.C:
		}
	}
}
