package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
)

// secretBindingModel is kafka_secret_binding's state, plan and
// configuration. ValueWO is write-only: Terraform hands it to the provider
// in the configuration of a plan or apply and never keeps it, so it is
// null in every plan and state.
type secretBindingModel struct {
	ID             types.String   `tfsdk:"id"`
	Cluster        types.String   `tfsdk:"cluster"`
	Path           types.String   `tfsdk:"path"`
	ValueWO        types.String   `tfsdk:"value_wo"`
	ValueWOVersion types.Int64    `tfsdk:"value_wo_version"`
	Binary         types.Bool     `tfsdk:"binary"`
	File           types.String   `tfsdk:"file"`
	EnvKey         types.String   `tfsdk:"env_key"`
	SecretVersion  types.String   `tfsdk:"secret_version"`
	Timeouts       timeouts.Value `tfsdk:"timeouts"`
}

// secretsOption is where a service's options list the secrets its brokers
// get (the contract of issue 14: service.secrets).
var secretsOption = []string{"service", "secrets"}

// secretEntry is one service.secrets entry: a secret delivered to every
// broker as a file in its sandbox or as an environment variable.
type secretEntry struct {
	Secret string `json:"secret"`
	File   string `json:"file,omitempty"`
	EnvKey string `json:"env_key,omitempty"`
}

// target says where the entry delivers the secret, for messages.
func (e secretEntry) target() string {
	if e.File != "" {
		return "file " + e.File
	}
	return "environment variable " + e.EnvKey
}

// owned reports whether the binding writes the secret's value (and so
// deletes the secret when it is destroyed): value_wo_version is set
// exactly when value_wo is.
func (m secretBindingModel) owned() bool {
	return !m.ValueWOVersion.IsNull() && !m.ValueWOVersion.IsUnknown()
}

// entry is the service.secrets entry the model asks for.
func (m secretBindingModel) entry() secretEntry {
	return secretEntry{Secret: m.Path.ValueString(), File: m.File.ValueString(), EnvKey: m.EnvKey.ValueString()}
}

// bindingID is the resource id and import id: "<cluster>/<path>".
func bindingID(cluster, path string) string { return cluster + "/" + path }

// importCandidates lists the (cluster, path) pairs an import id can mean:
// both a cluster name ("prod/kafka") and a secret path ("prod/kafka/tls")
// may hold slashes, so every split is a candidate, the shortest cluster
// name first. The import asks the scheduler which one is bound.
func importCandidates(id string) [][2]string {
	var out [][2]string
	for i := 0; i < len(id); i++ {
		if id[i] != '/' {
			continue
		}
		cluster, path := id[:i], id[i+1:]
		if cluster == "" || path == "" {
			continue
		}
		out = append(out, [2]string{cluster, path})
	}
	return out
}

// envKeyPattern is a portable environment variable name (POSIX: letters,
// digits and underscores, not starting with a digit).
var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validateSecretFile checks a file path the way the scheduler does: it is
// relative to the task's sandbox, so an absolute path or one that climbs
// out of the sandbox with ".." is refused (and "." segments, as the
// scheduler does). The scheduler's other rules (not in jmx/, not the
// broker's own files) reach the plan through its preview.
func validateSecretFile(file string) error {
	switch {
	case file == "":
		return errors.New(`file is empty: name a file relative to the broker's sandbox, such as "secrets/keystore.jks"`)
	case strings.HasPrefix(file, "/"):
		return fmt.Errorf("file %q is an absolute path: secret files are placed in the broker's sandbox, so the path must be relative to it, such as %q",
			file, strings.TrimLeft(file, "/"))
	case strings.Contains(file, "\x00"):
		return fmt.Errorf("file %q contains a NUL byte", file)
	}
	for _, seg := range strings.Split(file, "/") {
		switch seg {
		case "..":
			return fmt.Errorf("file %q has a \"..\" segment: a secret file must stay inside the broker's sandbox; write a path below it, such as \"secrets/keystore.jks\"", file)
		case ".":
			return fmt.Errorf("file %q has a \".\" segment, which the scheduler refuses; write the path without it", file)
		}
	}
	if strings.HasSuffix(file, "/") {
		return fmt.Errorf("file %q ends with a slash: name a file, not a folder", file)
	}
	return nil
}

// validateEnvKey checks an environment variable name.
func validateEnvKey(key string) error {
	if !envKeyPattern.MatchString(key) {
		return fmt.Errorf("env_key %q is not an environment variable name: use letters, digits and underscores, not starting with a digit, such as \"KAFKA_SASL_PASSWORD\"", key)
	}
	return nil
}

// authorizeBinding applies the scheduler's rule (package secrets, the DC/OS
// "Authorization for Secrets" table) to a binding: the secret's folder must
// be the cluster's own name or a parent of it.
func authorizeBinding(cluster, path string) error {
	return secrets.Authorize(cluster, path)
}

// base64Value reports whether the value must be base64 text: with binary,
// or under a secret path whose last segment starts with __dcos_base64__.
func base64Value(binary bool, path string) bool {
	return binary || (path != "" && secrets.IsBase64Path(path))
}

// validateBase64 checks that value is standard, padded base64 (RFC 4648),
// what the scheduler decodes. The error never holds the value.
func validateBase64(value string) error {
	if _, err := base64.StdEncoding.Strict().DecodeString(value); err != nil {
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return fmt.Errorf("value_wo is not base64 (standard alphabet, padded; the first bad byte is at offset %d); "+
				"encode the bytes with base64encode() or filebase64(), or set binary = false for text", int64(corrupt))
		}
		return errors.New("value_wo is not base64; encode the bytes with base64encode() or filebase64(), or set binary = false for text")
	}
	return nil
}

// secretPayload is what PutSecret gets for a configured value: the decoded
// bytes with Binary for a binary binding; the text as it is otherwise
// (under a __dcos_base64__ path the scheduler decodes that text itself).
func secretPayload(value string, binary bool, path string) ([]byte, bool, error) {
	if binary && !secrets.IsBase64Path(path) {
		b, err := base64.StdEncoding.Strict().DecodeString(value)
		if err != nil {
			return nil, false, validateBase64(value)
		}
		return b, true, nil
	}
	if base64Value(binary, path) {
		if err := validateBase64(value); err != nil {
			return nil, false, err
		}
	}
	return []byte(value), false, nil
}

// serviceOptions is a service's options as GET /v1/services/{name} answers
// them, decoded so that every field the provider does not touch (numbers
// included, kept as json.Number) is written back exactly as it came.
type serviceOptions map[string]any

func decodeOptions(raw json.RawMessage) (serviceOptions, error) {
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("decoding the service's options: %w", err)
	}
	if root == nil {
		root = map[string]any{}
	}
	return root, nil
}

func (o serviceOptions) encode() json.RawMessage {
	data, err := json.Marshal(map[string]any(o))
	if err != nil {
		panic(err) // decoded JSON values only
	}
	return data
}

// secretEntries returns the raw service.secrets entries (nil when there
// are none).
func (o serviceOptions) secretEntries() ([]any, error) {
	raw, ok := lookupPath(o, secretsOption)
	if !ok || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("the service's service.secrets is %T, want a list", raw)
	}
	return list, nil
}

// findEntry returns the entry that delivers the secret at path.
func (o serviceOptions) findEntry(path string) (secretEntry, bool, error) {
	list, err := o.secretEntries()
	if err != nil {
		return secretEntry{}, false, err
	}
	for _, item := range list {
		e, ok := asEntry(item)
		if ok && e.Secret == path {
			return e, true, nil
		}
	}
	return secretEntry{}, false, nil
}

func asEntry(item any) (secretEntry, bool) {
	m, ok := item.(map[string]any)
	if !ok {
		return secretEntry{}, false
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	return secretEntry{Secret: str("secret"), File: str("file"), EnvKey: str("env_key")}, true
}

// setEntry puts e in place of the entry for the same secret, or appends
// it; changed is false when the options already hold exactly e. Another
// entry that already delivers to e's file or variable is an error naming
// it, since the scheduler refuses duplicates.
func (o serviceOptions) setEntry(e secretEntry) (changed bool, err error) {
	list, err := o.secretEntries()
	if err != nil {
		return false, err
	}
	out := make([]any, 0, len(list)+1)
	replaced := false
	for _, item := range list {
		cur, ok := asEntry(item)
		switch {
		case ok && cur.Secret == e.Secret:
			if replaced {
				continue // a second entry of the same secret: keep one
			}
			replaced = true
			if cur == e {
				out = append(out, item)
				continue
			}
			out = append(out, entryValue(e))
			changed = true
		case ok && e.File != "" && cur.File == e.File, ok && e.EnvKey != "" && cur.EnvKey == e.EnvKey:
			return false, fmt.Errorf("secret %q already goes to %s of the cluster's brokers; give this binding another %s",
				cur.Secret, cur.target(), map[bool]string{true: "file", false: "env_key"}[e.File != ""])
		default:
			out = append(out, item)
		}
	}
	if !replaced {
		out = append(out, entryValue(e))
		changed = true
	}
	if changed {
		setPath(o, secretsOption, out)
	}
	return changed, nil
}

// removeEntry drops every entry of the secret at path; changed is false
// when there was none.
func (o serviceOptions) removeEntry(path string) (changed bool, err error) {
	list, err := o.secretEntries()
	if err != nil {
		return false, err
	}
	out := make([]any, 0, len(list))
	for _, item := range list {
		if e, ok := asEntry(item); ok && e.Secret == path {
			changed = true
			continue
		}
		out = append(out, item)
	}
	if changed {
		setPath(o, secretsOption, out)
	}
	return changed, nil
}

func entryValue(e secretEntry) map[string]any {
	m := map[string]any{"secret": e.Secret}
	if e.File != "" {
		m["file"] = e.File
	} else {
		m["env_key"] = e.EnvKey
	}
	return m
}

// withSecretsOf copies service.secrets from the scheduler's current
// options into options (what kafka_cluster sends): the cluster resource
// does not manage them, bindings do, so an update of the cluster keeps
// them as they are. Without entries in current, options stay as they are.
func withSecretsOf(options, current json.RawMessage) (json.RawMessage, error) {
	cur, err := decodeOptions(current)
	if err != nil {
		return nil, err
	}
	list, err := cur.secretEntries()
	if err != nil || len(list) == 0 {
		return options, err
	}
	out, err := decodeOptions(options)
	if err != nil {
		return nil, err
	}
	setPath(out, secretsOption, list)
	return out.encode(), nil
}
