package api

import (
	"context"
	"net/http"
	"time"
)

// DeleteOptions are the optional parts of DeleteServiceIf.
type DeleteOptions struct {
	// IfMatch, when set, makes the call fail with a 412 (IsPreconditionFailed,
	// the current id in the error's CurrentConfigID) unless the service's
	// target configuration is still this config id; "*" accepts any.
	IfMatch string
}

// DeleteServiceIf is DeleteService with options: with IfMatch, the
// uninstall only starts when nobody changed the service since the caller
// read its config id.
func (c *Client) DeleteServiceIf(ctx context.Context, name string, opts DeleteOptions) error {
	r := request{
		method: http.MethodDelete, path: servicePath("/v1/services/", name),
		ok: []int{http.StatusAccepted}, idempotent: true,
	}
	if opts.IfMatch != "" {
		r.header = http.Header{"If-Match": {ifMatchValue(opts.IfMatch)}}
	}
	_, err := c.do(ctx, r)
	return err
}

// ifMatchValue quotes a config id as an entity tag; "*" stays as it is.
func ifMatchValue(id string) string {
	if id == "*" {
		return id
	}
	return `"` + id + `"`
}

// ConfigurationEntry is one stored configuration as
// GET /service/{name}/v1/configurations/history lists it.
type ConfigurationEntry struct {
	ID string `json:"id"`
	// Accepted is when it became the target; nil for configurations
	// stored before the scheduler kept the history.
	Accepted *time.Time `json:"accepted,omitempty"`
	// Target is true for the current target.
	Target bool `json:"target"`
}

// ConfigurationHistory lists a service's stored configurations in the
// order they became the target, oldest first (the scheduler keeps the last
// 20 accepted changes besides the target and those tasks run with).
func (c *Client) ConfigurationHistory(ctx context.Context, service string) ([]ConfigurationEntry, error) {
	var out []ConfigurationEntry
	err := c.getJSON(ctx, perService(service, "v1", "configurations", "history"), &out)
	return out, err
}
