package httpapi

import (
	"net/http"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// A service's entity tag is its target configuration id: GET, PUT and a
// 412 answer it as ETag: "<config_id>", and PUT and DELETE take it back in
// If-Match, so that a client that read the service before changing it
// never overwrites a change it has not seen (no lost update).

// setETag sets the ETag of an answer to the configuration id configID.
func setETag(w http.ResponseWriter, configID string) {
	if configID != "" {
		w.Header().Set("ETag", `"`+configID+`"`)
	}
}

// parseIfMatch reads the If-Match header: "" when there is none,
// service.AnyConfig for *, else the one config id it names, with quotes and
// a weak W/ prefix tolerated. Anything else is a 400 that says what to send.
func parseIfMatch(r *http.Request) (string, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return "", nil
	}
	raw := strings.TrimSpace(strings.Join(values, ","))
	if raw == "*" {
		return service.AnyConfig, nil
	}
	if strings.Contains(raw, ",") {
		return "", badRequest(`If-Match names more than one tag; send the one config id the service had when you read it, as If-Match: "<config_id>" (or * for any)`)
	}
	tag := strings.TrimPrefix(raw, "W/")
	tag = strings.TrimSuffix(strings.TrimPrefix(tag, `"`), `"`)
	if !plan.IsUUID(tag) {
		return "", badRequest(`If-Match must be "<config_id>" as GET /v1/services/{name} answers it in ETag and config_id (a UUID), or *; got ` + raw)
	}
	return tag, nil
}
