package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// brokerRoutes registers the DC/OS broker endpoints: the live brokers, as
// the cluster lists them, and one broker with the task that runs it.
// Restarting and replacing a broker (PUT /v1/brokers/{id}) belong to the
// rolling-update and recovery work.
func (s *server) brokerRoutes(r chi.Router) {
	r.Get("/v1/brokers", s.withKafka(s.listBrokers))
	r.Get("/v1/brokers/{id}", s.withKafka(s.getBroker))
}

// listBrokers answers {"brokers": ["0", "1", "2"]}: the ids of the live
// brokers, as strings, as DC/OS read them from ZooKeeper.
func (s *server) listBrokers(w http.ResponseWriter, r *http.Request, k Kafka) {
	brokers, err := k.ListBrokers(r.Context())
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	out := api.DCOSBrokers{Brokers: make([]string, len(brokers))}
	for i, b := range brokers {
		out.Brokers[i] = strconv.Itoa(int(b.ID))
	}
	writeJSON(w, http.StatusOK, out)
}

// getBroker describes one live broker: where it listens, whether it is the
// controller, and the Mesos task and agent running it (broker id = pod
// index). An id no live broker has is a 404 naming the live ones.
func (s *server) getBroker(w http.ResponseWriter, r *http.Request, k Kafka) {
	raw := pathParam(r, "id")
	id, err := strconv.Atoi(raw)
	if err != nil || id < 0 || id > 1<<31-1 {
		var ps validation.Problems
		ps.Add("id", raw, "a broker id is a whole number, 0 or more")
		s.fail(w, r, ps)
		return
	}
	brokers, err := k.ListBrokers(r.Context())
	if err != nil {
		s.failKafka(w, r, err)
		return
	}
	var found *admin.Broker
	live := make([]int32, len(brokers))
	for i := range brokers {
		live[i] = brokers[i].ID
		if brokers[i].ID == int32(id) {
			found = &brokers[i]
		}
	}
	if found == nil {
		s.failKafka(w, r, fmt.Errorf("broker %d of service %s is not live (the live brokers are %v): %w", id, serviceName(r.Context()), live, admin.ErrUnknownBroker))
		return
	}
	addr := net.JoinHostPort(found.Host, strconv.Itoa(int(found.Port)))
	out := api.BrokerDetail{
		ID: raw, Host: found.Host, Port: found.Port, Rack: found.Rack, Controller: found.Controller,
		Endpoints:                   []string{"PLAINTEXT://" + addr},
		ListenerSecurityProtocolMap: map[string]string{"PLAINTEXT": "PLAINTEXT"},
		Pod:                         spec.PodInstanceName(id),
	}
	svc, err := s.backend.Service(serviceName(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pods, err := svc.Pods(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if task, ok := brokerTask(pods, out.Pod); ok {
		out.TaskID, out.TaskName, out.TaskState, out.AgentID, out.Hostname = task.ID, task.Name, task.State, task.AgentID, task.Hostname
	}
	writeJSON(w, http.StatusOK, out)
}

// brokerTask is the task of the named pod instance.
func brokerTask(pods []service.PodInstance, pod string) (service.PodTask, bool) {
	for _, p := range pods {
		if p.Name == pod && len(p.Tasks) > 0 {
			return p.Tasks[0], true
		}
	}
	return service.PodTask{}, false
}
