package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyringFromFormats(t *testing.T) {
	k1, k2, k3, k4 := randomKey(t), randomKey(t), randomKey(t), randomKey(t)
	text := fmt.Sprintf("# rotated 2030-01-01: the new key first\n%s\n\n  %s  \n%s, %s\n",
		base64.StdEncoding.EncodeToString(k1), hex.EncodeToString(k2),
		base64.RawURLEncoding.EncodeToString(k3), base64.RawStdEncoding.EncodeToString(k4))
	ring, err := KeyringFrom(KeySource{Name: "keys.txt", Text: []byte(text)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{keyID(k1), keyID(k2), keyID(k3), keyID(k4)}
	if got := ring.IDs(); fmt.Sprint(got) != fmt.Sprint(want) || ring.PrimaryID() != keyID(k1) {
		t.Errorf("IDs = %v, want %v with the first encrypting", got, want)
	}
	// Several sources keep their order.
	ring, err = KeyringFrom(
		KeySource{Name: "new.key", Text: []byte(base64.StdEncoding.EncodeToString(k2))},
		KeySource{Name: "old.key", Text: []byte(base64.StdEncoding.EncodeToString(k1) + "\n")})
	if err != nil || ring.PrimaryID() != keyID(k2) || len(ring.IDs()) != 2 {
		t.Fatalf("two sources: %v, %v", ring, err)
	}
}

func TestKeyringErrorsNeverShowKeys(t *testing.T) {
	k := randomKey(t)
	good := base64.StdEncoding.EncodeToString(k)
	short := base64.StdEncoding.EncodeToString(k[:31])
	cases := []struct {
		name, text, says string
	}{
		{"short key", good + "\n" + short, "key 2 in f is not 32 bytes"},
		{"not a key", "correct horse battery staple", "key 1 in f is not 32 bytes"},
		{"duplicate", good + "," + hex.EncodeToString(k), "key 2 is the same as key 1"},
		{"empty", "# nothing here\n\n", "no key found in f"},
	}
	for _, c := range cases {
		_, err := KeyringFrom(KeySource{Name: "f", Text: []byte(c.text)})
		if !errors.Is(err, ErrKeys) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want ErrKeys saying %q", c.name, err, c.says)
			continue
		}
		for _, form := range []string{good, short, hex.EncodeToString(k), "horse"} {
			if strings.Contains(err.Error(), form) {
				t.Errorf("%s: the error shows key material: %v", c.name, err)
			}
		}
	}
	if _, err := NewKeyring(); !errors.Is(err, ErrKeys) {
		t.Errorf("NewKeyring() = %v, want ErrKeys", err)
	}
}

func TestKeyringNeverPrintsKeys(t *testing.T) {
	k := randomKey(t)
	ring := mustRing(t, k)
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		fmt.Fprintf(&out, verb+"\n", ring)
		fmt.Fprintf(&out, verb+"\n", *ring)
	}
	slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("ring", "keys", ring)
	slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("ring", "keys", ring)
	assertNoLeak(t, "a printed keyring", out.Bytes(), k)
	if !strings.Contains(out.String(), ring.PrimaryID()) {
		t.Errorf("a printed keyring should show its id:\n%s", out.String())
	}
}

func TestGenerateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.key")
	if err := GenerateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", st.Mode(), err)
	}
	text, _ := os.ReadFile(path)
	ring, err := KeyringFrom(KeySource{Name: path, Text: text})
	if err != nil || len(ring.IDs()) != 1 {
		t.Fatalf("the generated key does not load: %v", err)
	}
	if err := GenerateKeyFile(path); err == nil {
		t.Error("GenerateKeyFile overwrote an existing key")
	}
	again, _ := os.ReadFile(path)
	if !bytes.Equal(text, again) {
		t.Error("the refused GenerateKeyFile changed the key file")
	}
}
