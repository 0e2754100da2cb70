package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/taskinfo"
)

// SecretResolver returns a secret's value and version for this service's
// brokers; the manager gives each service one scoped to it (the secret
// store checks that the service may read the secret). It is called at
// launch, off the service's lock, with a deadline.
type SecretResolver func(ctx context.Context, path string) (secrets.Value, string, error)

// errNoSecretStore is a launch with secrets on a scheduler without a
// secret store.
var errNoSecretStore = errors.New("this scheduler has no secret store: start it with --secrets-key-file <file> " +
	"(or $KAFKA_SCHEDULER_SECRETS_KEY) holding the key the secrets were written with")

// resolveSecrets resolves the secrets a broker task receives. The values
// go into the TaskInfo for Mesos and nowhere else; errors name the secret,
// never a value. A version other than the one the configuration recorded
// means the secret was written since: the new value is delivered, and the
// configuration that records it (the secret's PUT makes one) rolls the
// broker again.
func resolveSecrets(ctx context.Context, resolve SecretResolver, sp spec.ServiceSpec, deliveries []spec.SecretDelivery) ([]taskinfo.Secret, error) {
	if len(deliveries) == 0 {
		return nil, nil
	}
	if resolve == nil {
		return nil, errNoSecretStore
	}
	cache := map[string]secrets.Value{}
	out := make([]taskinfo.Secret, 0, len(deliveries))
	for _, d := range deliveries {
		v, ok := cache[d.Secret]
		if !ok {
			var err error
			v, _, err = resolve(ctx, d.Secret)
			if errors.Is(err, secrets.ErrNotFound) {
				return nil, fmt.Errorf("secret %q, which the configuration delivers %s, does not exist: write it with PUT /v1/secrets/%s: %w", d.Secret, where(d), d.Secret, err)
			}
			if err != nil {
				return nil, fmt.Errorf("resolving secret %q (version %s) for delivery %s: %w", d.Secret, sp.SecretVersions[d.Secret], where(d), err)
			}
			cache[d.Secret] = v
		}
		out = append(out, taskinfo.Secret{SecretDelivery: d, Value: v})
	}
	return out, nil
}

func where(d spec.SecretDelivery) string {
	if d.File != "" {
		return fmt.Sprintf("as file %q", d.File)
	}
	return fmt.Sprintf("as variable %s", d.EnvKey)
}

// secretsError is a launch that could not be assembled because its
// secrets could not be resolved.
type secretsError struct{ err error }

func (e *secretsError) Error() string { return e.err.Error() }
func (e *secretsError) Unwrap() error { return e.err }
