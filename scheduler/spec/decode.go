package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// DecodeOptions decodes options JSON on top of defaults (options left out
// keep their default). Every unknown option and every value of the wrong
// JSON type is reported, each with its dotted path, instead of stopping at
// the first. An empty body means "all defaults". When there are problems,
// the returned options hold whatever could be decoded (mistyped values keep
// their default), so that Validate can still report the other mistakes.
func DecodeOptions(data []byte, defaults Options) (Options, validation.Problems) {
	opts := defaults
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return opts, nil
	}
	var probs validation.Problems
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		probs.Add("options", "", fmt.Sprintf("not valid JSON (%v); send an object such as {\"service\":{\"name\":\"kafka\"},\"brokers\":{\"count\":3}}", err))
		return opts, probs
	}
	c := shapeChecker{probs: &probs}
	c.check("", json.RawMessage(data), reflect.TypeOf(opts))
	if len(probs) > 0 {
		if probs.Full() {
			// The list was cut: the options are not validated further
			// (Parse skips that when the problems end with the
			// truncation marker), so decoding the rest is wasted work.
			return opts, probs
		}
		// Decode what can be decoded (encoding/json skips mistyped values
		// and, without DisallowUnknownFields, unknown keys) so that the
		// rest of the options can still be validated in the same pass.
		_ = json.Unmarshal(data, &opts)
		return opts, probs
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil {
		// checkShape accepts only what encoding/json decodes; reaching this
		// means the two disagree, which is a bug worth surfacing plainly.
		probs.Add("options", "", fmt.Sprintf("could not be decoded: %v", err))
	}
	return opts, probs
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// Bounds on the "did you mean" search, so that refusing a body of unknown
// keys costs time linear in its size: only the first maxSuggestions unknown
// keys of a body get a suggestion, and only keys of at most
// maxSuggestKeyLength bytes. The candidates are the known names of the
// key's own section (a fixed set, about a hundred in kafka), and only those
// within maxSuggestDistance in length are compared.
const (
	maxSuggestions      = 20
	maxSuggestKeyLength = 64
	maxSuggestDistance  = 2
)

// shapeChecker walks raw JSON against the Go type it will be decoded into
// and records every unknown key and type mismatch (up to
// validation.MaxProblems).
type shapeChecker struct {
	probs       *validation.Problems
	suggestions int // suggestions made so far
}

func (c *shapeChecker) check(path string, raw json.RawMessage, t reflect.Type) {
	probs := c.probs
	if probs.Full() {
		return
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return // null leaves the default in place, as encoding/json does
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			probs.Add(orRoot(path), shown(path, raw), err.Error())
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		c.checkObject(path, raw, t)
	case reflect.Map:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			probs.Add(orRoot(path), shown(path, raw), "must be a JSON object")
			return
		}
		for _, k := range sortedKeys(m) {
			c.check(join(path, k), m[k], t.Elem())
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			probs.Add(orRoot(path), shown(path, raw), "must be a JSON list")
			return
		}
		for i, item := range items {
			c.check(fmt.Sprintf("%s[%d]", path, i), item, t.Elem())
		}
	default:
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			probs.Add(orRoot(path), shown(path, raw), "must be "+describe(t))
		}
	}
}

func (c *shapeChecker) checkObject(path string, raw json.RawMessage, t reflect.Type) {
	probs := c.probs
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		probs.Add(orRoot(path), shown(path, raw), "must be a JSON object")
		return
	}
	fields := jsonFields(t)
	for _, k := range sortedKeys(m) {
		if probs.Full() {
			probs.LeftOut()
			return
		}
		ft, ok := fields[k]
		if !ok {
			suggest := c.suggestions < maxSuggestions && len(k) <= maxSuggestKeyLength
			if suggest {
				c.suggestions++
			}
			probs.Add(join(path, k), "", unknownRule(path, k, fields, suggest))
			continue
		}
		c.check(join(path, k), m[k], ft)
	}
}

// jsonFields maps the JSON names of a struct's fields (embedded structs
// flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, taken := out[k]; !taken {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// unknownRule says an option is unknown and, when suggest is set, suggests
// the closest known name in the same section when there is a plausible one.
func unknownRule(path, key string, fields map[string]reflect.Type, suggest bool) string {
	section := path
	if section == "" {
		section = "the top level"
	}
	if suggest {
		if best := closestName(key, fields); best != "" {
			return fmt.Sprintf("unknown option in %s; did you mean %q?", section, best)
		}
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) > 24 {
		return fmt.Sprintf("unknown option in %s; see the documentation for the %d options it takes", section, len(names))
	}
	return fmt.Sprintf("unknown option in %s; it takes: %s", section, strings.Join(names, ", "))
}

// closestName is the known name within maxSuggestDistance edits of key
// (ties broken alphabetically), or "". Names whose length differs from the
// key's by more than that distance cannot be that close and are skipped
// without computing a distance.
func closestName(key string, fields map[string]reflect.Type) string {
	k := normalizeName(key)
	best, bestDist := "", maxSuggestDistance+1
	for name := range fields {
		n := normalizeName(name)
		if abs(len(n)-len(k)) > maxSuggestDistance {
			continue
		}
		if d := editDistance(k, n); d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	if bestDist > maxSuggestDistance {
		return ""
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func normalizeName(s string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(s))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("a whole number (%s)", t.Kind())
	case reflect.Float32, reflect.Float64:
		return "a number"
	default:
		return "a " + t.Kind().String()
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, key string) string {
	if key == "" {
		key = `""` // an empty key still needs a visible name
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "options"
	}
	return path
}

// shown renders a raw JSON value for a problem: shortened, and withheld
// when the option looks like it holds a secret.
func shown(path string, raw json.RawMessage) string {
	if looksSecret(path) {
		return "(hidden)"
	}
	s := string(bytes.TrimSpace(raw))
	var str string
	if json.Unmarshal(raw, &str) == nil {
		s = str
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// looksSecret is true for option paths whose values must never be echoed
// (server_properties such as ssl.keystore.password or
// sasl.jaas.config).
func looksSecret(path string) bool {
	p := strings.ToLower(path)
	for _, word := range []string{"password", "secret", "token", "credential", "jaas", "private", "key.pem"} {
		if strings.Contains(p, word) {
			return true
		}
	}
	return false
}
