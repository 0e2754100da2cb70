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
// restart goes the way an update's restart goes (the old task is killed,
// the broker is relaunched on its own reservations and volume, the step
// completes when the broker is running and ready). Replace (new
// reservations and volume) is not served yet.
func (s *server) restartRoutes(r chi.Router) {
	r.Post("/v1/pod/{pod}/restart", s.with(s.restartPod))
	r.Put("/v1/brokers/{id}", s.with(s.restartBroker))
}

func (s *server) restartPod(w http.ResponseWriter, r *http.Request, svc Service) {
	pod, err := s.restart(r, svc, pathParam(r, "pod"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.PodRestart{Pod: pod.Name, Tasks: taskNames(&pod)})
}

// restartBroker answers the broker's task ids, as DC/OS Kafka does.
func (s *server) restartBroker(w http.ResponseWriter, r *http.Request, svc Service) {
	if r.URL.Query().Get("replace") == "true" {
		writeError(w, http.StatusNotImplemented, "replacing a broker (?replace=true: new reservations and an empty volume) is not available yet; restart it in place without ?replace")
		return
	}
	id, err := strconv.Atoi(pathParam(r, "id"))
	if err != nil || id < 0 {
		s.fail(w, r, badRequest(fmt.Sprintf("invalid broker id %q: it must be a broker id such as 0", pathParam(r, "id"))))
		return
	}
	pod, err := s.restart(r, svc, fmt.Sprintf("kafka-%d", id))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]string, len(pod.Tasks))
	for i, t := range pod.Tasks {
		ids[i] = t.ID
	}
	writeJSON(w, http.StatusOK, nonNil(ids))
}

// restart runs the deploy plan's restart command on the pod's step and
// returns the pod as it was (its tasks are the ones being restarted).
func (s *server) restart(r *http.Request, svc Service, podName string) (service.PodInstance, error) {
	pods, err := svc.Pods(r.Context())
	if err != nil {
		return service.PodInstance{}, err
	}
	var pod *service.PodInstance
	for i := range pods {
		if pods[i].Name == podName {
			pod = &pods[i]
		}
	}
	if pod == nil {
		return service.PodInstance{}, &service.NotFoundError{Kind: "Pod", Name: podName}
	}
	info, err := svc.PlanInfo(deployPlan)
	if err != nil {
		return service.PodInstance{}, err
	}
	for _, ph := range info.Phases {
		for _, st := range ph.Steps {
			if st.Pod == podName {
				cmd := service.PlanCommand{Plan: deployPlan, Command: service.CommandRestart, Phase: ph.Name, Step: st.Name}
				return *pod, svc.PlanCommand(r.Context(), cmd)
			}
		}
	}
	return service.PodInstance{}, fmt.Errorf("%w: the deploy plan has no step for %s", service.ErrConflict, podName)
}

func taskNames(p *service.PodInstance) []string {
	out := make([]string, len(p.Tasks))
	for i, t := range p.Tasks {
		out[i] = t.Name
	}
	return out
}
