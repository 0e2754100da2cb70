package spec

import (
	"encoding/json"
	"strings"
	"testing"
)

// secretProblems parses options for service "prod/kafka" and returns its
// problems, field: rule.
func secretProblems(t *testing.T, body string) map[string]string {
	t.Helper()
	defaults := DefaultOptions()
	defaults.Service.Name = "prod/kafka"
	_, err := Parse([]byte(body), defaults, testEnv)
	out := map[string]string{}
	for _, p := range problemsOf(t, err) {
		out[p.Field] = p.Rule
	}
	return out
}

func TestSecretBindingValidation(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		// want maps a field to a piece of its rule; nil: valid.
		want map[string]string
	}{
		{"file and variable", `{"service":{"secrets":[{"secret":"prod/kafka/keystore","file":"secrets/keystore.jks"},{"secret":"prod/pw","env_key":"KAFKA_SASL_PASSWORD"},{"secret":"top"}]}}`,
			map[string]string{"service.secrets[2]": `needs "file"`}},
		{"valid", `{"service":{"secrets":[{"secret":"prod/kafka/keystore","file":"secrets/keystore.jks"},{"secret":"prod/pw","env_key":"KAFKA_SASL_PASSWORD"},{"secret":"top","file":"top.txt"}]}}`, nil},
		{"absolute file", `{"service":{"secrets":[{"secret":"prod/a","file":"/etc/keystore"}]}}`,
			map[string]string{"service.secrets[0].file": "absolute paths are not supported"}},
		{"dot dot", `{"service":{"secrets":[{"secret":"prod/a","file":"secrets/../../escape"}]}}`,
			map[string]string{"service.secrets[0].file": `without "." or ".." segments`}},
		{"both", `{"service":{"secrets":[{"secret":"prod/a","file":"a","env_key":"A"}]}}`,
			map[string]string{"service.secrets[0]": "sets both"}},
		{"duplicate file", `{"service":{"secrets":[{"secret":"prod/a","file":"x/a"},{"secret":"prod/b","file":"x/a"}]}}`,
			map[string]string{"service.secrets[1].file": "already delivered by service.secrets[0]"}},
		{"duplicate env", `{"service":{"secrets":[{"secret":"prod/a","env_key":"A"},{"secret":"prod/b","env_key":"A"}]}}`,
			map[string]string{"service.secrets[1].env_key": "already set by service.secrets[0]"}},
		{"bad env name", `{"service":{"secrets":[{"secret":"prod/a","env_key":"1A-B"}]}}`,
			map[string]string{"service.secrets[0].env_key": "environment variable name"}},
		{"scheduler's env name", `{"service":{"secrets":[{"secret":"prod/a","env_key":"KAFKA_HEAP_OPTS"},{"secret":"prod/b","env_key":"MESOS_SANDBOX"}]}}`,
			map[string]string{"service.secrets[0].env_key": "set by the scheduler", "service.secrets[1].env_key": "set by the scheduler"}},
		{"sibling's secret", `{"service":{"secrets":[{"secret":"other/kafka/pw","env_key":"PW"}]}}`,
			map[string]string{"service.secrets[0].secret": `service /prod/kafka may not read secret "other/kafka/pw"`}},
		{"absolute secret path", `{"service":{"secrets":[{"secret":"/prod/pw","env_key":"PW"}]}}`,
			map[string]string{"service.secrets[0].secret": "absolute path"}},
		{"reserved files", `{"service":{"secrets":[{"secret":"prod/a","file":"jmx/x"},{"secret":"prod/a","file":"server.properties"},{"secret":"prod/a","file":"kafka-broker-data/x"}]}}`,
			map[string]string{"service.secrets[0].file": `"jmx" folder`, "service.secrets[1].file": "broker task writes", "service.secrets[2].file": "data volume"}},
		{"jmx needs its secrets", `{"service":{"jmx":{"enabled":true}}}`,
			map[string]string{"service.jmx.access_file": "is required", "service.jmx.password_file": "is required", "service.jmx.key_store": "is required", "service.jmx.key_store_password_file": "is required"}},
		{"jmx trust store", `{"service":{"jmx":{"enabled":true,"access_file":"prod/a","password_file":"prod/p","key_store":"prod/ks","key_store_password_file":"prod/ksp","add_trust_store":true,"trust_store":"elsewhere/ts"}}}`,
			map[string]string{"service.jmx.trust_store": "may not read", "service.jmx.trust_store_password_file": "is required"}},
		{"jmx ports", `{"service":{"jmx":{"enabled":true,"port":31000,"rmi_port":31000,"access_file":"prod/a","password_file":"prod/p","key_store":"prod/ks","key_store_password_file":"prod/ksp"}}}`,
			map[string]string{"service.jmx.rmi_port": "must differ"}},
		{"jmx needs one broker per agent", `{"service":{"placement_constraint":"","jmx":{"enabled":true,"access_file":"prod/a","password_file":"prod/p","key_store":"prod/ks","key_store_password_file":"prod/ksp"}}}`,
			map[string]string{"service.jmx.enabled": "at most one broker per agent"}},
		{"disabled jmx is not checked for access", `{"service":{"jmx":{"enabled":false,"access_file":"elsewhere/a"}}}`, nil},
		{"unknown binding key", `{"service":{"secrets":[{"secret":"prod/a","path":"x"}]}}`,
			map[string]string{"service.secrets[0].path": "it takes: env_key, file, secret", "service.secrets[0]": `needs "file"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := secretProblems(t, tc.body)
			for field, rule := range tc.want {
				if !strings.Contains(got[field], rule) {
					t.Errorf("%s: rule %q, want it to say %q (all: %v)", field, got[field], rule, got)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("problems %v, want exactly the fields of %v", got, tc.want)
			}
		})
	}
}

func TestSecretsDefaultAndDeliveries(t *testing.T) {
	s := mustParse(t, `{}`)
	data, _ := json.Marshal(s.Options.Service)
	if !strings.Contains(string(data), `"secrets":[]`) || !strings.Contains(string(data), `"jmx":{"enabled":false,"port":31199,"rmi_port":31198`) {
		t.Errorf("service defaults encode as %s", data)
	}
	if got := s.SecretPaths(); len(got) != 0 {
		t.Errorf("SecretPaths of the defaults = %v", got)
	}
	withJMX := mustParse(t, `{"service":{"secrets":[{"secret":"kafka/pw","env_key":"PW"},{"secret":"kafka/ks","file":"ks.jks"}],
		"jmx":{"enabled":true,"access_file":"kafka/a","password_file":"kafka/p","key_store":"kafka/ks","key_store_password_file":"kafka/ksp"}}}`)
	if got := strings.Join(withJMX.SecretPaths(), ","); got != "kafka/a,kafka/ks,kafka/ksp,kafka/p,kafka/pw" {
		t.Errorf("SecretPaths = %s", got)
	}
	b, err := withJMX.Broker(0)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, d := range b.Secrets {
		files[d.File+d.EnvKey] = d.Secret
	}
	if files["ks.jks"] != "kafka/ks" || files["PW"] != "kafka/pw" || files["jmx/key_store"] != "kafka/ks" || files["jmx/access_file"] != "kafka/a" || len(files) != 6 {
		t.Errorf("deliveries = %v", files)
	}
	task, _, err := withJMX.Launch(0, Site{Hostname: "agent-1", Port: 9092})
	if err != nil {
		t.Fatal(err)
	}
	opts := task.Env[EnvJMXOpts]
	for _, want := range []string{"jmxremote.port=31199", "jmxremote.rmi.port=31198", "access.file=jmx/access_file", "password.file=jmx/password_file",
		"jmxremote.ssl=true", "ssl.config.file=jmx/ssl.properties", "java.rmi.server.hostname=agent-1"} {
		if !strings.Contains(opts, want) {
			t.Errorf("%s = %q, missing %q", EnvJMXOpts, opts, want)
		}
	}
	if strings.Contains(opts, "Password=") || !strings.Contains(task.Command, "keyStorePassword=%s") || !strings.Contains(task.Command, "> jmx/ssl.properties") {
		t.Errorf("the key store password must reach the JVM through jmx/ssl.properties written by the command, never as a flag:\n%s\n%s", opts, task.Command)
	}
	plain, _, _ := s.Launch(0, Site{Hostname: "agent-1", Port: 9092})
	if _, set := plain.Env[EnvJMXOpts]; set || strings.Contains(plain.Command, "jmx") {
		t.Errorf("JMX disabled still renders JMX: %v", plain.Env[EnvJMXOpts])
	}
}

func TestSecretVersionsShapeTheBrokers(t *testing.T) {
	none := mustParse(t, `{}`)
	base := mustParse(t, `{"service":{"secrets":[{"secret":"kafka/pw","env_key":"PW"}]}}`)
	v1 := base.WithSecretVersions(map[string]string{"kafka/pw": "v1", "unused": "x"})
	v2 := base.WithSecretVersions(map[string]string{"kafka/pw": "v2"})
	if v1.SecretVersions["unused"] != "" || v1.SecretVersions["kafka/pw"] != "v1" {
		t.Errorf("WithSecretVersions = %v", v1.SecretVersions)
	}
	if v1.PodConfigHash() == v2.PodConfigHash() || v1.Hash() == v2.Hash() {
		t.Error("a new version of a used secret must change the pod configuration")
	}
	if none.PodConfigHash() == v1.PodConfigHash() {
		t.Error("binding a secret must change the pod configuration")
	}
	if got := base.MissingSecretVersions(); len(got) != 1 || got[0] != "kafka/pw" {
		t.Errorf("MissingSecretVersions = %v", got)
	}
	// Order of the bindings does not matter to a broker.
	a := mustParse(t, `{"service":{"secrets":[{"secret":"kafka/a","env_key":"A"},{"secret":"kafka/b","file":"b"}]}}`)
	b := mustParse(t, `{"service":{"secrets":[{"secret":"kafka/b","file":"b"},{"secret":"kafka/a","env_key":"A"}]}}`)
	vs := map[string]string{"kafka/a": "1", "kafka/b": "2"}
	if a.WithSecretVersions(vs).PodConfigHash() != b.WithSecretVersions(vs).PodConfigHash() {
		t.Error("reordering service.secrets must not restart brokers")
	}
	// A spec stored before these options existed keeps its hash.
	var old ServiceSpec
	data, _ := json.Marshal(none)
	var tree map[string]any
	_ = json.Unmarshal(data, &tree)
	svc := tree["options"].(map[string]any)["service"].(map[string]any)
	delete(svc, "secrets")
	delete(svc, "jmx")
	data, _ = json.Marshal(tree)
	if err := json.Unmarshal(data, &old); err != nil {
		t.Fatal(err)
	}
	if old.PodConfigHash() != none.PodConfigHash() {
		t.Error("brokers launched before service.secrets existed would roll for nothing")
	}
}
