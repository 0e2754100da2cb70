package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrorBody is the JSON shape of every error answer: a message a person
// can act on and, for invalid options, every problem one by one.
type ErrorBody struct {
	Message  string    `json:"message"`
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one thing wrong with a request: the dotted path of the field,
// the value given (never a secret) and the rule it breaks.
type Problem struct {
	Field string `json:"field"`
	Value string `json:"value"`
	Rule  string `json:"rule"`
}

func (p Problem) String() string {
	if p.Value == "" {
		return p.Field + ": " + p.Rule
	}
	return fmt.Sprintf("%s: %q: %s", p.Field, p.Value, p.Rule)
}

// Error is an answer with a status the call did not expect: the status
// code, the server's message and, for invalid options, its problems.
type Error struct {
	// Method and Path say which call failed.
	Method string
	Path   string
	// StatusCode is the HTTP status; Message the server's message.
	StatusCode int
	Message    string
	Problems   []Problem
	// CurrentConfigID is the server's current config id on a 412 (from
	// its ETag), so that a caller can say what moved on.
	CurrentConfigID string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// StatusOf is the HTTP status of err when it is (or wraps) an *Error, and
// 0 otherwise (a connection error, a deadline).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound is true when err is a 404 answer.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict is true when err is a 409 answer.
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// IsPreconditionFailed is true when err is a 412 answer (an If-Match that
// no longer matches).
func IsPreconditionFailed(err error) bool { return StatusOf(err) == http.StatusPreconditionFailed }

// ProblemsOf returns the problems of a 400 answer to invalid options.
func ProblemsOf(err error) []Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}

// PlanError is what WaitPlan returns when the plan it waits for is in
// ERROR: the plan, so that the caller can show its errors and steps.
type PlanError struct {
	Service string
	Name    string
	Plan    Plan
}

func (e *PlanError) Error() string {
	msg := fmt.Sprintf("the %s plan of service %s failed", e.Name, e.Service)
	if len(e.Plan.Errors) > 0 {
		msg += ": " + strings.Join(e.Plan.Errors, "; ")
	}
	for _, st := range e.Plan.Steps() {
		if st.Status == StatusError {
			msg += "; " + st.Name + ": " + st.Message
		}
	}
	return msg
}
