package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// SecretFile is a file volume with source SECRET, resolved: where it goes
// in the sandbox and its bytes. Its String never shows the bytes.
type SecretFile struct {
	ContainerPath string
	data          []byte
}

func (f SecretFile) String() string { return "secret file " + f.ContainerPath }

// SecretFiles resolves the SECRET volumes of a task's container as the
// volume/secret isolator with Mesos's default secret resolver does: a
// VALUE secret's data becomes the file; a REFERENCE fails, as the default
// resolver cannot resolve references. Other volumes are left alone.
func SecretFiles(c *mesos.ContainerInfo) ([]SecretFile, error) {
	var out []SecretFile
	for _, v := range c.GetVolumes() {
		src := v.GetSource()
		if src.GetType() != mesos.Volume_Source_SECRET {
			continue
		}
		data, err := secretData(src.GetSecret())
		if err != nil {
			return nil, fmt.Errorf("secret volume %q: %w", v.ContainerPath, err)
		}
		if v.ContainerPath == "" || filepath.IsAbs(v.ContainerPath) {
			return nil, fmt.Errorf("secret volume %q: the container path must be relative to the sandbox", v.ContainerPath)
		}
		out = append(out, SecretFile{ContainerPath: v.ContainerPath, data: data})
	}
	return out, nil
}

func secretData(s *mesos.Secret) ([]byte, error) {
	switch s.GetType() {
	case mesos.Secret_VALUE:
		if s.GetValue() == nil {
			return nil, errors.New("secret of type VALUE has no value")
		}
		return s.GetValue().GetData(), nil
	case mesos.Secret_REFERENCE:
		return nil, errors.New("Default secret resolver cannot resolve references")
	}
	return nil, errors.New("secret has an unknown type")
}

// WriteSecretFiles writes each secret file into the sandbox dir, readable
// by its owner only (mode 0400), creating parent folders (0700), before the
// task starts. A file that exists is replaced. Errors name the path, never
// the bytes.
func WriteSecretFiles(dir string, files []SecretFile) error {
	for _, f := range files {
		if err := writeSecretFile(dir, f); err != nil {
			return err
		}
	}
	return nil
}

func writeSecretFile(dir string, f SecretFile) error {
	target, err := within(dir, f.ContainerPath)
	if err != nil || target == filepath.Clean(dir) || strings.Contains(f.ContainerPath, "\x00") {
		return fmt.Errorf("secret volume %q is outside the sandbox", f.ContainerPath)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("creating the folder of secret volume %q: %w", f.ContainerPath, err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replacing secret volume %q: %w", f.ContainerPath, err)
	}
	file, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
	if err != nil {
		return fmt.Errorf("creating secret volume %q: %w", f.ContainerPath, err)
	}
	_, werr := file.Write(f.data)
	cerr := file.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(target)
		return fmt.Errorf("writing secret volume %q: %w", f.ContainerPath, err)
	}
	if err := os.Chmod(target, 0o400); err != nil {
		return fmt.Errorf("setting the mode of secret volume %q: %w", f.ContainerPath, err)
	}
	return nil
}

// WithoutSecretData returns a copy of info whose secrets (environment
// variables of type SECRET, SECRET volumes) carry no data: what the local
// Mesos checkpoints and shows.
func WithoutSecretData(info mesos.TaskInfo) mesos.TaskInfo {
	if info.Command != nil {
		info.Command = CommandWithoutSecretData(info.Command)
	}
	if c := info.Container; c != nil {
		cc := *c
		cc.Volumes = make([]mesos.Volume, len(c.Volumes))
		for i, v := range c.Volumes {
			if v.Source != nil && v.Source.Secret != nil {
				src := *v.Source
				src.Secret = redactedSecret(v.Source.Secret)
				v.Source = &src
			}
			cc.Volumes[i] = v
		}
		info.Container = &cc
	}
	return info
}

// CommandWithoutSecretData is a copy of the command whose SECRET
// variables carry no data.
func CommandWithoutSecretData(c *mesos.CommandInfo) *mesos.CommandInfo {
	if c == nil || c.Environment == nil {
		return c
	}
	cc := *c
	env := *c.Environment
	env.Variables = make([]mesos.Environment_Variable, len(c.Environment.Variables))
	for i, v := range c.Environment.Variables {
		if v.Secret != nil {
			v.Secret = redactedSecret(v.Secret)
		}
		env.Variables[i] = v
	}
	cc.Environment = &env
	return &cc
}

func redactedSecret(s *mesos.Secret) *mesos.Secret {
	out := &mesos.Secret{Type: s.Type}
	if s.Reference != nil {
		ref := *s.Reference
		out.Reference = &ref // a reference names a secret, it holds no value
	}
	return out
}
