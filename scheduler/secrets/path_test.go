package secrets

import (
	"errors"
	"strings"
	"testing"
)

func TestValidatePath(t *testing.T) {
	valid := []string{
		"Secret_Path1", "kafka/keystore", "secret-svc/instance1/Secret_Path2",
		"some/path/__dcos_base64__mysecret", "a.b/c-d/e_f", strings.Repeat("a", MaxSegmentLength),
	}
	for _, p := range valid {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want nil", p, err)
		}
	}
	invalid := []struct{ path, says string }{
		{"", "empty"},
		{"/kafka/keystore", `absolute path; secret paths are relative (absolute paths are not supported), write "kafka/keystore"`},
		{"kafka/", "ends with a slash"},
		{"kafka//keystore", "empty segment"},
		{"kafka/../keystore", `".." segment`},
		{"./keystore", `"." segment`},
		{"kafka/key store", `contains ' '`},
		{"kafka/key%2Fstore", `contains '%'`},
		{"kafka/ключ", `contains 'к'`},
		{"kafka/\x00", `contains '\x00'`},
		{"kafka/__dcos_base64__", "no name after the __dcos_base64__ prefix"},
		{strings.Repeat("a", MaxSegmentLength+1), "over the 128-byte limit"},
		{strings.Repeat("abcdefgh/", 60) + "x", "over the 512-byte limit"},
	}
	for _, c := range invalid {
		err := ValidatePath(c.path)
		if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ValidatePath(%q) = %v, want an ErrInvalidPath saying %q", c.path, err, c.says)
		}
	}
}

func TestBase64PathAndNamespace(t *testing.T) {
	cases := []struct {
		path, ns string
		base64   bool
	}{
		{"Secret_Path1", "", false},
		{"secret-svc/instance1/Secret_Path2", "secret-svc/instance1", false},
		{"some/path/__dcos_base64__mysecret", "some/path", true},
		{"__dcos_base64__top", "", true},
		{"__dcos_base64__dir/plain", "__dcos_base64__dir", false}, // only the last segment counts
	}
	for _, c := range cases {
		if got := Namespace(c.path); got != c.ns {
			t.Errorf("Namespace(%q) = %q, want %q", c.path, got, c.ns)
		}
		if got := IsBase64Path(c.path); got != c.base64 {
			t.Errorf("IsBase64Path(%q) = %v, want %v", c.path, got, c.base64)
		}
	}
}
