package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// restartRoutes registers the restart-in-place endpoints: the dcos-commons
// pod restart and DC/OS Kafka's broker restart. Both restart the broker
// through the deploy plan's restart command on the broker's step, so the
// restart goes the way an update's restart goes: the restart gate checks
// that stopping the broker takes no partition below min.insync.replicas
// (?force=true skips that check, and the answer says so), the old task is
// killed, the broker is relaunched on its own reservations and volume, and
// the step completes when the broker is running, ready and back in the ISR.
// PUT /v1/brokers/{id}?replace=true replaces the broker instead
// (recovery.go).
func (s *server) restartRoutes(r chi.Router) {
	r.Post("/v1/pod/{pod}/restart", s.with(s.restartPod))
	r.Put("/v1/brokers/{id}", s.with(s.restartBroker))
}

// forcedRestartWarning is what a forced restart's answer says.
const forcedRestartWarning = "the restart gate was skipped (?force=true): the broker is stopped without checking that its partitions stay at or above min.insync.replicas, so producers with acks=all may fail until it is back"

func (s *server) restartPod(w http.ResponseWriter, r *http.Request, svc Service) {
	force, err := forceParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pod, err := s.restart(r, svc, pathParam(r, "pod"), force)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	answer := api.PodRestart{Pod: pod.Name, Tasks: taskNames(&pod)}
	if force {
		answer.Forced, answer.Warning = true, forcedRestartWarning
		warnHeader(w, forcedRestartWarning)
	}
	writeJSON(w, http.StatusOK, answer)
}

// restartBroker answers the broker's task ids, as DC/OS Kafka does; a
// forced restart says so in a Warning header, keeping the body's shape.
func (s *server) restartBroker(w http.ResponseWriter, r *http.Request, svc Service) {
	replace, err := replaceParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := strconv.Atoi(pathParam(r, "id"))
	if err != nil || id < 0 {
		s.fail(w, r, badRequest(fmt.Sprintf("invalid broker id %q: it must be a broker id such as 0", pathParam(r, "id"))))
		return
	}
	if replace {
		s.replaceBroker(w, r, svc, id)
		return
	}
	force, err := forceParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pod, err := s.restart(r, svc, fmt.Sprintf("kafka-%d", id), force)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]string, len(pod.Tasks))
	for i, t := range pod.Tasks {
		ids[i] = t.ID
	}
	if force {
		warnHeader(w, forcedRestartWarning)
	}
	writeJSON(w, http.StatusOK, nonNil(ids))
}

// forceParam reads ?force: absent or false, or true.
func forceParam(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("force"); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, badRequest(fmt.Sprintf("invalid force=%q: use force=true to skip the restart gate, or leave it out", v))
	}
}

// warnHeader sets an RFC 9110 style Warning header (code 299,
// "miscellaneous persistent warning").
func warnHeader(w http.ResponseWriter, text string) {
	w.Header().Set("Warning", "299 - "+strconv.Quote(text))
}

// restart restarts the pod in place through the service and returns the
// pod as it was (its tasks are the ones being restarted).
func (s *server) restart(r *http.Request, svc Service, podName string, force bool) (service.PodInstance, error) {
	pods, err := svc.Pods(r.Context())
	if err != nil {
		return service.PodInstance{}, err
	}
	for i := range pods {
		if pods[i].Name == podName {
			return pods[i], svc.RestartPod(r.Context(), podName, force)
		}
	}
	return service.PodInstance{}, &service.NotFoundError{Kind: "Pod", Name: podName}
}

func taskNames(p *service.PodInstance) []string {
	out := make([]string, len(p.Tasks))
	for i, t := range p.Tasks {
		out[i] = t.Name
	}
	return out
}
