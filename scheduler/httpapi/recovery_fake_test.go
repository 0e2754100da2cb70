package httpapi

import (
	"context"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

func (f *fakeService) podGoal(verb, pod string) (service.PodInstance, error) {
	if f.cmdErr != nil {
		return service.PodInstance{}, f.cmdErr
	}
	for _, p := range f.pods {
		if p.Name == pod {
			f.goals = append(f.goals, verb+" "+pod)
			return p, nil
		}
	}
	return service.PodInstance{}, &service.NotFoundError{Kind: "Pod", Name: pod}
}

func (f *fakeService) ReplacePod(_ context.Context, pod string) (service.PodInstance, error) {
	return f.podGoal("replace", pod)
}

func (f *fakeService) PausePod(_ context.Context, pod string) (service.PodInstance, error) {
	return f.podGoal("pause", pod)
}

func (f *fakeService) ResumePod(_ context.Context, pod string) (service.PodInstance, error) {
	return f.podGoal("resume", pod)
}
