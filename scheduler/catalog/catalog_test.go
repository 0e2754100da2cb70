package catalog

import "testing"

func TestServiceKey(t *testing.T) {
	for name, want := range map[string]string{
		"kafka":       "dcos-service-kafka",
		"prod/kafka":  "dcos-service-prod__kafka",
		"/a/b/kafka/": "dcos-service-a__b__kafka",
	} {
		if got := ServiceKey(name); got != want {
			t.Errorf("ServiceKey(%q) = %q, want %q", name, got, want)
		}
	}
}
