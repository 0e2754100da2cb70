package secrets

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// recordFormat is the version of the stored record layout.
const recordFormat = 1

// record is what the state store holds for one secret: its metadata in
// clear and its value sealed with AES-256-GCM. The additional data binds the
// ciphertext to the secret's path, version and binary flag, so that a
// ciphertext copied to another secret, or to another version of the same
// secret, does not open.
type record struct {
	Format  int       `json:"format"`
	Path    string    `json:"path"`
	Version string    `json:"version"`
	Binary  bool      `json:"binary"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// KeyID names the key that sealed the value.
	KeyID      string `json:"key_id"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// additionalData is what the seal authenticates besides the value.
func (r *record) additionalData() []byte {
	binary := "0"
	if r.Binary {
		binary = "1"
	}
	return []byte("kafka-scheduler secret v1\x00" + r.Path + "\x00" + r.Version + "\x00" + binary)
}

// seal encrypts plaintext into the record with the keyring's first key and
// a fresh random nonce.
func (r *record) seal(ring *Keyring, plaintext []byte) error {
	key := ring.primary()
	nonce := make([]byte, key.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("making a nonce: %w", err)
	}
	r.KeyID, r.Nonce = key.id, nonce
	r.Ciphertext = key.aead.Seal(nil, nonce, plaintext, r.additionalData())
	return nil
}

// open decrypts the record's value. A key id the keyring lacks is an
// ErrKeys error; a seal that does not open with the named key is
// ErrCorrupt (the record was altered or moved).
func (r *record) open(ring *Keyring) ([]byte, error) {
	key, ok := ring.byID(r.KeyID)
	if !ok {
		return nil, fmt.Errorf("%w: secret %q was encrypted with key %s, which is not among the keys given (%v)", ErrKeys, r.Path, r.KeyID, ring.IDs())
	}
	if len(r.Nonce) != key.aead.NonceSize() {
		return nil, fmt.Errorf("%w: secret %q has a %d-byte nonce, want %d", ErrCorrupt, r.Path, len(r.Nonce), key.aead.NonceSize())
	}
	plaintext, err := key.aead.Open(nil, r.Nonce, r.Ciphertext, r.additionalData())
	if err != nil {
		return nil, fmt.Errorf("%w: secret %q does not decrypt with key %s: the stored record was altered or copied from elsewhere; delete the secret and write it again", ErrCorrupt, r.Path, r.KeyID)
	}
	return plaintext, nil
}

func (r *record) info(usedBy []string) Info {
	return Info{
		Path: r.Path, Version: r.Version, Binary: r.Binary,
		Created: r.Created, Updated: r.Updated, KeyID: r.KeyID, UsedBy: usedBy,
	}
}

func decodeRecord(path string, data []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: the record of secret %q is not valid: %v", ErrCorrupt, path, err)
	}
	if r.Format != recordFormat {
		return nil, fmt.Errorf("%w: the record of secret %q has format %d; this scheduler reads format %d (was it written by a newer one?)", ErrCorrupt, path, r.Format, recordFormat)
	}
	if r.Path != path {
		return nil, fmt.Errorf("%w: the record stored as secret %q names secret %q; it was moved", ErrCorrupt, path, r.Path)
	}
	return &r, nil
}

// newVersion is a fresh random version: every write of a secret gets one,
// so that anything launched with a value can tell it is no longer current.
// It is random, never derived from the value.
func newVersion() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a secret version: %w", err)
	}
	return fmt.Sprintf("%x", b), nil
}
