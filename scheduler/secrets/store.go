package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// StateKey is the top-level key of the scheduler's state store under which
// the secret store keeps everything. It never collides with a service's
// dcos-service-<name> key.
const StateKey = "secrets"

// MaxValueSize is the largest secret value, in bytes (after base64
// decoding). Its sealed, base64-encoded record stays well under the state
// store's value limit, and a binary value's base64 under the API's 1 MiB
// body limit.
const MaxValueSize = 512 << 10

// maxAttempts bounds the compare-and-set retries of one write.
const maxAttempts = 8

// Layout below StateKey. Secret paths and service names each travel in one
// key segment, URL path-escaped ("kafka/keystore" is "kafka%2Fkeystore").
const (
	valuesKey   = "Values"   // Values/<path>: the record (metadata and sealed value)
	usersKey    = "Users"    // Users/<path>/<service>: empty; the services that use the secret
	servicesKey = "Services" // Services/<service>: JSON list of the paths the service uses
)

func valueKey(path string) string { return state.JoinKey(valuesKey, url.PathEscape(path)) }
func usersOf(path string) string  { return state.JoinKey(usersKey, url.PathEscape(path)) }
func userKey(path, service string) string {
	return state.JoinKey(usersKey, url.PathEscape(path), url.PathEscape(serviceName(service)))
}
func serviceKey(service string) string {
	return state.JoinKey(servicesKey, url.PathEscape(serviceName(service)))
}

// serviceName is the service's name without slashes at either end, as the
// manager names services ("prod/kafka").
func serviceName(service string) string {
	return ServiceID(service)[1:]
}

// Info is what may be known about a secret: everything but its value.
type Info struct {
	Path string
	// Version changes on every write of the value.
	Version string
	// Binary is true when the value was written base64-encoded (with the
	// binary flag or a __dcos_base64__ name) and is delivered decoded.
	Binary  bool
	Created time.Time
	Updated time.Time
	// KeyID names the key the value is encrypted with.
	KeyID string
	// UsedBy lists the services that use the secret, sorted.
	UsedBy []string
}

// PutOptions are the optional parts of Put.
type PutOptions struct {
	// Base64 says the value is base64 text to be decoded before it is
	// stored (the API's "binary": true). A path whose last segment starts
	// with __dcos_base64__ implies it.
	Base64 bool
}

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rewrap re-encrypts, at Open, every secret sealed with an older key
	// with the keyring's first key, so that the older keys can be retired
	// after the next start. Versions do not change.
	Rewrap bool
}

// Store is the encrypted secret store. Values are sealed with the keyring's
// first key before they reach the state store and opened only by Resolve.
// Every method is bounded by its context. A Store holds no lock across
// state calls: concurrent writers are ordered by the state store's
// compare-and-set and atomic commits.
type Store struct {
	state state.Store
	ring  *Keyring
	log   *slog.Logger
	now   func() time.Time
}

// Stored counts the secrets kept in root (the scheduler's state store),
// without keys: a scheduler started without a key uses it to refuse to start
// when there are secrets it could not read.
func Stored(ctx context.Context, root state.Store) (int, error) {
	names, err := state.Sub(root, StateKey).Children(ctx, valuesKey)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return 0, fmt.Errorf("listing the stored secrets: %w", err)
	}
	return len(names), nil
}

// Open opens the secret store kept in root (the scheduler's state store)
// and checks that ring opens every stored secret. Secrets sealed with keys
// ring lacks are a *KeyMismatchError, damaged records an ErrCorrupt error;
// either way nothing is changed and the scheduler must not start.
func Open(ctx context.Context, root state.Store, ring *Keyring, opts Options) (*Store, error) {
	if ring == nil {
		return nil, fmt.Errorf("%w: no key given", ErrKeys)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{state: state.Sub(root, StateKey), ring: ring, log: opts.Logger, now: opts.Now}
	records, err := s.records(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.check(records); err != nil {
		return nil, err
	}
	older := 0
	for _, r := range records {
		if r.KeyID != ring.PrimaryID() {
			older++
		}
	}
	if opts.Rewrap && older > 0 {
		n, err := s.Rewrap(ctx)
		if err != nil {
			return nil, err
		}
		s.log.Info("secrets re-encrypted with the first key", "count", n, "key_id", ring.PrimaryID())
		older -= n
	}
	s.log.Info("secret store open", "secrets", len(records), "under_older_keys", older, "keys", ring)
	return s, nil
}

// check opens every record with the keyring and wipes what it decrypted.
func (s *Store) check(records []storedRecord) error {
	missing := map[string][]string{}
	var damaged []error
	for _, r := range records {
		if _, ok := s.ring.byID(r.KeyID); !ok {
			missing[r.KeyID] = append(missing[r.KeyID], r.Path)
			continue
		}
		plaintext, err := r.open(s.ring)
		clear(plaintext)
		if err != nil {
			damaged = append(damaged, err)
		}
	}
	if len(missing) > 0 {
		return &KeyMismatchError{Missing: missing, Given: s.ring.IDs()}
	}
	if len(damaged) > 0 {
		return fmt.Errorf("the secret store holds records that cannot be read; nothing was changed: %w", errors.Join(damaged...))
	}
	return nil
}

// storedRecord is a record with the state version it was read at.
type storedRecord struct {
	*record
	version state.Version
}

// records reads every stored record, sorted by path.
func (s *Store) records(ctx context.Context) ([]storedRecord, error) {
	names, err := s.state.Children(ctx, valuesKey)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("listing the stored secrets: %w", err)
	}
	out := make([]storedRecord, 0, len(names))
	for _, name := range names {
		path, err := url.PathUnescape(name)
		if err != nil {
			return nil, fmt.Errorf("%w: the stored secret %q has an invalid name: %v", ErrCorrupt, name, err)
		}
		r, err := s.read(ctx, path)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// read reads one record; ErrNotFound when the secret does not exist.
func (s *Store) read(ctx context.Context, path string) (storedRecord, error) {
	node, err := s.state.Get(ctx, valueKey(path))
	if errors.Is(err, state.ErrNotFound) {
		return storedRecord{}, fmt.Errorf("secret %q: %w; list the secrets with GET /v1/secrets", path, ErrNotFound)
	}
	if err != nil {
		return storedRecord{}, fmt.Errorf("reading secret %q: %w", path, err)
	}
	r, err := decodeRecord(path, node.Value)
	if err != nil {
		return storedRecord{}, err
	}
	return storedRecord{record: r, version: node.Version}, nil
}

// Put writes the secret's value (creating the secret or giving it a new
// version) and reports whether it was created. The value is checked first:
// a valid path, base64 where the options or the path ask for it, not empty,
// at most MaxValueSize bytes; nothing is written otherwise.
func (s *Store) Put(ctx context.Context, path string, value Value, opts PutOptions) (Info, bool, error) {
	if err := ValidatePath(path); err != nil {
		return Info{}, false, err
	}
	plaintext, binary, err := prepareValue(path, value, opts)
	defer clear(plaintext)
	if err != nil {
		return Info{}, false, err
	}
	for range maxAttempts {
		info, created, err := s.put(ctx, path, plaintext, binary)
		if errors.Is(err, state.ErrVersionConflict) {
			continue // written meanwhile: write over the newer record
		}
		if err != nil {
			return Info{}, false, err
		}
		s.log.Info("secret written", "path", path, "version", info.Version, "binary", binary, "created", created, "key_id", info.KeyID)
		return info, created, nil
	}
	return Info{}, false, fmt.Errorf("writing secret %q: it was written concurrently %d times in a row; try again", path, maxAttempts)
}

func (s *Store) put(ctx context.Context, path string, plaintext []byte, binary bool) (Info, bool, error) {
	expected := state.NoVersion
	now := s.now().UTC().Truncate(time.Millisecond)
	rec := &record{Format: recordFormat, Path: path, Binary: binary, Created: now, Updated: now}
	prev, err := s.read(ctx, path)
	switch {
	case err == nil:
		expected, rec.Created = prev.version, prev.Created
	case errors.Is(err, ErrCorrupt):
		// A damaged record is overwritten: writing the secret again is
		// how it is repaired.
		node, gerr := s.state.Get(ctx, valueKey(path))
		if gerr != nil {
			return Info{}, false, fmt.Errorf("reading secret %q: %w", path, gerr)
		}
		expected = node.Version
	case !errors.Is(err, ErrNotFound):
		return Info{}, false, err
	}
	if rec.Version, err = newVersion(); err != nil {
		return Info{}, false, err
	}
	if err := rec.seal(s.ring, plaintext); err != nil {
		return Info{}, false, fmt.Errorf("encrypting secret %q: %w", path, err)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return Info{}, false, fmt.Errorf("encoding secret %q: %w", path, err)
	}
	if _, err := s.state.CompareAndSet(ctx, valueKey(path), data, expected); err != nil {
		return Info{}, false, fmt.Errorf("writing secret %q: %w", path, err)
	}
	users, err := s.users(ctx, path)
	if err != nil {
		return Info{}, false, err
	}
	return rec.info(users), expected == state.NoVersion, nil
}

// prepareValue returns the bytes to store (a copy the caller wipes) and
// whether they were base64-decoded.
func prepareValue(path string, value Value, opts PutOptions) ([]byte, bool, error) {
	raw := value.bytes()
	binary := opts.Base64 || IsBase64Path(path)
	var plaintext []byte
	if binary {
		text := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, raw)
		defer clear(text)
		plaintext = make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, err := base64.StdEncoding.Decode(plaintext, text)
		plaintext = plaintext[:n]
		if err != nil {
			why := "it was sent with \"binary\": true"
			if IsBase64Path(path) {
				why = "its name starts with " + Base64Prefix
			}
			return plaintext, true, fmt.Errorf("%w: the value of %q must be base64 (RFC 4648, standard alphabet with padding, as `base64 -w 0` writes) because %s, but it is not (%v)", ErrInvalidValue, path, why, err)
		}
	} else {
		plaintext = append([]byte(nil), raw...)
	}
	switch {
	case len(plaintext) == 0:
		return plaintext, binary, fmt.Errorf("%w: the value of %q is empty; a secret needs a value", ErrInvalidValue, path)
	case len(plaintext) > MaxValueSize:
		return plaintext, binary, fmt.Errorf("%w: the value of %q is %d bytes, over the limit of %d bytes (512 KiB)", ErrValueTooLarge, path, len(plaintext), MaxValueSize)
	}
	return plaintext, binary, nil
}

// Get describes one secret; ErrNotFound when it does not exist.
func (s *Store) Get(ctx context.Context, path string) (Info, error) {
	if err := ValidatePath(path); err != nil {
		return Info{}, err
	}
	r, err := s.read(ctx, path)
	if err != nil {
		return Info{}, err
	}
	users, err := s.users(ctx, path)
	if err != nil {
		return Info{}, err
	}
	return r.info(users), nil
}

// List describes every secret, sorted by path.
func (s *Store) List(ctx context.Context) ([]Info, error) {
	records, err := s.records(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(records))
	for _, r := range records {
		users, err := s.users(ctx, r.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, r.info(users))
	}
	return out, nil
}

// users lists the services that use the secret, sorted.
func (s *Store) users(ctx context.Context, path string) ([]string, error) {
	names, err := s.state.Children(ctx, usersOf(path))
	if errors.Is(err, state.ErrNotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the users of secret %q: %w", path, err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if name, err := url.PathUnescape(n); err == nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Delete removes a secret. It is refused with an *InUseError (ErrInUse)
// while a service uses it, and is ErrNotFound when it does not exist.
func (s *Store) Delete(ctx context.Context, path string) error {
	if err := ValidatePath(path); err != nil {
		return err
	}
	if _, err := s.read(ctx, path); err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	// One commit: the users' folder is deleted only when it is empty, and
	// a service that starts using the secret checks the record's version in
	// its own commit, so the two cannot interleave.
	err := s.state.Commit(ctx, state.DeleteOp(usersOf(path)), state.DeleteOp(valueKey(path)))
	if errors.Is(err, state.ErrHasChildren) {
		users, uerr := s.users(ctx, path)
		if uerr != nil {
			return uerr
		}
		return &InUseError{Path: path, Services: users}
	}
	if err != nil {
		return fmt.Errorf("deleting secret %q: %w", path, err)
	}
	s.log.Info("secret deleted", "path", path)
	return nil
}

// Resolve returns the value and version of a secret for the service that
// uses it, after checking that the service may read it (Authorize). This
// is the only way to a value; the caller hands it on to the broker and to
// nothing else.
func (s *Store) Resolve(ctx context.Context, service, path string) (Value, string, error) {
	if err := Authorize(service, path); err != nil {
		return Value{}, "", err
	}
	r, err := s.read(ctx, path)
	if err != nil {
		return Value{}, "", err
	}
	plaintext, err := r.open(s.ring)
	defer clear(plaintext)
	if err != nil {
		return Value{}, "", err
	}
	s.log.Debug("secret resolved", "service", ServiceID(service), "path", path, "version", r.Version)
	return NewValue(plaintext), r.Version, nil
}

// UsedBy lists the secrets a service uses (as SetUsers last recorded).
func (s *Store) UsedBy(ctx context.Context, service string) ([]string, error) {
	paths, _, err := s.servicePaths(ctx, service)
	return paths, err
}

// SetUsers records that the service uses exactly these secrets: it becomes
// a user of each (which blocks their deletion) and stops being one of any
// other. Every secret must exist and be readable by the service; otherwise
// nothing changes and the error names each refused secret. One service's
// users are set by that service only (its own goroutine), so calls for the
// same service do not race; calls for different services may.
func (s *Store) SetUsers(ctx context.Context, service string, paths []string) error {
	name := serviceName(service)
	if name == "" {
		return fmt.Errorf("%w: no service name given", ErrAccessDenied)
	}
	want := slices.Clone(paths)
	slices.Sort(want)
	want = slices.Compact(want)
	var refused []error
	for _, p := range want {
		if err := Authorize(name, p); err != nil {
			refused = append(refused, err)
		}
	}
	if len(refused) > 0 {
		return errors.Join(refused...)
	}
	for range maxAttempts {
		err := s.setUsers(ctx, name, want)
		if errors.Is(err, state.ErrVersionConflict) {
			continue // a secret was written meanwhile: check it again
		}
		return err
	}
	return fmt.Errorf("recording the secrets of service %s: they changed concurrently %d times in a row; try again", ServiceID(name), maxAttempts)
}

func (s *Store) setUsers(ctx context.Context, service string, want []string) error {
	had, version, err := s.servicePaths(ctx, service)
	if err != nil {
		return err
	}
	var ops []state.Op
	var missing []error
	for _, p := range want {
		r, err := s.read(ctx, p)
		if errors.Is(err, ErrNotFound) {
			missing = append(missing, fmt.Errorf("service %s uses secret %q, which does not exist: %w; write it with PUT /v1/secrets/%s first", ServiceID(service), p, ErrNotFound, p))
			continue
		}
		if err != nil {
			return err
		}
		ops = append(ops, state.CheckOp(valueKey(p), r.version), state.SetOp(userKey(p, service), nil))
	}
	if len(missing) > 0 {
		return errors.Join(missing...)
	}
	for _, p := range had {
		if !slices.Contains(want, p) {
			ops = append(ops, state.DeleteOp(userKey(p, service)))
		}
	}
	if len(want) == 0 {
		ops = append(ops, state.DeleteOp(serviceKey(service)))
	} else {
		list, err := json.Marshal(want)
		if err != nil {
			return err
		}
		ops = append(ops, state.CompareAndSetOp(serviceKey(service), list, version))
	}
	if err := s.state.Commit(ctx, ops...); err != nil {
		return fmt.Errorf("recording the secrets of service %s: %w", ServiceID(service), err)
	}
	s.log.Debug("secret users recorded", "service", ServiceID(service), "secrets", want)
	return nil
}

// servicePaths reads the secrets a service uses and the state version of
// that list (NoVersion when it has none).
func (s *Store) servicePaths(ctx context.Context, service string) ([]string, state.Version, error) {
	node, err := s.state.Get(ctx, serviceKey(service))
	if errors.Is(err, state.ErrNotFound) {
		return nil, state.NoVersion, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading the secrets of service %s: %w", ServiceID(service), err)
	}
	var paths []string
	if err := json.Unmarshal(node.Value, &paths); err != nil {
		return nil, 0, fmt.Errorf("%w: the list of secrets of service %s is not valid: %v", ErrCorrupt, ServiceID(service), err)
	}
	return paths, node.Version, nil
}

// Rewrap re-encrypts every secret sealed with an older key with the
// keyring's first key, keeping versions and timestamps (the values do not
// change), and returns how many it rewrote. A secret written meanwhile is
// already under the first key and is left alone.
func (s *Store) Rewrap(ctx context.Context) (int, error) {
	records, err := s.records(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range records {
		if r.KeyID == s.ring.PrimaryID() {
			continue
		}
		done, err := s.rewrap(ctx, r)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

func (s *Store) rewrap(ctx context.Context, r storedRecord) (bool, error) {
	plaintext, err := r.open(s.ring)
	defer clear(plaintext)
	if err != nil {
		return false, err
	}
	next := *r.record
	if err := next.seal(s.ring, plaintext); err != nil {
		return false, fmt.Errorf("re-encrypting secret %q: %w", r.Path, err)
	}
	data, err := json.Marshal(&next)
	if err != nil {
		return false, fmt.Errorf("encoding secret %q: %w", r.Path, err)
	}
	_, err = s.state.CompareAndSet(ctx, valueKey(r.Path), data, r.version)
	switch {
	case errors.Is(err, state.ErrVersionConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("re-encrypting secret %q: %w", r.Path, err)
	}
	s.log.Debug("secret re-encrypted", "path", r.Path, "from_key", r.KeyID, "to_key", next.KeyID)
	return true, nil
}
