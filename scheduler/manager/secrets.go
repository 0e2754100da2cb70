package manager

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// How the manager ties services to the secret store (Config.Secrets):
//
//   - accepting options (PUT and preview of a service): every secret the
//     options deliver must be readable by the service (spec validation
//     checks the namespace rule) and exist; the accepted target records
//     the version of each (spec.WithSecretVersions). A refusal is a
//     validation problem (400) naming the secret, and nothing is stored;
//   - once a target is accepted, the store records that the service uses
//     those secrets (SetUsers), which blocks their deletion; an uninstall
//     clears it;
//   - a new value of a secret (PUT /v1/secrets/{path}, through Secrets)
//     gives every service that uses it a new target: the same options with
//     the new version, which rolls exactly its brokers through the safe
//     rolling restart;
//   - at launch a service resolves the values through the resolver the
//     manager gives it, scoped to the service (serviceConfig).

// retargetAttempts bounds the retries of a re-target that raced with an
// options update of the same service.
const retargetAttempts = 5

// secretCallTimeout bounds the secret store calls the manager makes on
// its own (recording users at start).
const secretCallTimeout = 10 * time.Second

// resolverFor is the secret resolver of one service, nil without a store.
func (m *Manager) resolverFor(name string) service.SecretResolver {
	store := m.cfg.Secrets
	if store == nil {
		return nil
	}
	return func(ctx context.Context, path string) (secrets.Value, string, error) {
		return store.Resolve(ctx, name, path)
	}
}

// withSecretVersions records in next the current version of every secret
// it uses, refusing (validation.Problems) secrets that do not exist,
// binary secrets bound to an environment variable, and any secret on a
// scheduler without a secret store.
func (m *Manager) withSecretVersions(ctx context.Context, next spec.ServiceSpec) (spec.ServiceSpec, error) {
	paths := next.SecretPaths()
	if len(paths) == 0 {
		return next.WithSecretVersions(nil), nil
	}
	var ps validation.Problems
	if m.cfg.Secrets == nil {
		ps.Addf("service.secrets", paths[0],
			"this scheduler has no secret store, so it cannot deliver secrets: start it with --secrets-key-file <file> (or $KAFKA_SCHEDULER_SECRETS_KEY); %d secret(s) are referred to", len(paths))
		return spec.ServiceSpec{}, ps
	}
	versions := map[string]string{}
	infos := map[string]secrets.Info{}
	for _, p := range paths {
		if err := secrets.Authorize(next.Name, p); err != nil {
			ps.Add(fieldOfSecret(next, p), p, err.Error())
			continue
		}
		info, err := m.cfg.Secrets.Get(ctx, p)
		switch {
		case errors.Is(err, secrets.ErrNotFound):
			ps.Addf(fieldOfSecret(next, p), p, "secret %q does not exist: write it first with PUT /v1/secrets/%s, then refer to it", p, p)
			continue
		case err != nil:
			return spec.ServiceSpec{}, fmt.Errorf("reading secret %q for service %s: %w", p, next.Name, err)
		}
		versions[p], infos[p] = info.Version, info
	}
	for i, b := range next.Options.Service.Secrets {
		if b.EnvKey != "" && infos[b.Secret].Binary {
			ps.Addf(fmt.Sprintf("service.secrets[%d].env_key", i), b.EnvKey,
				"secret %q is binary (written base64-decoded); deliver binary secrets as files (\"file\"), never as environment variables", b.Secret)
		}
	}
	if len(ps) > 0 {
		return spec.ServiceSpec{}, ps
	}
	return next.WithSecretVersions(versions), nil
}

// fieldOfSecret names the option that refers to the secret.
func fieldOfSecret(s spec.ServiceSpec, path string) string {
	for i, b := range s.Options.Service.Secrets {
		if b.Secret == path {
			return fmt.Sprintf("service.secrets[%d].secret", i)
		}
	}
	return "service.jmx"
}

// recordSecretUsers records that the service uses exactly these secrets.
// The target is stored already, so a failure is logged: the next accepted
// update or scheduler start records them again.
func (m *Manager) recordSecretUsers(ctx context.Context, name string, paths []string) {
	if m.cfg.Secrets == nil {
		return
	}
	if err := m.cfg.Secrets.SetUsers(ctx, name, paths); err != nil {
		m.log.Warn("recording the secrets a service uses", "service", name, "secrets", paths, "error", err)
	}
}

// acceptedWithSecrets finishes an accepted target: it records the
// secrets' use, then re-targets the service for any secret written since
// its version was read (a secret PUT that came before the use was recorded
// could not know the service uses it; one after it re-targets by itself).
func (m *Manager) acceptedWithSecrets(ctx context.Context, name string, accepted spec.ServiceSpec) {
	paths := accepted.SecretPaths()
	m.recordSecretUsers(ctx, name, paths)
	if m.cfg.Secrets == nil {
		return
	}
	for _, p := range paths {
		info, err := m.cfg.Secrets.Get(ctx, p)
		if err != nil || info.Version == accepted.SecretVersions[p] {
			continue
		}
		if err := m.retarget(ctx, name, p, info.Version); err != nil {
			m.log.Warn("a secret written while its service's options were accepted: the service keeps the version it was accepted with", "service", name, "secret", p, "error", err)
		}
	}
}

// recordAllSecretUsers records, at start, the secrets every service's
// target uses, repairing a record a stop between a target's commit and
// its record left behind.
func (m *Manager) recordAllSecretUsers(ctx context.Context) {
	if m.cfg.Secrets == nil {
		return
	}
	m.mu.Lock()
	svcs := make([]*service.Service, 0, len(m.services))
	for _, svc := range m.services {
		svcs = append(svcs, svc)
	}
	m.mu.Unlock()
	for _, svc := range svcs {
		sp, id := svc.Spec()
		if id == "" || svc.Failure() != "" {
			continue
		}
		paths := sp.SecretPaths()
		if svc.Detail().Uninstalling {
			paths = nil
		}
		ctx, cancel := context.WithTimeout(ctx, secretCallTimeout)
		m.recordSecretUsers(ctx, svc.Name(), paths)
		cancel()
	}
}

// SecretStore is the scheduler's secret store as the API serves it: the
// store's own methods, with Put also giving every service that uses the
// secret a target with the new version. Nil without a store.
func (m *Manager) SecretStore() *SecretStore {
	if m.cfg.Secrets == nil {
		return nil
	}
	return &SecretStore{Store: m.cfg.Secrets, m: m}
}

// SecretStore is a *secrets.Store whose Put re-targets the services that
// use the secret.
type SecretStore struct {
	*secrets.Store
	m *Manager
}

// Put writes the secret and re-targets every service that uses it with
// the new version (each rolls its brokers; a new secret has no users). The
// secret is written whatever the re-targets do; a service that cannot take
// the new target now (uninstalling, failed) is logged and left as it is.
func (s *SecretStore) Put(ctx context.Context, path string, value secrets.Value, opts secrets.PutOptions) (secrets.Info, bool, error) {
	info, created, err := s.Store.Put(ctx, path, value, opts)
	if err != nil {
		return info, created, err
	}
	for _, name := range info.UsedBy {
		if err := s.m.retarget(ctx, name, path, info.Version); err != nil {
			s.m.log.Warn("a service that uses a rewritten secret keeps its target", "service", name, "secret", path, "version", info.Version, "error", err)
		}
	}
	return info, created, nil
}

// retarget gives the service a target that delivers version of the secret:
// its current target with that version recorded, checked with If-Match so
// that a concurrent options update is never overwritten.
func (m *Manager) retarget(ctx context.Context, name, path, version string) error {
	svc, err := m.lookup(name)
	if err != nil {
		return err
	}
	if reason := svc.Failure(); reason != "" {
		return fmt.Errorf("%w: %s", service.ErrConflict, reason)
	}
	for range retargetAttempts {
		current, id := svc.Spec()
		if _, uses := current.SecretVersions[path]; !uses || current.SecretVersions[path] == version {
			return nil
		}
		versions := maps.Clone(current.SecretVersions)
		versions[path] = version
		next := current.WithSecretVersions(versions)
		newID, changed, err := svc.UpdateIfMatch(ctx, next, id)
		var pf *service.PreconditionFailedError
		if errors.As(err, &pf) {
			continue // the options changed meanwhile: look again
		}
		if err != nil {
			return err
		}
		m.log.Info("a used secret has a new version: new target", "service", name, "secret", path, "version", version, "config_id", newID, "changed", changed)
		return nil
	}
	return fmt.Errorf("the target of %s changed %d times in a row while it was being given the new version of %q", name, retargetAttempts, path)
}
