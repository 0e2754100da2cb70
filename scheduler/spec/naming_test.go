package spec

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
		if !IsServiceKey(ServiceKey(name)) {
			t.Errorf("IsServiceKey(%q) is false", ServiceKey(name))
		}
		if got := "/" + ServiceKey(name); got != ZNode(name) {
			t.Errorf("the state key %q and the znode %q of %q differ", got, ZNode(name), name)
		}
	}
	for _, key := range []string{"dcos-service-", "kafka-on-mesos", "secrets", "Dcos-service-x"} {
		if IsServiceKey(key) {
			t.Errorf("IsServiceKey(%q) is true", key)
		}
	}
}
