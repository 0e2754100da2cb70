package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/httpapi"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/manager"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// envSecretsKey holds the secrets keys themselves (not a file name), for
// deployments that pass keys through the environment. The scheduler
// removes it from its environment once read, so that no process it starts
// (the local Mesos' tasks in dev mode) inherits it.
const envSecretsKey = "KAFKA_SCHEDULER_SECRETS_KEY"

// devSecretsKeyFile is the key dev makes in its data folder.
const devSecretsKeyFile = "secrets.key"

// secretsOpenTimeout bounds opening the secret store, which reads (and
// after a rotation rewrites) every stored secret.
const secretsOpenTimeout = 2 * time.Minute

// secretsOptions are the secret store's flags, shared by serve and dev.
type secretsOptions struct {
	keyFiles string
}

func (o *secretsOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.keyFiles, "secrets-key-file", "",
		"file(s) holding the secrets encryption keys, comma-separated: one key per line, 32 bytes in base64 (head -c 32 /dev/urandom | base64); "+
			"the first key encrypts, all decrypt (or put the keys themselves in $"+envSecretsKey+")")
}

// keySources reads the keys given with the flag or the environment; none
// when neither is set.
func (o secretsOptions) keySources(log *slog.Logger) ([]secrets.KeySource, error) {
	env, fromEnv := os.LookupEnv(envSecretsKey)
	if fromEnv {
		_ = os.Unsetenv(envSecretsKey)
	}
	if o.keyFiles != "" && fromEnv {
		return nil, fmt.Errorf("the secrets keys are given twice, with --secrets-key-file and $%s: give them one way", envSecretsKey)
	}
	if fromEnv {
		if strings.TrimSpace(env) == "" {
			return nil, fmt.Errorf("$%s is set but empty: put the keys in it (comma-separated, the encrypting one first) or unset it", envSecretsKey)
		}
		return []secrets.KeySource{{Name: "$" + envSecretsKey, Text: []byte(env)}}, nil
	}
	var sources []secrets.KeySource
	for _, path := range strings.Split(o.keyFiles, ",") {
		if path = strings.TrimSpace(path); path == "" {
			continue
		}
		src, err := readKeyFile(path, log)
		if err != nil {
			return nil, err
		}
		sources = append(sources, src)
	}
	return sources, nil
}

// readKeyFile reads one key file, warning when others may read it.
func readKeyFile(path string, log *slog.Logger) (secrets.KeySource, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return secrets.KeySource{}, fmt.Errorf("reading the secrets key file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("the secrets key file can be read by other users; make it private with chmod 600", "file", path, "mode", st.Mode().Perm().String())
	}
	return secrets.KeySource{Name: path, Text: text}, nil
}

// openSecrets opens the secret store for serve. Without a key the scheduler
// runs without one (the /v1/secrets routes answer 501), unless secrets are
// stored already: then a key is missing and it refuses to start.
func (o secretsOptions) open(ctx context.Context, store state.Store, log *slog.Logger) (*secrets.Store, error) {
	sources, err := o.keySources(log)
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		n, err := secrets.Stored(ctx, store)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: the state holds %d secret(s) but no secrets key was given; start with --secrets-key-file <file> or $%s holding the key they were written with",
				secrets.ErrKeys, n, envSecretsKey)
		}
		log.Info("no secrets key given: the scheduler runs without a secret store and /v1/secrets answers 501", "flag", "--secrets-key-file", "env", envSecretsKey)
		return nil, nil
	}
	return openSecretStore(ctx, store, sources, log)
}

// openDevSecrets opens the secret store for dev: the keys given, or else
// the key in the data folder, made (mode 0600) on first start.
func (o secretsOptions) openDev(ctx context.Context, store state.Store, dataDir string, log *slog.Logger) (*secrets.Store, error) {
	sources, err := o.keySources(log)
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		path := filepath.Join(dataDir, devSecretsKeyFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return nil, fmt.Errorf("creating the data folder %s: %w", dataDir, err)
			}
			if err := secrets.GenerateKeyFile(path); err != nil {
				return nil, err
			}
			log.Info("made a secrets key for dev mode", "file", path)
		}
		src, err := readKeyFile(path, log)
		if err != nil {
			return nil, err
		}
		sources = []secrets.KeySource{src}
	}
	return openSecretStore(ctx, store, sources, log)
}

func openSecretStore(ctx context.Context, store state.Store, sources []secrets.KeySource, log *slog.Logger) (*secrets.Store, error) {
	ring, err := secrets.KeyringFrom(sources...)
	for i := range sources {
		clear(sources[i].Text)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, secretsOpenTimeout)
	defer cancel()
	s, err := secrets.Open(ctx, store, ring, secrets.Options{Logger: log.With("component", "secrets"), Rewrap: true})
	if err != nil {
		return nil, fmt.Errorf("opening the secret store: %w", err)
	}
	return s, nil
}

// secretStore is the API's secret store: the manager's, whose writes
// re-target the services that use a secret (the manager was given the same
// store), or nil (not a nil pointer in an interface) when the scheduler
// runs without one.
func (s apiServer) secretStore(m *manager.Manager) httpapi.SecretStore {
	if s.secrets == nil {
		return nil
	}
	return m.SecretStore()
}
