package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

func TestResolveSecrets(t *testing.T) {
	ctx := context.Background()
	deliveries := []spec.SecretDelivery{
		{Secret: "kafka/pw", EnvKey: "PW"},
		{Secret: "kafka/ks", File: "ks.jks"},
		{Secret: "kafka/ks", File: "copy.jks"},
	}
	values := map[string][]byte{"kafka/pw": []byte("password-value"), "kafka/ks": {0, 1, 2}}
	calls := 0
	resolve := func(_ context.Context, path string) (secrets.Value, string, error) {
		calls++
		v, ok := values[path]
		if !ok {
			return secrets.Value{}, "", secrets.ErrNotFound
		}
		return secrets.NewValue(v), "v1", nil
	}
	got, err := resolveSecrets(ctx, resolve, spec.ServiceSpec{}, deliveries)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0].Value.Reveal()) != "password-value" || got[2].File != "copy.jks" || calls != 2 {
		t.Errorf("resolved %d secrets with %d calls", len(got), calls)
	}

	if _, err := resolveSecrets(ctx, nil, spec.ServiceSpec{}, deliveries); !errors.Is(err, errNoSecretStore) {
		t.Errorf("without a store: %v", err)
	}
	if got, err := resolveSecrets(ctx, nil, spec.ServiceSpec{}, nil); err != nil || got != nil {
		t.Errorf("no secrets and no store: %v %v", got, err)
	}
	_, err = resolveSecrets(ctx, resolve, spec.ServiceSpec{}, []spec.SecretDelivery{{Secret: "kafka/gone", File: "f"}})
	if !errors.Is(err, secrets.ErrNotFound) || !strings.Contains(err.Error(), "PUT /v1/secrets/kafka/gone") {
		t.Errorf("a missing secret: %v", err)
	}
	for name, v := range map[string][]byte{"NUL": []byte("a\x00b-value"), "oversized": make([]byte, maxEnvSecretBytes+1)} {
		values["kafka/bad"] = v
		_, err := resolveSecrets(ctx, resolve, spec.ServiceSpec{}, []spec.SecretDelivery{{Secret: "kafka/bad", EnvKey: "BAD"}})
		if err == nil || !strings.Contains(err.Error(), "deliver it as a file") || strings.Contains(err.Error(), "b-value") {
			t.Errorf("%s value as a variable: %v", name, err)
		}
	}
}
