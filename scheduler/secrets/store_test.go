package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// stepClock is a clock that moves one second on every reading.
func stepClock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

func mustPut(t *testing.T, s *Store, path string, value []byte, opts PutOptions) Info {
	t.Helper()
	info, _, err := s.Put(testCtx(t), path, NewValue(value), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", path, err)
	}
	return info
}

func mustResolve(t *testing.T, s *Store, service, path string) ([]byte, string) {
	t.Helper()
	v, version, err := s.Resolve(testCtx(t), service, path)
	if err != nil {
		t.Fatalf("Resolve(%q, %q): %v", service, path, err)
	}
	return v.Reveal(), version
}

func TestPutGetListDelete(t *testing.T) {
	st, _ := newEmbedded(t)
	ring := mustRing(t, randomKey(t))
	s := mustOpen(t, st, ring, Options{Now: stepClock()})
	ctx := testCtx(t)

	first, created, err := s.Put(ctx, "kafka/password", NewValue([]byte("pw-one")), PutOptions{})
	if err != nil || !created {
		t.Fatalf("Put = %+v, created %v, %v; want created", first, created, err)
	}
	if first.Path != "kafka/password" || first.Version == "" || first.Binary || first.KeyID != ring.PrimaryID() ||
		first.UsedBy == nil || len(first.UsedBy) != 0 || !first.Created.Equal(first.Updated) {
		t.Errorf("first write = %+v", first)
	}
	second, created, err := s.Put(ctx, "kafka/password", NewValue([]byte("pw-one")), PutOptions{})
	if err != nil || created {
		t.Fatalf("second Put: created %v, %v; want an update", created, err)
	}
	if second.Version == first.Version {
		t.Errorf("the version did not change on a write of the same value: %s", second.Version)
	}
	if !second.Created.Equal(first.Created) || !second.Updated.After(first.Updated) {
		t.Errorf("second write times: created %v updated %v; first %v %v", second.Created, second.Updated, first.Created, first.Updated)
	}
	mustPut(t, s, "Secret_Path1", []byte("top"), PutOptions{})

	got, err := s.Get(ctx, "kafka/password")
	if err != nil || !reflect.DeepEqual(got, second) {
		t.Errorf("Get = %+v, %v; want %+v", got, err, second)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 2 || list[0].Path != "Secret_Path1" || list[1].Path != "kafka/password" {
		t.Errorf("List = %+v, %v; want both, sorted", list, err)
	}
	value, version := mustResolve(t, s, "/kafka", "kafka/password")
	if string(value) != "pw-one" || version != second.Version {
		t.Errorf("Resolve = %d bytes at version %s, want pw-one at %s", len(value), version, second.Version)
	}

	if err := s.Delete(ctx, "kafka/password"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "kafka/password"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "kafka/password"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Resolve(ctx, "/kafka", "kafka/password"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve after Delete = %v, want ErrNotFound", err)
	}
}

func TestBinaryValues(t *testing.T) {
	st, _ := newEmbedded(t)
	s := mustOpen(t, st, mustRing(t, randomKey(t)), Options{})
	raw := make([]byte, 4096)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	wrapped := wrap(b64, 76) // GNU base64's default output

	cases := []struct {
		name, path, text string
		opts             PutOptions
	}{
		{"binary flag", "kafka/keytab", b64, PutOptions{Base64: true}},
		{"__dcos_base64__ name", "kafka/__dcos_base64__keytab", b64, PutOptions{}},
		{"line-wrapped base64", "kafka/__dcos_base64__wrapped", wrapped, PutOptions{}},
		{"flag and name: decoded once", "kafka/__dcos_base64__both", b64, PutOptions{Base64: true}},
	}
	for _, c := range cases {
		info := mustPut(t, s, c.path, []byte(c.text), c.opts)
		if !info.Binary {
			t.Errorf("%s: Binary = false", c.name)
		}
		got, _ := mustResolve(t, s, "kafka", c.path)
		if !bytes.Equal(got, raw) {
			t.Errorf("%s: Resolve gave %d bytes that differ from the 4096 written", c.name, len(got))
		}
	}
	// A text secret is stored exactly as given, base64-looking or not.
	mustPut(t, s, "kafka/plain", []byte(b64), PutOptions{})
	if got, _ := mustResolve(t, s, "kafka", "kafka/plain"); string(got) != b64 {
		t.Error("a text secret was changed on the way")
	}
}

func wrap(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + "\n")
		s = s[width:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

// TestBadWritesChangeNothing checks each refusal: its error, and a state
// store left exactly as it was.
func TestBadWritesChangeNothing(t *testing.T) {
	st, _ := newEmbedded(t)
	s := mustOpen(t, st, mustRing(t, randomKey(t)), Options{})
	mustPut(t, s, "kafka/keep", []byte("keep-me"), PutOptions{})
	before := dumpState(t, st)

	cases := []struct {
		name, path, value string
		opts              PutOptions
		is                error
		says              string
	}{
		{"absolute", "/kafka/x", "v", PutOptions{}, ErrInvalidPath, "absolute"},
		{"empty", "kafka/x", "", PutOptions{}, ErrInvalidValue, "empty"},
		{"oversize", "kafka/x", strings.Repeat("a", MaxValueSize+1), PutOptions{}, ErrValueTooLarge, "524289 bytes, over the limit of 524288"},
		{"oversize decoded", "kafka/x", base64.StdEncoding.EncodeToString(make([]byte, MaxValueSize+1)), PutOptions{Base64: true}, ErrValueTooLarge, "over the limit"},
		{"not base64 (flag)", "kafka/x", "not base64!", PutOptions{Base64: true}, ErrInvalidValue, `sent with "binary": true`},
		{"not base64 (name)", "kafka/__dcos_base64__x", "not base64!", PutOptions{}, ErrInvalidValue, "its name starts with __dcos_base64__"},
		{"empty after decoding", "kafka/__dcos_base64__x", "\n", PutOptions{}, ErrInvalidValue, "empty"},
	}
	for _, c := range cases {
		_, _, err := s.Put(testCtx(t), c.path, NewValue([]byte(c.value)), c.opts)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: Put = %v, want %v saying %q", c.name, err, c.is, c.says)
		}
	}
	if after := dumpState(t, st); !reflect.DeepEqual(before, after) {
		t.Errorf("refused writes changed the state:\nbefore %q\nafter  %q", joinDump(before), joinDump(after))
	}
}

func TestUsedByBlocksDelete(t *testing.T) {
	st, _ := newEmbedded(t)
	s := mustOpen(t, st, mustRing(t, randomKey(t)), Options{})
	ctx := testCtx(t)
	for _, p := range []string{"prod/kafka/tls", "prod/shared", "other/x"} {
		mustPut(t, s, p, []byte("v-"+p), PutOptions{})
	}
	if err := s.SetUsers(ctx, "prod/kafka", []string{"prod/kafka/tls", "prod/shared", "prod/shared"}); err != nil {
		t.Fatalf("SetUsers: %v", err)
	}
	if err := s.SetUsers(ctx, "/prod/other", []string{"prod/shared"}); err != nil {
		t.Fatalf("SetUsers of a second service: %v", err)
	}
	info, err := s.Get(ctx, "prod/shared")
	if err != nil || !reflect.DeepEqual(info.UsedBy, []string{"prod/kafka", "prod/other"}) {
		t.Fatalf("UsedBy = %v, %v; want both services", info.UsedBy, err)
	}

	err = s.Delete(ctx, "prod/kafka/tls")
	var inUse *InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrInUse) || !reflect.DeepEqual(inUse.Services, []string{"prod/kafka"}) ||
		!strings.Contains(err.Error(), `"prod/kafka/tls" is used by "prod/kafka"`) {
		t.Fatalf("Delete of a used secret = %v, want an *InUseError naming prod/kafka", err)
	}
	if _, err := s.Get(ctx, "prod/kafka/tls"); err != nil {
		t.Fatalf("the refused delete removed the secret: %v", err)
	}

	before := dumpState(t, st)
	err = s.SetUsers(ctx, "prod/kafka", []string{"prod/shared", "other/x", "prod/kafka/tls/deeper"})
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), `"other/x"`) || !strings.Contains(err.Error(), `"prod/kafka/tls/deeper"`) {
		t.Errorf("SetUsers with secrets outside the namespaces = %v, want both refused by name", err)
	}
	err = s.SetUsers(ctx, "prod/kafka", []string{"prod/missing"})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"prod/missing", which does not exist`) {
		t.Errorf("SetUsers with a missing secret = %v, want ErrNotFound naming it", err)
	}
	if after := dumpState(t, st); !reflect.DeepEqual(before, after) {
		t.Error("refused SetUsers calls changed the state")
	}

	// A new version keeps its users.
	if info := mustPut(t, s, "prod/kafka/tls", []byte("v2"), PutOptions{}); !reflect.DeepEqual(info.UsedBy, []string{"prod/kafka"}) {
		t.Errorf("UsedBy after a new version = %v", info.UsedBy)
	}
	if err := s.SetUsers(ctx, "prod/kafka", []string{"prod/shared"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "prod/kafka/tls"); err != nil {
		t.Errorf("Delete of a secret no longer used: %v", err)
	}
	if used, err := s.UsedBy(ctx, "prod/kafka"); err != nil || !reflect.DeepEqual(used, []string{"prod/shared"}) {
		t.Errorf("UsedBy(prod/kafka) = %v, %v", used, err)
	}
	for _, svc := range []string{"prod/kafka", "prod/other"} {
		if err := s.SetUsers(ctx, svc, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "prod/shared"); err != nil {
		t.Errorf("Delete once every service let go: %v", err)
	}
	for key := range dumpState(t, st) {
		if strings.HasPrefix(key, StateKey+"/"+servicesKey+"/") || strings.Contains(key, "prod%2Fshared") || strings.Contains(key, "prod%2Fkafka%2Ftls") {
			t.Errorf("left behind: %s", key)
		}
	}
}

func TestResolveChecksAuthorization(t *testing.T) {
	st, _ := newEmbedded(t)
	s := mustOpen(t, st, mustRing(t, randomKey(t)), Options{})
	mustPut(t, s, "secret-svc/Secret_Path1", []byte("svc-secret"), PutOptions{})
	v, version, err := s.Resolve(testCtx(t), "/user", "secret-svc/Secret_Path1")
	if !errors.Is(err, ErrAccessDenied) || v.Len() != 0 || version != "" {
		t.Fatalf("Resolve by /user = %d bytes, %q, %v; want nothing and ErrAccessDenied", v.Len(), version, err)
	}
	if got, _ := mustResolve(t, s, "/secret-svc/a/b/c/dev3", "secret-svc/Secret_Path1"); string(got) != "svc-secret" {
		t.Error("a service below the namespace got the wrong value")
	}
}

func TestRotation(t *testing.T) {
	st, _ := newEmbedded(t)
	oldKey, newKey := randomKey(t), randomKey(t)
	oldRing := mustRing(t, oldKey)
	s := mustOpen(t, st, oldRing, Options{})
	before := mustPut(t, s, "kafka/old", []byte("written-with-the-old-key"), PutOptions{})

	// The new key first, the old one kept: old secrets read, new ones are
	// written with the new key.
	rotated := mustRing(t, newKey, oldKey)
	s = mustOpen(t, st, rotated, Options{})
	if got, _ := mustResolve(t, s, "kafka", "kafka/old"); string(got) != "written-with-the-old-key" {
		t.Fatal("the old secret does not read after the rotation")
	}
	if info, _ := s.Get(testCtx(t), "kafka/old"); info.KeyID != oldRing.PrimaryID() {
		t.Errorf("without Rewrap the old secret moved to key %s", info.KeyID)
	}
	fresh := mustPut(t, s, "kafka/new", []byte("written-with-the-new-key"), PutOptions{})
	if fresh.KeyID != rotated.PrimaryID() || fresh.KeyID == oldRing.PrimaryID() {
		t.Errorf("a new secret was written with key %s, want the new key %s", fresh.KeyID, rotated.PrimaryID())
	}
	// The old key alone cannot read the new secret: the scheduler refuses
	// to start rather than serve half its secrets.
	if _, err := Open(testCtx(t), st, mustRing(t, oldKey), Options{}); !errors.Is(err, ErrKeys) || !strings.Contains(err.Error(), `"kafka/new"`) {
		t.Errorf("Open with only the old key = %v, want ErrKeys naming kafka/new", err)
	}

	// Rewrap moves the old secret to the new key without a new version.
	s = mustOpen(t, st, rotated, Options{Rewrap: true})
	after, err := s.Get(testCtx(t), "kafka/old")
	if err != nil || after.KeyID != rotated.PrimaryID() || after.Version != before.Version || !after.Updated.Equal(before.Updated) {
		t.Fatalf("after Rewrap: %+v, %v; want key %s, version %s and time unchanged", after, err, rotated.PrimaryID(), before.Version)
	}
	// Now the old key can go.
	s = mustOpen(t, st, mustRing(t, newKey), Options{})
	for path, want := range map[string]string{"kafka/old": "written-with-the-old-key", "kafka/new": "written-with-the-new-key"} {
		if got, _ := mustResolve(t, s, "kafka", path); string(got) != want {
			t.Errorf("%s with only the new key = %d bytes, want %q", path, len(got), want)
		}
	}
}

func TestWrongKeyRefusesToStartAndChangesNothing(t *testing.T) {
	st, dir := newEmbedded(t)
	right := mustRing(t, randomKey(t))
	s := mustOpen(t, st, right, Options{})
	mustPut(t, s, "kafka/a", []byte("value-a"), PutOptions{})
	mustPut(t, s, "kafka/b", []byte("value-b"), PutOptions{})
	before := dumpState(t, st)

	wrong := mustRing(t, randomKey(t))
	for _, rewrap := range []bool{false, true} {
		_, err := Open(testCtx(t), st, wrong, Options{Rewrap: rewrap})
		var mismatch *KeyMismatchError
		if !errors.As(err, &mismatch) || !errors.Is(err, ErrKeys) {
			t.Fatalf("Open with a wrong key = %v, want a *KeyMismatchError", err)
		}
		msg := err.Error()
		for _, want := range []string{"2 stored secrets", "key " + right.PrimaryID(), `"kafka/a"`, `"kafka/b"`, wrong.PrimaryID(), "nothing was changed"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the error %q does not say %q", msg, want)
			}
		}
	}
	if _, err := Open(testCtx(t), st, nil, Options{}); !errors.Is(err, ErrKeys) {
		t.Errorf("Open without a keyring = %v, want ErrKeys", err)
	}
	if after := dumpState(t, st); !reflect.DeepEqual(before, after) {
		t.Error("opening with a wrong key changed the state")
	}
	if n, err := Stored(testCtx(t), st); n != 2 || err != nil {
		t.Errorf("Stored = %d, %v; want 2", n, err)
	}
	assertNoLeak(t, "the embedded store's files", readDir(t, dir), []byte("value-a"))
}

// TestDamagedRecords: a ciphertext moved to another secret, or altered,
// does not open, and Open says which secret; writing it again repairs it.
func TestDamagedRecords(t *testing.T) {
	cases := []struct {
		name   string
		damage func(r *record)
		says   string
	}{
		{"moved to another path", func(r *record) { r.Path = "kafka/b" }, `secret "kafka/b" does not decrypt`},
		{"another version's ciphertext", func(r *record) { r.Version = "0123456789abcdef" }, "does not decrypt"},
		{"binary flag flipped", func(r *record) { r.Binary = !r.Binary }, "does not decrypt"},
		{"ciphertext altered", func(r *record) { r.Ciphertext[3] ^= 1 }, "altered or copied"},
		{"short nonce", func(r *record) { r.Nonce = r.Nonce[:4] }, "4-byte nonce"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _ := newEmbedded(t)
			ring := mustRing(t, randomKey(t))
			s := mustOpen(t, st, ring, Options{})
			mustPut(t, s, "kafka/a", []byte("value-a"), PutOptions{})
			mustPut(t, s, "kafka/b", []byte("value-b"), PutOptions{})
			node, err := st.Get(testCtx(t), StateKey+"/"+valueKey("kafka/a"))
			if err != nil {
				t.Fatal(err)
			}
			var r record
			if err := json.Unmarshal(node.Value, &r); err != nil {
				t.Fatal(err)
			}
			c.damage(&r)
			target := StateKey + "/" + valueKey(r.Path)
			data, _ := json.Marshal(&r)
			if err := st.Set(testCtx(t), target, data); err != nil {
				t.Fatal(err)
			}
			_, err = Open(testCtx(t), st, ring, Options{})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Open over a damaged record = %v, want ErrCorrupt saying %q", err, c.says)
			}
			if _, _, err := s.Resolve(testCtx(t), "kafka", r.Path); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Resolve of the damaged record = %v, want ErrCorrupt", err)
			}
			mustPut(t, s, r.Path, []byte("repaired"), PutOptions{})
			mustOpen(t, st, ring, Options{})
		})
	}
}

// TestRecordsAreCiphertextOnly reads the embedded store's keys and its
// files on disk after text and binary writes: neither value, in any
// encoding, is there.
func TestRecordsAreCiphertextOnly(t *testing.T) {
	st, dir := newEmbedded(t)
	s := mustOpen(t, st, mustRing(t, randomKey(t)), Options{})
	text := []byte("a-text-secret-for-the-disk-test")
	raw := make([]byte, 4096)
	_, _ = rand.Read(raw)
	mustPut(t, s, "kafka/text", text, PutOptions{})
	mustPut(t, s, "kafka/bin", []byte(base64.StdEncoding.EncodeToString(raw)), PutOptions{Base64: true})
	mustPut(t, s, "kafka/__dcos_base64__bin", []byte(base64.StdEncoding.EncodeToString(raw)), PutOptions{})
	if err := s.SetUsers(testCtx(t), "kafka", []string{"kafka/text"}); err != nil {
		t.Fatal(err)
	}
	dump := joinDump(dumpState(t, st))
	if !bytes.Contains(dump, []byte(`"path":"kafka/text"`)) || !bytes.Contains(dump, []byte(`"ciphertext":`)) {
		t.Fatalf("the dump does not hold the records:\n%s", dump)
	}
	files := readDir(t, dir)
	for _, v := range [][]byte{text, raw} {
		assertNoLeak(t, "the state dump", dump, v)
		assertNoLeak(t, "the embedded store's files", files, v)
	}
}

func TestConcurrentWritesAllLand(t *testing.T) {
	st, _ := newEmbedded(t)
	s := mustOpen(t, st, mustRing(t, randomKey(t)), Options{})
	const writers = 6
	versions := make([]string, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var info Info
			info, _, errs[i] = s.Put(testCtx(t), "kafka/raced", NewValue([]byte(fmt.Sprintf("value-%d", i))), PutOptions{})
			versions[i] = info.Version
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range writers {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if seen[versions[i]] {
			t.Errorf("two writes got version %s", versions[i])
		}
		seen[versions[i]] = true
	}
	got, version := mustResolve(t, s, "kafka", "kafka/raced")
	if !seen[version] || !strings.HasPrefix(string(got), "value-") {
		t.Errorf("final value is %q at version %s", got, version)
	}
}

// TestNoValueInLogsOrErrors runs every operation, good and bad, with a
// debug-level logger, and greps the logs, every error and every Info for
// the values.
func TestNoValueInLogsOrErrors(t *testing.T) {
	st, _ := newEmbedded(t)
	var logs logBuffer
	key := randomKey(t)
	s := mustOpen(t, st, mustRing(t, key), Options{Logger: debugLogger(&logs)})
	ctx := testCtx(t)
	text := []byte("log-test-secret-text")
	raw := make([]byte, 512)
	_, _ = rand.Read(raw)

	var seen bytes.Buffer
	note := func(v ...any) { fmt.Fprintf(&seen, "%+v\n", v) }
	info, created, err := s.Put(ctx, "kafka/text", NewValue(text), PutOptions{})
	note(info, created, err)
	info, created, err = s.Put(ctx, "kafka/bin", NewValue([]byte(base64.StdEncoding.EncodeToString(raw))), PutOptions{Base64: true})
	note(info, created, err)
	// Bad writes whose value holds the secret.
	_, _, err = s.Put(ctx, "kafka/__dcos_base64__x", NewValue(append([]byte("!!"), text...)), PutOptions{})
	note(err)
	_, _, err = s.Put(ctx, "/kafka/text", NewValue(text), PutOptions{})
	note(err)
	_, _, err = s.Put(ctx, "kafka/big", NewValue(bytes.Repeat(text, MaxValueSize/len(text)+1)), PutOptions{})
	note(err)
	v, version, err := s.Resolve(ctx, "kafka", "kafka/text")
	note(v, version, err)
	log := debugLogger(&logs)
	log.Debug("a caller logging what it resolved", "value", v, "err", err)
	v, version, err = s.Resolve(ctx, "user", "kafka/text")
	note(v, version, err)
	note(s.SetUsers(ctx, "kafka", []string{"kafka/text", "kafka/bin"}))
	note(s.Delete(ctx, "kafka/text"))
	list, err := s.List(ctx)
	note(list, err)
	_, err = Open(ctx, st, mustRing(t, randomKey(t)), Options{Logger: debugLogger(&logs)})
	note(err)
	_, err = Open(ctx, st, mustRing(t, randomKey(t), key), Options{Logger: debugLogger(&logs), Rewrap: true})
	note(err)

	out := append(logs.Bytes(), seen.Bytes()...)
	if !bytes.Contains(out, []byte("secret written")) || !bytes.Contains(out, []byte("secret resolved")) || !bytes.Contains(out, []byte("is used by")) {
		t.Fatalf("the test did not capture the store's logs and errors:\n%s", out)
	}
	for _, secret := range [][]byte{text, raw, key} {
		assertNoLeak(t, "logs, errors and answers", out, secret)
	}
}

func TestStoredCountsWithoutKeys(t *testing.T) {
	st, _ := newEmbedded(t)
	if n, err := Stored(testCtx(t), st); n != 0 || err != nil {
		t.Fatalf("Stored on an empty store = %d, %v", n, err)
	}
	// The secret store stays out of the services' keys.
	s := mustOpen(t, st, mustRing(t, randomKey(t)), Options{})
	mustPut(t, s, "x", []byte("v"), PutOptions{})
	top, err := st.Children(testCtx(t), state.RootKey)
	if err != nil || !reflect.DeepEqual(top, []string{StateKey}) {
		t.Errorf("top-level keys = %v, %v; want only %q", top, err, StateKey)
	}
}
