package spec

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// SecretBinding is one entry of service.secrets: a secret of the
// scheduler's secret store (as PUT /v1/secrets/{path} names it) delivered
// to every broker either as a file (relative to the task sandbox) or as an
// environment variable. Exactly one of File and EnvKey is set.
type SecretBinding struct {
	Secret string `json:"secret"`
	File   string `json:"file,omitempty"`
	EnvKey string `json:"env_key,omitempty"`
}

// SecretBindings is service.secrets. It encodes as [] when empty, so that
// options read back show the default and a spec stored without it hashes
// as one stored with an empty list.
type SecretBindings []SecretBinding

// MarshalJSON writes nil as [].
func (b SecretBindings) MarshalJSON() ([]byte, error) {
	if b == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]SecretBinding(b))
}

// JMXOptions is service.jmx, DC/OS Kafka's "Secure JMX": remote JMX over
// TLS with password authentication, every file a secret of the store.
type JMXOptions struct {
	Enabled bool `json:"enabled"`
	// Port and RMIPort are fixed ports on the agent (JMX needs them known
	// to clients); they are not taken from offers, so JMX needs at most one
	// broker per agent.
	Port                 int    `json:"port"`
	RMIPort              int    `json:"rmi_port"`
	AccessFile           string `json:"access_file"`
	PasswordFile         string `json:"password_file"`
	KeyStore             string `json:"key_store"`
	KeyStorePasswordFile string `json:"key_store_password_file"`
	AddTrustStore        bool   `json:"add_trust_store"`
	// TrustStore and TrustStorePasswordFile are used when AddTrustStore.
	TrustStore             string `json:"trust_store"`
	TrustStorePasswordFile string `json:"trust_store_password_file"`
}

// JMX defaults of DC/OS Kafka.
const (
	DefaultJMXPort    = 31199
	DefaultJMXRMIPort = 31198
)

// DefaultJMX is service.jmx at its defaults: disabled.
func DefaultJMX() JMXOptions {
	return JMXOptions{Port: DefaultJMXPort, RMIPort: DefaultJMXRMIPort}
}

// Where the JMX secrets are delivered in the sandbox, and the environment
// variable with the JVM flags that use them.
const (
	// JMXDir is the sandbox folder of the JMX files; service.secrets
	// may not deliver files into it.
	JMXDir = "jmx"
	// JMXSSLConfigFile is written by the start command from the
	// delivered key store password files, so that no password is ever
	// an argument of the JVM (where ps would show it).
	JMXSSLConfigFile = JMXDir + "/ssl.properties"
	// EnvJMXOpts carries the JVM's JMX flags; Kafka's kafka-run-class.sh
	// passes it to the JVM.
	EnvJMXOpts = "KAFKA_JMX_OPTS"
)

// JMX secret files in the sandbox.
const (
	jmxAccessFile         = JMXDir + "/access_file"
	jmxPasswordFile       = JMXDir + "/password_file"
	jmxKeyStore           = JMXDir + "/key_store"
	jmxKeyStorePassword   = JMXDir + "/key_store_password"
	jmxTrustStore         = JMXDir + "/trust_store"
	jmxTrustStorePassword = JMXDir + "/trust_store_password"
)

// SecretDelivery is one secret a broker task receives: the secret's path
// in the store and where it goes (File relative to the sandbox, or EnvKey).
// It holds no value: the launch resolves it.
type SecretDelivery struct {
	Secret string
	File   string
	EnvKey string
}

// Deliveries lists what every broker receives, service.secrets first (in
// their order), then the JMX files when JMX is enabled.
func (o ServiceOptions) Deliveries() []SecretDelivery {
	var out []SecretDelivery
	for _, b := range o.Secrets {
		out = append(out, SecretDelivery{Secret: b.Secret, File: b.File, EnvKey: b.EnvKey})
	}
	return append(out, o.JMX.deliveries()...)
}

func (j JMXOptions) deliveries() []SecretDelivery {
	if !j.Enabled {
		return nil
	}
	out := []SecretDelivery{
		{Secret: j.AccessFile, File: jmxAccessFile},
		{Secret: j.PasswordFile, File: jmxPasswordFile},
		{Secret: j.KeyStore, File: jmxKeyStore},
		{Secret: j.KeyStorePasswordFile, File: jmxKeyStorePassword},
	}
	if j.AddTrustStore {
		out = append(out,
			SecretDelivery{Secret: j.TrustStore, File: jmxTrustStore},
			SecretDelivery{Secret: j.TrustStorePasswordFile, File: jmxTrustStorePassword})
	}
	return out
}

// SecretPaths lists the secrets the service's brokers use, sorted, each
// once. Their versions must be recorded in the spec (WithSecretVersions)
// before it becomes a target.
func (s ServiceSpec) SecretPaths() []string {
	var out []string
	for _, d := range s.Options.Service.Deliveries() {
		out = append(out, d.Secret)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// WithSecretVersions returns the spec with the versions of the secrets it
// uses recorded (versions maps path to version; paths the spec does not use
// are dropped). The versions are part of PodConfigHash: a new version of a
// secret rolls the brokers that use it.
func (s ServiceSpec) WithSecretVersions(versions map[string]string) ServiceSpec {
	paths := s.SecretPaths()
	if len(paths) == 0 {
		s.SecretVersions = nil
		return s
	}
	s.SecretVersions = make(map[string]string, len(paths))
	for _, p := range paths {
		s.SecretVersions[p] = versions[p]
	}
	return s
}

// MissingSecretVersions lists the used secrets whose version the spec does
// not record.
func (s ServiceSpec) MissingSecretVersions() []string {
	var out []string
	for _, p := range s.SecretPaths() {
		if s.SecretVersions[p] == "" {
			out = append(out, p)
		}
	}
	return out
}

var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// MaxSecretBindings bounds service.secrets.
const MaxSecretBindings = 100

// maxEnvKeyLength bounds a secret's environment variable name.
const maxEnvKeyLength = 128

// validateSecrets checks service.secrets and service.jmx: secret paths
// valid and readable by the service (the DC/OS namespace rule), files
// relative to the sandbox without ".." and clear of the files the
// scheduler puts there, environment names valid and not the scheduler's
// own, and no file or variable given twice.
func validateSecrets(ps *validation.Problems, o Options) {
	svc := o.Service
	if len(svc.Secrets) > MaxSecretBindings {
		ps.Addf("service.secrets", strconv.Itoa(len(svc.Secrets)), "may have at most %d entries", MaxSecretBindings)
		return
	}
	files := map[string]string{}   // file -> field that delivers it
	envKeys := map[string]string{} // env key -> field
	for i, b := range svc.Secrets {
		field := fmt.Sprintf("service.secrets[%d]", i)
		validateSecretPath(ps, field+".secret", svc.Name, b.Secret)
		switch {
		case b.File == "" && b.EnvKey == "":
			ps.Add(field, b.Secret, `needs "file" (a path relative to the sandbox) or "env_key" (an environment variable name)`)
		case b.File != "" && b.EnvKey != "":
			ps.Add(field, b.Secret, `sets both "file" and "env_key"; a binding delivers a secret one way: give one of them (two bindings deliver it both ways)`)
		case b.File != "":
			if validateSecretFile(ps, field+".file", b.File, o.Brokers) {
				clean := path.Clean(b.File)
				if other, dup := files[clean]; dup {
					ps.Addf(field+".file", b.File, "is already delivered by %s: each file gets one secret", other)
				}
				files[clean] = field
			}
		default:
			if validateEnvKey(ps, field+".env_key", b.EnvKey) {
				if other, dup := envKeys[b.EnvKey]; dup {
					ps.Addf(field+".env_key", b.EnvKey, "is already set by %s: each variable gets one secret", other)
				}
				envKeys[b.EnvKey] = field
			}
		}
	}
	validateJMX(ps, o)
}

func validateSecretPath(ps *validation.Problems, field, service, p string) {
	if err := secrets.Authorize(service, p); err != nil {
		ps.Add(field, p, err.Error())
	}
}

// validateSecretFile checks a file binding's path and reports whether it
// is usable.
func validateSecretFile(ps *validation.Problems, field, file string, b BrokerOptions) bool {
	switch {
	case len(file) > MaxPathLength:
		ps.Addf(field, validation.Shorten(file, 80), "must be at most %d characters", MaxPathLength)
		return false
	case strings.HasPrefix(file, "/"):
		ps.Add(field, file, "must be relative to the task sandbox: absolute paths are not supported (write "+strconv.Quote(strings.TrimLeft(file, "/"))+")")
		return false
	case !diskPathPattern.MatchString(file) || hasDotDot(file):
		ps.Add(field, file, `must be a relative path inside the sandbox made of letters, digits, ".", "_", "-" and "/", without "." or ".." segments`)
		return false
	}
	top := strings.SplitN(file, "/", 2)[0]
	switch {
	case top == JMXDir:
		ps.Add(field, file, `must not be in the sandbox's "jmx" folder: service.jmx delivers its files there`)
	case file == "server.properties" || file == "stdout" || file == "stderr":
		ps.Add(field, file, "must not be "+file+": the broker task writes that file in its sandbox")
	case top == b.DiskPath || strings.HasPrefix(file, b.DiskPath+"/") || top == b.KafkaVersionPath:
		ps.Add(field, file, "must not be in the broker's data volume (brokers.disk_path) or Kafka distribution (brokers.kafka_version_path) folder")
	default:
		return true
	}
	return false
}

// validateEnvKey checks a variable binding's name and reports whether it
// is usable.
func validateEnvKey(ps *validation.Problems, field, key string) bool {
	switch {
	case len(key) > maxEnvKeyLength:
		ps.Addf(field, validation.Shorten(key, 80), "must be at most %d characters", maxEnvKeyLength)
	case !envKeyPattern.MatchString(key):
		ps.Add(field, key, "must be an environment variable name: letters, digits and _, not starting with a digit")
	case reservedEnvKey(key):
		ps.Add(field, key, "is set by the scheduler or Mesos for every broker task; choose another name")
	default:
		return true
	}
	return false
}

// reservedEnvKey reports whether the scheduler or Mesos sets the variable.
func reservedEnvKey(key string) bool {
	switch key {
	case EnvFrameworkName, EnvPodInstanceIndex, EnvTaskName, EnvDiskPath, EnvHeapOpts, EnvZookeeperURI,
		EnvVersionPath, EnvBrokerPort, EnvJMXOpts, "PATH", "HOME", "JAVA_HOME":
		return true
	}
	return strings.HasPrefix(key, EnvServerPropertiesChunk) || strings.HasPrefix(key, "MESOS_") || strings.HasPrefix(key, "LIBPROCESS_")
}

// validateJMX checks service.jmx: when enabled, two distinct fixed ports
// and a secret for every file it needs.
func validateJMX(ps *validation.Problems, o Options) {
	j := o.Service.JMX
	refs := []struct {
		field, path string
		needed      bool
	}{
		{"access_file", j.AccessFile, j.Enabled},
		{"password_file", j.PasswordFile, j.Enabled},
		{"key_store", j.KeyStore, j.Enabled},
		{"key_store_password_file", j.KeyStorePasswordFile, j.Enabled},
		{"trust_store", j.TrustStore, j.Enabled && j.AddTrustStore},
		{"trust_store_password_file", j.TrustStorePasswordFile, j.Enabled && j.AddTrustStore},
	}
	for _, r := range refs {
		field := "service.jmx." + r.field
		switch {
		case r.path == "" && r.needed:
			ps.Add(field, "", "is required when service.jmx.enabled is true: the path of the secret (PUT /v1/secrets/{path}) holding this file")
		case r.path != "" && r.needed:
			validateSecretPath(ps, field, o.Service.Name, r.path)
		case r.path != "":
			if err := secrets.ValidatePath(r.path); err != nil {
				ps.Add(field, r.path, err.Error())
			}
		}
	}
	for _, p := range []struct {
		field string
		port  int
	}{{"service.jmx.port", j.Port}, {"service.jmx.rmi_port", j.RMIPort}} {
		if p.port < 1 || p.port > maxPort {
			ps.Add(p.field, strconv.Itoa(p.port), "must be a port number from 1 to 65535")
		}
	}
	if !j.Enabled {
		return
	}
	if j.Port == j.RMIPort {
		ps.Add("service.jmx.rmi_port", strconv.Itoa(j.RMIPort), "must differ from service.jmx.port: the JMX registry and its RMI server listen on two ports")
	}
	if j.Port == o.Brokers.Port || j.RMIPort == o.Brokers.Port {
		ps.Add("service.jmx.port", strconv.Itoa(j.Port), "must differ from brokers.port")
	}
	if cs, err := effectivePlacement(o.Service); err == nil && !cs.AtMostOnePerHost() {
		ps.Add("service.jmx.enabled", "true",
			`JMX listens on fixed ports, so it needs at most one broker per agent: set service.placement_constraint to [["hostname","UNIQUE"]] (or [["hostname","MAX_PER","1"]]), or disable JMX`)
	}
}

// jmxOpts renders the JVM flags of Secure JMX for a broker on host: TLS
// and password authentication on the fixed ports, with the delivered files.
// Paths are relative to the sandbox, the broker's working directory.
func jmxOpts(j JMXOptions, host string) string {
	flags := []string{
		"-Dcom.sun.management.jmxremote",
		"-Dcom.sun.management.jmxremote.port=" + strconv.Itoa(j.Port),
		"-Dcom.sun.management.jmxremote.rmi.port=" + strconv.Itoa(j.RMIPort),
		"-Dcom.sun.management.jmxremote.authenticate=true",
		"-Dcom.sun.management.jmxremote.access.file=" + jmxAccessFile,
		"-Dcom.sun.management.jmxremote.password.file=" + jmxPasswordFile,
		"-Dcom.sun.management.jmxremote.ssl=true",
		"-Dcom.sun.management.jmxremote.registry.ssl=true",
		"-Dcom.sun.management.jmxremote.ssl.config.file=" + JMXSSLConfigFile,
	}
	if host != "" {
		flags = append(flags, "-Djava.rmi.server.hostname="+host)
	}
	return strings.Join(flags, " ")
}

// jmxStartLines write the TLS settings of JMX from the delivered files into
// JMXSSLConfigFile (mode 0600 under the command's umask), so that the key
// store passwords reach the JVM through a file and never as arguments.
func jmxStartLines(j JMXOptions) []string {
	lines := []string{
		`{ printf 'javax.net.ssl.keyStore=%s\n' "$PWD/` + jmxKeyStore + `"`,
		`  printf 'javax.net.ssl.keyStorePassword=%s\n' "$(cat ` + jmxKeyStorePassword + `)"`,
	}
	if j.AddTrustStore {
		lines = append(lines,
			`  printf 'javax.net.ssl.trustStore=%s\n' "$PWD/`+jmxTrustStore+`"`,
			`  printf 'javax.net.ssl.trustStorePassword=%s\n' "$(cat `+jmxTrustStorePassword+`)"`)
	}
	return append(lines, "} > "+JMXSSLConfigFile)
}

// nonEmpty is the bindings sorted (their order does not matter to a
// broker), nil for an empty list, so that it is left out of the pod
// configuration hash.
func nonEmpty(b SecretBindings) SecretBindings {
	if len(b) == 0 {
		return nil
	}
	return b.Sorted()
}

// Sorted returns a sorted copy: by secret, then file, then variable.
func (b SecretBindings) Sorted() SecretBindings {
	out := slices.Clone(b)
	slices.SortFunc(out, func(x, y SecretBinding) int {
		return strings.Compare(x.Secret+"\x00"+x.File+"\x00"+x.EnvKey, y.Secret+"\x00"+y.File+"\x00"+y.EnvKey)
	})
	return out
}

// enabledJMX is the JMX options when enabled; disabled JMX shapes nothing.
func enabledJMX(j JMXOptions) *JMXOptions {
	if !j.Enabled {
		return nil
	}
	return &j
}
