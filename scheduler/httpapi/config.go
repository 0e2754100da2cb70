package httpapi

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
)

// configRoutes registers the configurations API (dcos-commons
// ConfigResource).
func (s *server) configRoutes(r chi.Router) {
	r.Get("/v1/configurations", s.with(s.listConfigurations))
	r.Get("/v1/configurations/targetId", s.with(s.targetConfigurationID))
	r.Get("/v1/configurations/target", s.with(s.targetConfiguration))
	r.Get("/v1/configurations/history", s.with(s.configurationHistory))
	r.Get("/v1/configurations/{id}", s.with(s.getConfiguration))
}

// stateRoutes registers the read side of the state API (dcos-commons
// StateResource).
func (s *server) stateRoutes(r chi.Router) {
	r.Get("/v1/state/frameworkId", s.with(s.frameworkID))
	r.Get("/v1/state/properties", s.with(s.listProperties))
	r.Get("/v1/state/properties/{name}", s.with(s.getProperty))
}

func (s *server) listConfigurations(w http.ResponseWriter, r *http.Request, svc Service) {
	ids, err := svc.ConfigurationIDs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(ids))
}

// configurationHistory answers the stored configurations in the order they
// became the target, oldest first, each with its time and whether it is
// the target (this scheduler's addition; DC/OS's id list stays as it is).
func (s *server) configurationHistory(w http.ResponseWriter, r *http.Request, svc Service) {
	entries, err := svc.ConfigurationHistory(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	target, err := svc.TargetConfigurationID(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]api.ConfigurationEntry, 0, len(entries))
	for _, e := range entries {
		entry := api.ConfigurationEntry{ID: e.ID, Target: e.ID == target}
		if !e.Accepted.IsZero() {
			at := e.Accepted.UTC()
			entry.Accepted = &at
		}
		out = append(out, entry)
	}
	writeJSON(w, http.StatusOK, out)
}

// targetConfigurationID answers ["<id>"], a one-element array as in DC/OS.
func (s *server) targetConfigurationID(w http.ResponseWriter, r *http.Request, svc Service) {
	id, err := svc.TargetConfigurationID(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, []string{id})
}

func (s *server) targetConfiguration(w http.ResponseWriter, r *http.Request, svc Service) {
	id, err := svc.TargetConfigurationID(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeConfiguration(w, r, svc, id)
}

func (s *server) getConfiguration(w http.ResponseWriter, r *http.Request, svc Service) {
	id := pathParam(r, "id")
	if !plan.IsUUID(id) {
		s.fail(w, r, badRequest(fmt.Sprintf("invalid configuration id %q: it must be a UUID (list them with GET /v1/configurations)", id)))
		return
	}
	s.writeConfiguration(w, r, svc, id)
}

func (s *server) writeConfiguration(w http.ResponseWriter, r *http.Request, svc Service, id string) {
	cfg, err := svc.Configuration(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeRawJSON(w, http.StatusOK, cfg)
}

// frameworkID answers ["<id>"], or 404 before the first subscription.
func (s *server) frameworkID(w http.ResponseWriter, r *http.Request, svc Service) {
	id := svc.FrameworkID()
	if id == "" {
		writeError(w, http.StatusNotFound, "Framework ID not found: "+serviceName(r.Context())+" has not registered with Mesos yet")
		return
	}
	writeJSON(w, http.StatusOK, []string{id})
}

func (s *server) listProperties(w http.ResponseWriter, r *http.Request, svc Service) {
	names, err := svc.PropertyNames(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(names))
}

func (s *server) getProperty(w http.ResponseWriter, r *http.Request, svc Service) {
	value, err := svc.Property(r.Context(), pathParam(r, "name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeRawJSON(w, http.StatusOK, value)
}
