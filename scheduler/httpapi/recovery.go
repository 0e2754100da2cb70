package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// recoveryRoutes registers the permanent-recovery and pause endpoints of
// the dcos-commons pods API: replace (fresh reservations and an empty
// volume, same broker id), pause (the task relaunched in place without
// Kafka) and resume. Their progress is the recovery plan's
// (GET /v1/plans/recovery). DC/OS Kafka's PUT /v1/brokers/{id}?replace=true
// is served by restartBroker.
func (s *server) recoveryRoutes(r chi.Router) {
	r.Post("/v1/pod/{pod}/replace", s.with(s.replacePod))
	r.Post("/v1/pod/{pod}/pause", s.with(s.pausePod))
	r.Post("/v1/pod/{pod}/resume", s.with(s.resumePod))
}

func (s *server) replacePod(w http.ResponseWriter, r *http.Request, svc Service) {
	pod, err := svc.ReplacePod(r.Context(), pathParam(r, "pod"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	warnHeader(w, service.ReplaceWarning)
	writeJSON(w, http.StatusOK, api.PodReplace{Pod: pod.Name, Tasks: taskNames(&pod), Warning: service.ReplaceWarning})
}

// replaceBroker is PUT /v1/brokers/{id}?replace=true: it answers the
// replaced task ids, as DC/OS Kafka does, and the warning in a header.
func (s *server) replaceBroker(w http.ResponseWriter, r *http.Request, svc Service, id int) {
	pod, err := svc.ReplacePod(r.Context(), fmt.Sprintf("kafka-%d", id))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]string, len(pod.Tasks))
	for i, t := range pod.Tasks {
		ids[i] = t.ID
	}
	warnHeader(w, service.ReplaceWarning)
	writeJSON(w, http.StatusOK, nonNil(ids))
}

// replaceParam reads ?replace: absent or false (restart in place), or true.
func replaceParam(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("replace"); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, badRequest(fmt.Sprintf("invalid replace=%q: use replace=true to replace the broker (fresh reservations and an empty volume), or leave it out to restart it in place", v))
	}
}

func (s *server) pausePod(w http.ResponseWriter, r *http.Request, svc Service) {
	s.pauseOrResume(w, r, svc, svc.PausePod)
}

func (s *server) resumePod(w http.ResponseWriter, r *http.Request, svc Service) {
	s.pauseOrResume(w, r, svc, svc.ResumePod)
}

// pauseOrResume checks the optional body (a JSON array of task names,
// "broker" or "kafka-0-broker"; empty means every task of the pod, as in
// dcos-commons) and runs op.
func (s *server) pauseOrResume(w http.ResponseWriter, r *http.Request, svc Service, op func(ctx context.Context, pod string) (service.PodInstance, error)) {
	name := pathParam(r, "pod")
	pod, err := s.findPod(r, svc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := readBody(w, r, "the list of tasks")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(data) > 0 {
		var tasks []string
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&tasks); err != nil || dec.More() {
			s.fail(w, r, badRequest(`the body must be a JSON array of task names, such as ["broker"] or ["`+name+`-broker"], or empty for every task of the pod`))
			return
		}
		for _, t := range tasks {
			if !podHasTask(pod, t) {
				s.fail(w, r, &service.NotFoundError{Kind: "Task", Name: fmt.Sprintf("%s in pod %s (its tasks: %s)", t, name, strings.Join(taskNames(&pod), ", "))})
				return
			}
		}
	}
	before, err := op(r.Context(), name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.PodRestart{Pod: before.Name, Tasks: taskNames(&before)})
}

// podHasTask reports whether a task name ("broker" or "kafka-0-broker")
// names a task of the pod.
func podHasTask(pod service.PodInstance, name string) bool {
	for _, t := range pod.Tasks {
		if t.Name == name || t.Name == pod.Name+"-"+name {
			return true
		}
	}
	return false
}
