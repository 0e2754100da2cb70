package api

import (
	"context"
	"encoding/json"
	"net/http"
)

// Services lists the installed services, sorted by name.
func (c *Client) Services(ctx context.Context) ([]ServiceSummary, error) {
	var out []ServiceSummary
	err := c.getJSON(ctx, "/v1/services", &out)
	return out, err
}

// PutOptions are the optional parts of PutService.
type PutOptions struct {
	// IfMatch, when set, makes the call fail with a 412 (IsPreconditionFailed)
	// unless the service's target configuration is still this config id.
	IfMatch string
}

// PutService installs the service with options (JSON in the DC/OS
// service/brokers/kafka shape), or updates it to them. Invalid options are
// a 400 whose problems ProblemsOf lists; nothing changes then.
func (c *Client) PutService(ctx context.Context, name string, options json.RawMessage, opts PutOptions) (PutResult, error) {
	r := request{
		method: http.MethodPut, path: servicePath("/v1/services/", name), body: options,
		ok: []int{http.StatusOK, http.StatusCreated}, idempotent: true,
	}
	if opts.IfMatch != "" {
		r.header = http.Header{"If-Match": {`"` + opts.IfMatch + `"`}}
	}
	res, err := c.do(ctx, r)
	if err != nil {
		return PutResult{}, err
	}
	var out PutResult
	return out, decode(res, r.path, &out)
}

// GetService describes one service; a 404 (IsNotFound) when it is not
// installed.
func (c *Client) GetService(ctx context.Context, name string) (ServiceDetail, error) {
	var out ServiceDetail
	err := c.getJSON(ctx, servicePath("/v1/services/", name), &out)
	return out, err
}

// DeleteService starts the uninstall of a service and returns at once; the
// uninstall shows in the service's deploy plan until GetService answers
// 404 (WaitServiceGone waits for that).
func (c *Client) DeleteService(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{
		method: http.MethodDelete, path: servicePath("/v1/services/", name),
		ok: []int{http.StatusAccepted}, idempotent: true,
	})
	return err
}

// PreviewService validates options as PutService would and returns what
// the call would do, changing nothing.
func (c *Client) PreviewService(ctx context.Context, name string, options json.RawMessage) (Preview, error) {
	path := servicePath("/v1/services/", name, "preview")
	// A preview changes nothing, so it is safe to retry.
	res, err := c.do(ctx, request{method: http.MethodPost, path: path, body: options, idempotent: true})
	if err != nil {
		return Preview{}, err
	}
	var out Preview
	return out, decode(res, path, &out)
}
