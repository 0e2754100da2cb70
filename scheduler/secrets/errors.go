package secrets

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error values; the errors of this package wrap them, so callers test them
// with errors.Is. No error of this package ever holds a secret's value.
var (
	ErrNotFound      = errors.New("secret not found")
	ErrInvalidPath   = errors.New("invalid secret path")
	ErrInvalidValue  = errors.New("invalid secret value")
	ErrValueTooLarge = errors.New("secret value too large")
	ErrInUse         = errors.New("secret in use")
	ErrAccessDenied  = errors.New("secret access denied")
	// ErrKeys means the keys cannot read what the state holds (a wrong or
	// missing key) or are not usable keys at all.
	ErrKeys = errors.New("secrets key problem")
	// ErrCorrupt means a stored record is damaged or was moved.
	ErrCorrupt = errors.New("secret record corrupt")
)

// InUseError is a delete refused because services still use the secret.
type InUseError struct {
	Path     string
	Services []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("secret %q is used by %s; remove it from their options (or delete their bindings) first, then delete it",
		e.Path, quoteList(e.Services))
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// KeyMismatchError is what Open returns when stored secrets were encrypted
// with keys that were not given: the scheduler must not start, because it
// could neither deliver nor rewrite them.
type KeyMismatchError struct {
	// Missing maps each unknown key id to the secrets encrypted with it.
	Missing map[string][]string
	// Given are the ids of the keys given, the first one encrypting.
	Given []string
}

func (e *KeyMismatchError) Error() string {
	ids := make([]string, 0, len(e.Missing))
	total := 0
	for id, paths := range e.Missing {
		ids = append(ids, id)
		total += len(paths)
	}
	sort.Strings(ids)
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("key %s (%s)", id, quoteList(e.Missing[id])))
	}
	return fmt.Sprintf("%s encrypted with keys that were not given: %s; the keys given have the ids %s. "+
		"Start with the key they were written with (during a rotation: the new key first, the old ones after it); nothing was changed",
		countSecrets(total, "stored secret was", "stored secrets were"), strings.Join(parts, ", "), strings.Join(e.Given, ", "))
}

// Is makes errors.Is(err, ErrKeys) true.
func (e *KeyMismatchError) Is(target error) bool { return target == ErrKeys }

// countSecrets is "1 <one>" or "n <many>".
func countSecrets(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// quoteList quotes up to five names and counts the rest.
func quoteList(names []string) string {
	const shown = 5
	q := make([]string, 0, shown)
	for i, n := range names {
		if i == shown {
			q = append(q, fmt.Sprintf("and %d more", len(names)-shown))
			break
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	return strings.Join(q, ", ")
}
