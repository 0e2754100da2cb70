package secrets

import (
	"errors"
	"strings"
	"testing"
)

// TestSeedAuthorizationTable is the 13-row table of DC/OS's "Authorization
// for Secrets", row for row.
func TestSeedAuthorizationTable(t *testing.T) {
	cases := []struct {
		secret, service string
		allowed         bool
	}{
		{"Secret_Path1", "/user", true},
		{"Secret_Path1", "/dev1/user", true},
		{"secret-svc/Secret_Path1", "/user", false},
		{"secret-svc/Secret_Path1", "/user/dev1", false},
		{"secret-svc/Secret_Path1", "/secret-svc", true},
		{"secret-svc/Secret_Path1", "/secret-svc/dev1", true},
		{"secret-svc/Secret_Path1", "/secret-svc/instance2/dev2", true},
		{"secret-svc/Secret_Path1", "/secret-svc/a/b/c/dev3", true},
		{"secret-svc/instance1/Secret_Path2", "/secret-svc/dev1", false},
		{"secret-svc/instance1/Secret_Path2", "/secret-svc/instance2/dev3", false},
		{"secret-svc/instance1/Secret_Path2", "/secret-svc/instance1", true},
		{"secret-svc/instance1/Secret_Path2", "/secret-svc/instance1/dev3", true},
		{"secret-svc/instance1/Secret_Path2", "/secret-svc/instance1/someDir/dev3", true},
	}
	if len(cases) != 13 {
		t.Fatalf("the seed's table has 13 rows, this one %d", len(cases))
	}
	for _, c := range cases {
		checkAccess(t, c.service, c.secret, c.allowed)
	}
}

// TestAuthorizationBeyondTheTable covers what the table implies but does
// not spell out: segments, not string prefixes; service names without the
// leading slash as the manager spells them; no service, no access.
func TestAuthorizationBeyondTheTable(t *testing.T) {
	cases := []struct {
		secret, service string
		allowed         bool
	}{
		{"secret-svc/x", "/secret-svc2", false},           // shares a string prefix only
		{"secret-svc/x", "/secret", false},                // a prefix of the folder name
		{"secret-svc/x", "secret-svc/dev1", true},         // no leading slash
		{"secret-svc/x", "/secret-svc/", true},            // trailing slash
		{"prod/kafka/keystore", "prod/kafka", true},       // a folder service's own namespace
		{"prod/keystore", "prod/kafka", true},             // its parent's
		{"prod/other/keystore", "prod/kafka", false},      // a sibling's
		{"prod/kafka/tls/keystore", "prod/kafka", false},  // below the service: a child's namespace
		{"Prod/keystore", "prod/kafka", false},            // case matters
		{"top", "", false},                                // no service
		{"kafka/__dcos_base64__keytab", "/kafka", true},   // base64 names follow the same rule
		{"kafka/__dcos_base64__keytab", "/kafka2", false}, // and the same refusals
	}
	for _, c := range cases {
		checkAccess(t, c.service, c.secret, c.allowed)
	}
}

func checkAccess(t *testing.T, service, secret string, allowed bool) {
	t.Helper()
	if got := Allowed(service, secret); got != allowed {
		t.Errorf("Allowed(%q, %q) = %v, want %v", service, secret, got, allowed)
	}
	err := Authorize(service, secret)
	if allowed != (err == nil) {
		t.Errorf("Authorize(%q, %q) = %v, want allowed=%v", service, secret, err, allowed)
	}
	if err != nil && !errors.Is(err, ErrAccessDenied) {
		t.Errorf("Authorize(%q, %q) = %v, want an ErrAccessDenied", service, secret, err)
	}
}

// TestRefusalNamesSecretServiceAndRule checks that a refusal says which
// secret, which service and why, and how to fix it.
func TestRefusalNamesSecretServiceAndRule(t *testing.T) {
	err := Authorize("user", "secret-svc/Secret_Path1")
	var denied *AccessDeniedError
	if !errors.As(err, &denied) || denied.Service != "/user" || denied.Secret != "secret-svc/Secret_Path1" {
		t.Fatalf("Authorize = %#v, want an *AccessDeniedError for /user and secret-svc/Secret_Path1", err)
	}
	msg := err.Error()
	for _, want := range []string{`service /user`, `"secret-svc/Secret_Path1"`, `namespace "secret-svc"`, `at or below its namespace`, `"user/Secret_Path1"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not contain %q", msg, want)
		}
	}
	if err := Authorize("/user", "/secret-svc/Secret_Path1"); !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("absolute secret path: %v, want an ErrInvalidPath saying absolute", err)
	}
}
