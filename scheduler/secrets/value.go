package secrets

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what a Value shows wherever it is printed, logged or encoded.
const Redacted = "[redacted]"

// Value is a secret's value. It cannot be printed, logged or encoded by
// accident: fmt (every verb, %#v included), slog, encoding/json and
// encoding/text all show Redacted, and so does a panic with a Value. The
// bytes are held by a closure, which reflection cannot look into, so that
// even a struct holding a Value in an unexported field (which fmt prints
// field by field, without calling its methods) shows a function address,
// never the bytes. Reveal is the one way to the bytes; call it only where
// they leave for the place that uses them (the state store's cipher, a
// task's Mesos secret).
//
// The zero Value is empty. Compare Values with Equal: a Value is never
// reflect.DeepEqual to another, not even to itself.
type Value struct {
	data func() []byte
}

// NewValue returns a Value holding a copy of b.
func NewValue(b []byte) Value {
	data := append([]byte(nil), b...)
	return Value{data: func() []byte { return data }}
}

// Reveal returns a copy of the value's bytes. Never log, print or return
// them in an answer; the name makes every use easy to find.
func (v Value) Reveal() []byte {
	return append([]byte(nil), v.bytes()...)
}

// Len is the value's length in bytes.
func (v Value) Len() int { return len(v.bytes()) }

// Equal reports whether both values hold the same bytes, in constant time
// for values of equal length.
func (v Value) Equal(o Value) bool {
	return subtle.ConstantTimeCompare(v.bytes(), o.bytes()) == 1
}

// Wipe overwrites the value's bytes with zeros. Copies made by Reveal are
// the caller's to wipe.
func (v Value) Wipe() { clear(v.bytes()) }

// bytes are the value's own bytes, not a copy.
func (v Value) bytes() []byte {
	if v.data == nil {
		return nil
	}
	return v.data()
}

// String implements fmt.Stringer.
func (Value) String() string { return Redacted }

// GoString implements fmt.GoStringer (%#v).
func (Value) GoString() string { return "secrets.Value(" + Redacted + ")" }

// Format implements fmt.Formatter, so that no verb (%x, %q, %d...) reaches
// the bytes.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, v.GoString())
		return
	}
	_, _ = io.WriteString(f, Redacted)
}

// LogValue implements slog.LogValuer.
func (Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler: a Value in a JSON answer or log
// line is the string Redacted.
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler (slog's text handler, map
// keys, XML and the like).
func (Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
