package secrets

import (
	"fmt"
	"strings"
)

// Base64Prefix starts the last segment of a secret path whose value is
// base64 text that is delivered decoded, as DC/OS 1.10 did for binary
// secrets ("some/path/__dcos_base64__mysecret").
const Base64Prefix = "__dcos_base64__"

// Path limits.
const (
	MaxPathLength    = 512
	MaxSegmentLength = 128
)

// ValidatePath checks a secret path: relative ("kafka/keystore", never
// "/kafka/keystore"), segments of letters, digits, '.', '_' and '-', none
// empty, "." or "..", and a name after the __dcos_base64__ prefix. Errors
// wrap ErrInvalidPath and say how to write the path.
func ValidatePath(path string) error {
	switch {
	case path == "":
		return fmt.Errorf("%w: the path is empty; name the secret, such as \"kafka/keystore\"", ErrInvalidPath)
	case len(path) > MaxPathLength:
		return fmt.Errorf("%w: the path is %d bytes long, over the %d-byte limit", ErrInvalidPath, len(path), MaxPathLength)
	case strings.HasPrefix(path, "/"):
		return fmt.Errorf("%w: %q is an absolute path; secret paths are relative (absolute paths are not supported), write %q", ErrInvalidPath, path, strings.TrimLeft(path, "/"))
	case strings.HasSuffix(path, "/"):
		return fmt.Errorf("%w: %q ends with a slash; a secret path names a secret, not a folder", ErrInvalidPath, path)
	}
	segments := strings.Split(path, "/")
	for _, seg := range segments {
		if err := validateSegment(path, seg); err != nil {
			return err
		}
	}
	if segments[len(segments)-1] == Base64Prefix {
		return fmt.Errorf("%w: %q has no name after the %s prefix; write %q", ErrInvalidPath, path, Base64Prefix, path+"mysecret")
	}
	return nil
}

func validateSegment(path, seg string) error {
	switch {
	case seg == "":
		return fmt.Errorf("%w: %q has an empty segment (\"//\")", ErrInvalidPath, path)
	case seg == "." || seg == "..":
		return fmt.Errorf("%w: %q has a %q segment; relative segments are not allowed", ErrInvalidPath, path, seg)
	case len(seg) > MaxSegmentLength:
		return fmt.Errorf("%w: segment %.20q... of %q is %d bytes long, over the %d-byte limit", ErrInvalidPath, seg, path, len(seg), MaxSegmentLength)
	}
	for _, r := range seg {
		if !pathRune(r) {
			return fmt.Errorf("%w: %q contains %q; use letters, digits, '.', '_' and '-' in each segment, separated by '/'", ErrInvalidPath, path, r)
		}
	}
	return nil
}

func pathRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// IsBase64Path reports whether the path's last segment starts with
// Base64Prefix: its value is written as base64 text and delivered decoded.
func IsBase64Path(path string) bool {
	return strings.HasPrefix(path[strings.LastIndexByte(path, '/')+1:], Base64Prefix)
}

// Namespace is the folder a secret lives in: its path without the last
// segment ("" for a secret at the top, such as "Secret_Path1").
func Namespace(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return ""
}
