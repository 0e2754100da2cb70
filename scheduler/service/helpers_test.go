package service_test

import (
	"encoding/json"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func planText(info plan.Info) string {
	b, _ := json.Marshal(info)
	return string(b)
}
