package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

func valueSecret(data string) *mesos.Secret {
	return &mesos.Secret{Type: mesos.Secret_VALUE, Value: &mesos.Secret_Value{Data: []byte(data)}}
}

func secretVolume(path string, s *mesos.Secret) mesos.Volume {
	return mesos.Volume{Mode: mesos.RO.Enum(), ContainerPath: path, Source: &mesos.Volume_Source{Type: mesos.Volume_Source_SECRET, Secret: s}}
}

func TestSecretFilesAreWrittenReadOnlyBeforeTheTask(t *testing.T) {
	dir := t.TempDir()
	c := &mesos.ContainerInfo{Type: mesos.ContainerInfo_MESOS.Enum(), Volumes: []mesos.Volume{
		secretVolume("secrets/keystore.jks", valueSecret("\x00\x01binary")),
		secretVolume("top.txt", valueSecret("top-secret")),
		{Mode: mesos.RW.Enum(), ContainerPath: "other", HostPath: strPtr("/tmp")},
	}}
	files, err := SecretFiles(c)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(files); strings.Contains(s, "binary") || strings.Contains(s, "top-secret") {
		t.Errorf("printing the files shows their bytes: %s", s)
	}
	if err := WriteSecretFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"secrets/keystore.jks": "\x00\x01binary", "top.txt": "top-secret"} {
		path := filepath.Join(dir, rel)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o400 {
			t.Errorf("%s has mode %v, want 0400", rel, st.Mode().Perm())
		}
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s holds %q", rel, got)
		}
	}
	// Writing again (a relaunch into the same folder) replaces them.
	files[1].data = []byte("new")
	if err := WriteSecretFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "top.txt")); string(got) != "new" {
		t.Errorf("rewritten file holds %q", got)
	}
}

func TestSecretVolumeRefusals(t *testing.T) {
	for name, c := range map[string]*mesos.ContainerInfo{
		"reference": {Volumes: []mesos.Volume{secretVolume("f", &mesos.Secret{Type: mesos.Secret_REFERENCE, Reference: &mesos.Secret_Reference{Name: "/x"}})}},
		"no value":  {Volumes: []mesos.Volume{secretVolume("f", &mesos.Secret{Type: mesos.Secret_VALUE})}},
		"absolute":  {Volumes: []mesos.Volume{secretVolume("/etc/f", valueSecret("v"))}},
	} {
		if _, err := SecretFiles(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	files, err := SecretFiles(&mesos.ContainerInfo{Volumes: []mesos.Volume{secretVolume("../escape", valueSecret("leak-me"))}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = WriteSecretFiles(filepath.Join(dir, "sandbox"), files)
	if err == nil || strings.Contains(err.Error(), "leak-me") {
		t.Errorf("escaping the sandbox = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); !os.IsNotExist(err) {
		t.Error("a secret file was written outside the sandbox")
	}
}

func TestWithoutSecretData(t *testing.T) {
	info := mesos.TaskInfo{
		Name: "t",
		Command: &mesos.CommandInfo{Environment: &mesos.Environment{Variables: []mesos.Environment_Variable{
			{Name: "PLAIN", Value: strPtr("plain")},
			{Name: "PW", Type: mesos.Environment_Variable_SECRET.Enum(), Secret: valueSecret("env-secret")},
		}}},
		Container: &mesos.ContainerInfo{Type: mesos.ContainerInfo_MESOS.Enum(), Volumes: []mesos.Volume{secretVolume("f", valueSecret("file-secret"))}},
	}
	out := WithoutSecretData(info)
	data, _ := json.Marshal(out)
	if bytes.Contains(data, []byte("env-secret")) || bytes.Contains(data, []byte("file-secret")) || !bytes.Contains(data, []byte("plain")) {
		t.Errorf("without secret data: %s", data)
	}
	if string(info.Command.Environment.Variables[1].Secret.Value.Data) != "env-secret" || string(info.Container.Volumes[0].Source.Secret.Value.Data) != "file-secret" {
		t.Error("WithoutSecretData changed the TaskInfo it was given")
	}
	env, err := Env(nil, nil, info.Command)
	if err != nil || !strings.Contains(strings.Join(env, "\n"), "PW=env-secret") {
		t.Errorf("the environment resolves VALUE secrets: %v %v", env, err)
	}
}
