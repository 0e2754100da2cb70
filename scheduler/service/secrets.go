package service

import (
	"bytes"
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
		if d.EnvKey != "" {
			if err := checkEnvValue(d, v); err != nil {
				return nil, err
			}
		}
		out = append(out, taskinfo.Secret{SecretDelivery: d, Value: v})
	}
	return out, nil
}

// maxEnvSecretBytes bounds a secret delivered as an environment variable:
// Linux refuses an exec whose single environment string is over 128 KiB
// (MAX_ARG_STRLEN), so a larger one could never start.
const maxEnvSecretBytes = 96 << 10

// checkEnvValue refuses a value no process environment can hold: a NUL
// byte ends an environment string, and an oversized one fails the exec.
func checkEnvValue(d spec.SecretDelivery, v secrets.Value) error {
	if v.Len() > maxEnvSecretBytes {
		return fmt.Errorf("secret %q is %d bytes, too large for environment variable %s (at most %d); deliver it as a file", d.Secret, v.Len(), d.EnvKey, maxEnvSecretBytes)
	}
	data := v.Reveal()
	defer clear(data)
	if bytes.IndexByte(data, 0) >= 0 {
		return fmt.Errorf("secret %q holds a NUL byte, which environment variable %s cannot carry; deliver it as a file", d.Secret, d.EnvKey)
	}
	return nil
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
