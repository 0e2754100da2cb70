package taskinfo_test

import (
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/taskinfo"
)

// launch builds broker 1 of a "prod/kafka" service on one offer.
func launch(t *testing.T, options string) (taskinfo.Launch, *offers.Match) {
	t.Helper()
	defaults := spec.DefaultOptions()
	defaults.Service.Name = "prod/kafka"
	s, err := spec.Parse([]byte(options), defaults, spec.Environment{ZookeeperConnect: "zk-1:2181"})
	if err != nil {
		t.Fatal(err)
	}
	offer := &mesos.Offer{
		ID: mesos.OfferID{Value: "o1"}, AgentID: mesos.AgentID{Value: "agent-1"}, Hostname: "10.0.0.1",
		Resources: []mesos.Resource{
			{Name: "cpus", Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: 4}},
			{Name: "mem", Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: 8192}},
			{Name: "disk", Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: 20000}},
			{Name: "ports", Type: mesos.RANGES.Enum(), Ranges: &mesos.Value_Ranges{Range: []mesos.Value_Range{{Begin: 31000, End: 31010}}}},
		},
	}
	b, err := s.Broker(1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	match, err := offers.Evaluate(offers.Need{
		Pod: b.PodInstance, CPUs: b.CPUs, Mem: b.MemMB,
		Disk:     offers.DiskNeed{SizeMB: b.Volume.SizeMB, ContainerPath: b.Volume.ContainerPath},
		Ports:    []offers.PortNeed{{Name: spec.BrokerPortName}},
		Executor: offers.ExecutorNeed{CPUs: 0.1, Mem: 32, Disk: 256},
	}, offer, offers.Reservation{Role: s.Role, Principal: s.Principal}, func() string { n++; return "rid-" + string(rune('a'+n)) })
	if err != nil {
		t.Fatal(err)
	}
	task, _, err := s.Launch(1, spec.Site{Hostname: offer.Hostname, Port: int(match.Footprint.Ports[spec.BrokerPortName])})
	if err != nil {
		t.Fatal(err)
	}
	return taskinfo.Launch{
		Task: task, TaskID: taskinfo.TaskID(s.Name, task.FullTaskName, "u1"), ExecutorID: taskinfo.ExecutorID(s.Name, task.PodInstance, "u2"),
		FrameworkID: "fw-1", ConfigID: "cfg-1", Match: match,
	}, match
}

func TestIDsFollowDCOS(t *testing.T) {
	if got := taskinfo.TaskID("prod/kafka", "kafka-1-broker", "u1"); got != "prod__kafka__kafka-1-broker__u1" {
		t.Errorf("TaskID = %q", got)
	}
	if got := taskinfo.ExecutorID("/kafka/", "kafka-1", "u2"); got != "kafka__kafka-1__u2" {
		t.Errorf("ExecutorID = %q", got)
	}
}

func TestBuild(t *testing.T) {
	l, match := launch(t, `{"service": {"health_check": {"enabled": true, "method": "PORT", "interval": 60, "delay": 15, "timeout": 10, "grace-period": 20, "max-consecutive-failures": 3}}}`)
	info, executor := taskinfo.Build(l)

	if info.Name != "kafka-1-broker" || info.TaskID.Value != "prod__kafka__kafka-1-broker__u1" || info.AgentID.Value != "agent-1" {
		t.Errorf("task %s %s on %s", info.Name, info.TaskID.Value, info.AgentID.Value)
	}
	if len(info.Resources) != len(match.TaskResources) || len(executor.Resources) != len(match.ExecutorResources) {
		t.Errorf("resources: task %d of %d, executor %d of %d", len(info.Resources), len(match.TaskResources), len(executor.Resources), len(match.ExecutorResources))
	}
	labels := map[string]string{}
	for _, lb := range info.GetLabels().GetLabels() {
		labels[lb.Key] = lb.GetValue()
	}
	for k, want := range map[string]string{
		taskinfo.LabelTargetConfig: "cfg-1", taskinfo.LabelTaskType: "broker", taskinfo.LabelIndex: "1",
		taskinfo.LabelHostname: "10.0.0.1", taskinfo.LabelConfigHash: l.Task.ConfigHash,
	} {
		if labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, labels[k], want)
		}
	}

	cmd := info.GetCommand()
	if !cmd.GetShell() || cmd.GetValue() != l.Task.Command || len(cmd.URIs) != len(l.Task.URIs) {
		t.Errorf("command %+v", cmd)
	}
	var names []string
	env := map[string]string{}
	for _, v := range cmd.GetEnvironment().GetVariables() {
		names = append(names, v.Name)
		env[v.Name] = v.GetValue()
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Fatalf("environment not sorted: %v", names)
		}
	}
	if env[spec.EnvServerPropertiesChunk+"0"] == "" {
		t.Errorf("server.properties not in the environment: %v", names)
	}
	for k, want := range l.Task.Env {
		if env[k] != want {
			t.Errorf("env %s = %q, want the task's %q", k, env[k], want)
		}
	}

	if c := info.GetCheck(); c.GetType() != mesos.CheckInfo_COMMAND || c.GetCommand().Command.GetValue() != l.Task.ReadinessCheck.Command {
		t.Errorf("readiness check %+v", c)
	}
	if h := info.GetHealthCheck(); h == nil || h.GetConsecutiveFailures() != 3 || h.GetGracePeriodSeconds() != 20 {
		t.Errorf("health check %+v", h)
	}
	if got := info.GetKillPolicy().GetGracePeriod().GetNanoseconds(); got != l.Task.KillGracePeriod.Nanoseconds() {
		t.Errorf("kill grace %d", got)
	}

	if executor.Type != mesos.ExecutorInfo_DEFAULT || executor.ExecutorID.Value != "prod__kafka__kafka-1__u2" || executor.FrameworkID.GetValue() != "fw-1" {
		t.Errorf("executor %+v", executor)
	}
}

func TestBuildWithoutHealthCheck(t *testing.T) {
	l, _ := launch(t, `{}`)
	if info, _ := taskinfo.Build(l); info.HealthCheck != nil {
		t.Errorf("a health check without service.health_check.enabled: %+v", info.HealthCheck)
	}
}
