package state

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxKeyLength bounds a key's length in bytes.
const MaxKeyLength = 1024

// JoinKey joins key segments with slashes: JoinKey("Tasks", name, "TaskInfo").
func JoinKey(segments ...string) string { return strings.Join(segments, "/") }

// ParentKey returns the key's parent (RootKey for a top-level key).
func ParentKey(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return RootKey
}

// BaseName returns the key's last segment.
func BaseName(key string) string { return key[strings.LastIndexByte(key, '/')+1:] }

// ValidateKey checks that key names a node below the root: slash-separated
// segments, none empty, "." or "..", no leading or trailing slash, and no
// characters ZooKeeper refuses in paths.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: the key is empty; name a node such as \"Tasks/kafka-0-broker/TaskInfo\"", ErrInvalidKey)
	}
	if len(key) > MaxKeyLength {
		return fmt.Errorf("%w: key %.40q... is %d bytes long, over the %d-byte limit", ErrInvalidKey, key, len(key), MaxKeyLength)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: key %q is not valid UTF-8", ErrInvalidKey, key)
	}
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("%w: key %q starts with a slash; keys are relative to the store's root, write %q", ErrInvalidKey, key, strings.TrimLeft(key, "/"))
	}
	if strings.HasSuffix(key, "/") {
		return fmt.Errorf("%w: key %q ends with a slash", ErrInvalidKey, key)
	}
	for _, segment := range strings.Split(key, "/") {
		if err := validateSegment(key, segment); err != nil {
			return err
		}
	}
	return nil
}

// ValidateKeyOrRoot accepts RootKey as well as any valid key.
func ValidateKeyOrRoot(key string) error {
	if key == RootKey {
		return nil
	}
	return ValidateKey(key)
}

func validateSegment(key, segment string) error {
	switch segment {
	case "":
		return fmt.Errorf("%w: key %q has an empty segment (\"//\")", ErrInvalidKey, key)
	case ".", "..":
		return fmt.Errorf("%w: key %q has a %q segment; relative segments are not allowed", ErrInvalidKey, key, segment)
	}
	for _, r := range segment {
		if forbiddenRune(r) {
			return fmt.Errorf("%w: key %q contains the character %U, which ZooKeeper does not allow in paths", ErrInvalidKey, key, r)
		}
	}
	return nil
}

// forbiddenRune reports the characters ZooKeeper refuses in path names
// (PathUtils.validatePath): controls, surrogates and private-use ranges.
func forbiddenRune(r rune) bool {
	return r <= 0x1f || (r >= 0x7f && r <= 0x9f) ||
		(r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff)
}

// ValidateValue refuses a value over MaxValueSize, naming the key and size.
func ValidateValue(key string, value []byte) error {
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: the value for key %q is %d bytes, over the %d-byte limit; split it or store less", ErrValueTooLarge, key, len(value), MaxValueSize)
	}
	return nil
}
