package service

import "fmt"

// AnyConfig, as the expected configuration of an update or an uninstall,
// matches whatever the target is (If-Match: *): the service must exist.
const AnyConfig = "*"

// PreconditionFailedError refuses an update or an uninstall whose caller
// expected another target configuration than the current one: someone
// else changed the service since the caller read it (an HTTP 412).
type PreconditionFailedError struct {
	Service string
	// Expected is the configuration id the caller named, Current the
	// target's id.
	Expected, Current string
}

func (e *PreconditionFailedError) Error() string {
	if e.Current == "" {
		return fmt.Sprintf("service %s is not installed, so it has no configuration %s as the request expected (If-Match); install it without If-Match", e.Service, e.Expected)
	}
	return fmt.Sprintf("service %s changed: its target configuration is now %s, not %s as the request expected; read the service again (GET /v1/services/%s) and retry with the new id",
		e.Service, e.Current, e.Expected, e.Service)
}

// checkExpected refuses when expected names a configuration other than
// current; "" expects nothing and AnyConfig anything. It runs inside the
// decision that changes the target, so that no other change can come
// between the check and the change.
func checkExpected(name, expected, current string) error {
	if expected == "" || expected == AnyConfig || expected == current {
		return nil
	}
	return &PreconditionFailedError{Service: name, Expected: expected, Current: current}
}
