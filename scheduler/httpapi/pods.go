package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// podRoutes registers the read side of the pods API (dcos-commons
// PodResource). restart, replace, pause and resume are not served: the
// Service interface has no operations for them yet.
func (s *server) podRoutes(r chi.Router) {
	r.Get("/v1/pod", s.with(s.listPods))
	r.Get("/v1/pod/status", s.with(s.podsStatus))
	r.Get("/v1/pod/{pod}/status", s.with(s.podStatus))
	r.Get("/v1/pod/{pod}/info", s.with(s.podInfo))
}

func (s *server) listPods(w http.ResponseWriter, r *http.Request, svc Service) {
	pods, err := svc.Pods(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
	}
	writeJSON(w, http.StatusOK, names)
}

func (s *server) podsStatus(w http.ResponseWriter, r *http.Request, svc Service) {
	pods, err := svc.Pods(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := api.PodsStatus{Service: serviceName(r.Context()), Pods: []api.PodTypeStatus{}}
	index := map[string]int{} // pod type → its index in body.Pods
	for _, p := range pods {
		typ := podType(p.Name)
		i, ok := index[typ]
		if !ok {
			i = len(body.Pods)
			index[typ] = i
			body.Pods = append(body.Pods, api.PodTypeStatus{Name: typ})
		}
		body.Pods[i].Instances = append(body.Pods[i].Instances, toPodInstance(p))
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *server) podStatus(w http.ResponseWriter, r *http.Request, svc Service) {
	pod, err := s.findPod(r, svc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPodInstance(pod))
}

func (s *server) podInfo(w http.ResponseWriter, r *http.Request, svc Service) {
	pod, err := s.findPod(r, svc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	infos := make([]api.PodTaskInfo, len(pod.Tasks))
	for i, t := range pod.Tasks {
		infos[i] = api.PodTaskInfo{Info: t.Info, Status: t.Status}
	}
	writeJSON(w, http.StatusOK, infos)
}

// findPod returns the instance named by the {pod} parameter, or a
// NotFoundError ("Pod kafka-9 not found").
func (s *server) findPod(r *http.Request, svc Service) (service.PodInstance, error) {
	name := pathParam(r, "pod")
	pods, err := svc.Pods(r.Context())
	if err != nil {
		return service.PodInstance{}, err
	}
	for _, p := range pods {
		if p.Name == name {
			return p, nil
		}
	}
	return service.PodInstance{}, &service.NotFoundError{Kind: "Pod", Name: name}
}

// podType is the pod type of an instance name: "kafka-0" → "kafka".
func podType(instance string) string {
	i := strings.LastIndexByte(instance, '-')
	if i < 0 {
		return instance
	}
	if _, err := strconv.Atoi(instance[i+1:]); err != nil {
		return instance
	}
	return instance[:i]
}
