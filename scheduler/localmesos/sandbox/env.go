package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Env builds a process environment: base, then the given variables, then the
// CommandInfo's environment; later values override earlier ones. Secrets of
// type VALUE are resolved; REFERENCE secrets fail as with the default Mesos
// secret resolver.
func Env(base []string, vars map[string]string, cmd *mesos.CommandInfo) ([]string, error) {
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	for _, k := range sortedKeys(vars) {
		set(k, vars[k])
	}
	if cmd != nil && cmd.Environment != nil {
		for _, v := range cmd.Environment.Variables {
			value, err := variableValue(v)
			if err != nil {
				return nil, fmt.Errorf("environment variable %q: %w", v.Name, err)
			}
			set(v.Name, value)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

func variableValue(v mesos.Environment_Variable) (string, error) {
	if v.Type == nil || *v.Type == mesos.Environment_Variable_VALUE {
		return v.GetValue(), nil
	}
	if *v.Type != mesos.Environment_Variable_SECRET || v.Secret == nil {
		return "", errors.New("unsupported variable type")
	}
	switch v.Secret.Type {
	case mesos.Secret_VALUE:
		if v.Secret.Value == nil {
			return "", errors.New("secret of type VALUE has no value")
		}
		return string(v.Secret.Value.Data), nil
	case mesos.Secret_REFERENCE:
		return "", errors.New("Default secret resolver cannot resolve references")
	}
	return "", errors.New("secret has an unknown type")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LinkVolume makes hostPath appear at containerPath inside the sandbox dir,
// as a symbolic link (Mesos bind-mounts it; there are no mounts here).
func LinkVolume(dir, containerPath, hostPath string) error {
	if filepath.IsAbs(containerPath) {
		return fmt.Errorf("volume container path %q must be relative to the sandbox", containerPath)
	}
	link, err := within(dir, containerPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("creating the parent of volume path %q: %w", containerPath, err)
	}
	if current, err := os.Readlink(link); err == nil && current == hostPath {
		return nil
	}
	_ = os.Remove(link)
	if err := os.Symlink(hostPath, link); err != nil {
		return fmt.Errorf("linking volume %q to %s: %w", containerPath, hostPath, err)
	}
	return nil
}
