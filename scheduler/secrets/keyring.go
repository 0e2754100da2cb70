package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

// keyIDLabel is what a key's id is the HMAC of, under the key itself.
const keyIDLabel = "kafka-scheduler secrets key id v1"

// Keyring holds the keys of the secret store: the first encrypts, all
// decrypt. Each key has an id (an HMAC of a fixed label under the key, so it
// reveals nothing about the key) that is stored with every ciphertext, so a
// record names the key that opens it. A Keyring never shows its keys: it
// prints and logs as its ids.
type Keyring struct {
	keys []ringKey
}

type ringKey struct {
	id   string
	aead cipher.AEAD
}

// NewKeyring builds a keyring from raw 32-byte keys, the first one
// encrypting. The keys are copied into the ciphers; the caller may wipe
// its slices afterwards.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key given", ErrKeys)
	}
	ring := &Keyring{}
	seen := map[string]int{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, a key is %d random bytes", ErrKeys, i+1, len(k), KeySize)
		}
		id := keyID(k)
		if j, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: key %d is the same as key %d (id %s); give each key once", ErrKeys, i+1, j+1, id)
		}
		seen[id] = i
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrKeys, i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrKeys, i+1, err)
		}
		ring.keys = append(ring.keys, ringKey{id: id, aead: aead})
	}
	return ring, nil
}

func keyID(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(keyIDLabel))
	return hex.EncodeToString(mac.Sum(nil)[:8])
}

// PrimaryID is the id of the key that encrypts.
func (k *Keyring) PrimaryID() string { return k.keys[0].id }

// IDs are the ids of every key, the encrypting one first.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.id
	}
	return ids
}

func (k *Keyring) primary() ringKey { return k.keys[0] }

func (k *Keyring) byID(id string) (ringKey, bool) {
	for _, key := range k.keys {
		if key.id == id {
			return key, true
		}
	}
	return ringKey{}, false
}

// String shows the key ids, never the keys.
func (k *Keyring) String() string {
	return "keyring[" + strings.Join(k.IDs(), " ") + "]"
}

// Format keeps every fmt verb on String.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue shows the key ids, never the keys.
func (k *Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.String("encrypting", k.PrimaryID()), slog.Any("ids", k.IDs()))
}

// KeySource is text that holds keys, and the name errors give it (a file
// name, an environment variable).
type KeySource struct {
	Name string
	Text []byte
}

// KeyringFrom builds a keyring from the keys in the sources, in order: the
// first key of the first source encrypts. A source holds one key per line
// (or several separated by commas), each 32 bytes written as standard
// base64 (as `head -c 32 /dev/urandom | base64` prints) or as 64 hex
// digits; blank lines and lines starting with '#' are skipped. Errors name
// the source and the key's position, never the key.
func KeyringFrom(sources ...KeySource) (*Keyring, error) {
	var keys [][]byte
	defer func() {
		for _, k := range keys {
			clear(k)
		}
	}()
	for _, src := range sources {
		found, err := parseKeys(src)
		keys = append(keys, found...)
		if err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		names := make([]string, len(sources))
		for i, s := range sources {
			names[i] = s.Name
		}
		return nil, fmt.Errorf("%w: no key found in %s; put a key in it, made with `head -c 32 /dev/urandom | base64`", ErrKeys, strings.Join(names, ", "))
	}
	return NewKeyring(keys...)
}

func parseKeys(src KeySource) ([][]byte, error) {
	var keys [][]byte
	n := 0
	for _, line := range bytes.Split(src.Text, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		for _, item := range bytes.Split(line, []byte(",")) {
			item = bytes.TrimSpace(item)
			if len(item) == 0 {
				continue
			}
			n++
			key, ok := decodeKey(item)
			if !ok {
				return keys, fmt.Errorf("%w: key %d in %s is not %d bytes written as base64 or hex; make a key with `head -c 32 /dev/urandom | base64`", ErrKeys, n, src.Name, KeySize)
			}
			keys = append(keys, key)
		}
	}
	return keys, nil
}

func decodeKey(text []byte) ([]byte, bool) {
	if len(text) == 2*KeySize {
		key := make([]byte, KeySize)
		if _, err := hex.Decode(key, text); err == nil {
			return key, true
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key := make([]byte, enc.DecodedLen(len(text)))
		n, err := enc.Decode(key, text)
		if err == nil && n == KeySize {
			return key[:n], true
		}
		clear(key)
	}
	return nil, false
}

// GenerateKeyFile writes a new random key, base64-encoded, to a new file
// with mode 0600. It refuses to overwrite an existing file.
func GenerateKeyFile(path string) error {
	key := make([]byte, KeySize)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("making a secrets key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating the secrets key file %s: %w", path, err)
	}
	text := base64.StdEncoding.AppendEncode(nil, key)
	defer clear(text)
	_, err = f.Write(text)
	if err == nil {
		_, err = f.Write([]byte{'\n'})
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(fmt.Errorf("writing the secrets key file %s: %w", path, err), os.Remove(path))
	}
	return nil
}
