package catalog

import (
	"context"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

func TestServicesListsOnlyNamedServiceKeys(t *testing.T) {
	ctx := context.Background()
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for key, value := range map[string]string{
		ServiceKey("kafka") + "/servicename":       "kafka",
		ServiceKey("/prod/kafka") + "/servicename": "/prod/kafka",
		ServiceKey("half-made") + "/FrameworkID":   "f",
		"somethingelse/servicename":                "x",
	} {
		if err := store.Set(ctx, key, []byte(value)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Catalog{Store: store}.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "/prod/kafka" || got[1].Name != "kafka" {
		t.Fatalf("services = %v, want [/prod/kafka kafka]", got)
	}
	if ServiceKey("/prod/kafka") != "dcos-service-prod__kafka" {
		t.Errorf("ServiceKey(/prod/kafka) = %q", ServiceKey("/prod/kafka"))
	}
}
