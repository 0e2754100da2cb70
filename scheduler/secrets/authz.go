package secrets

import (
	"fmt"
	"strings"
)

// Allowed reports whether the service may read the secret, by the DC/OS rule
// that a secret's path is a namespace: the secret's folder (its path without
// the last segment) must be the service's own path or one of its ancestors,
// compared segment by segment. So a top-level secret ("Secret_Path1") is
// readable by every service, "secret-svc/Secret_Path1" by /secret-svc and
// every service below it (/secret-svc/a/b/c/dev3), and never by a sibling
// (/user, or /secret-svc2, which merely shares a prefix).
//
// service is the service's name or DC/OS service ID, with or without the
// leading slash ("prod/kafka", "/prod/kafka").
func Allowed(service, secret string) bool {
	svc := serviceSegments(service)
	ns := Namespace(secret)
	if ns == "" {
		return len(svc) > 0
	}
	folders := strings.Split(ns, "/")
	if len(folders) > len(svc) {
		return false
	}
	for i, f := range folders {
		if svc[i] != f {
			return false
		}
	}
	return true
}

// Authorize is Allowed with an error that names the secret, the service
// and the rule; it wraps ErrAccessDenied. An invalid secret path is an
// ErrInvalidPath error.
func Authorize(service, secret string) error {
	if err := ValidatePath(secret); err != nil {
		return err
	}
	if !Allowed(service, secret) {
		return &AccessDeniedError{Service: ServiceID(service), Secret: secret}
	}
	return nil
}

// ServiceID is the DC/OS service ID of a service name: "prod/kafka" is
// "/prod/kafka".
func ServiceID(service string) string {
	return "/" + strings.Join(serviceSegments(service), "/")
}

func serviceSegments(service string) []string {
	var out []string
	for _, s := range strings.Split(strings.Trim(service, "/"), "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// AccessDeniedError is a service asking for a secret outside its
// namespaces.
type AccessDeniedError struct {
	// Service is the DC/OS service ID ("/prod/kafka").
	Service string
	Secret  string
}

func (e *AccessDeniedError) Error() string {
	ns := Namespace(e.Secret)
	if ns == "" || e.Service == "/" {
		return fmt.Sprintf("no service name given to read secret %q: name the service whose namespaces apply", e.Secret)
	}
	return fmt.Sprintf("service %s may not read secret %q: the secret is in namespace %q, and a secret can be read only by "+
		"services whose ID is at or below its namespace (here /%s and the services under it); "+
		"store it under the service's own path or a parent of it, such as %q",
		e.Service, e.Secret, ns, ns, strings.TrimPrefix(e.Service, "/")+"/"+e.Secret[len(ns)+1:])
}

// Is makes errors.Is(err, ErrAccessDenied) true.
func (e *AccessDeniedError) Is(target error) bool { return target == ErrAccessDenied }
