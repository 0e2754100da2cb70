package taskinfo_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gogo/protobuf/jsonpb"
	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/taskinfo"
)

func TestSecretsTravelAsMesosValueSecrets(t *testing.T) {
	l, _ := launch(t, `{"service":{"secrets":[{"secret":"prod/kafka/pw","env_key":"KAFKA_SASL_PASSWORD"},{"secret":"prod/keystore","file":"secrets/keystore.jks"}]}}`)
	password := []byte("s3cr3t-pass-Zq9")
	keystore := []byte{0, 1, 2, 0xff, 'k', 's'}
	values := map[string][]byte{"prod/kafka/pw": password, "prod/keystore": keystore}
	if len(l.Task.Secrets) != 2 {
		t.Fatalf("task secrets = %+v", l.Task.Secrets)
	}
	for _, d := range l.Task.Secrets {
		l.Secrets = append(l.Secrets, taskinfo.Secret{SecretDelivery: d, Value: secrets.NewValue(values[d.Secret])})
	}
	built := taskinfo.BuildTask(l)

	// For Mesos: a SECRET variable and a SECRET file volume, type VALUE.
	var envVar *mesos.Environment_Variable
	names := []string{}
	for i, v := range built.Info.GetCommand().GetEnvironment().GetVariables() {
		names = append(names, v.Name)
		if v.Name == "KAFKA_SASL_PASSWORD" {
			envVar = &built.Info.Command.Environment.Variables[i]
		}
	}
	if envVar == nil || envVar.GetType() != mesos.Environment_Variable_SECRET || envVar.Value != nil ||
		envVar.GetSecret().GetType() != mesos.Secret_VALUE || !bytes.Equal(envVar.GetSecret().GetValue().GetData(), password) {
		t.Fatalf("secret variable = %+v", envVar)
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Errorf("environment not sorted: %v", names)
		}
	}
	c := built.Info.GetContainer()
	if c.GetType() != mesos.ContainerInfo_MESOS || len(c.GetVolumes()) != 1 {
		t.Fatalf("container = %+v", c)
	}
	vol := c.Volumes[0]
	if vol.ContainerPath != "secrets/keystore.jks" || vol.GetMode() != mesos.RO || vol.GetSource().GetType() != mesos.Volume_Source_SECRET ||
		vol.GetSource().GetSecret().GetType() != mesos.Secret_VALUE || !bytes.Equal(vol.GetSource().GetSecret().GetValue().GetData(), keystore) {
		t.Fatalf("secret volume = %+v", vol)
	}
	if !taskinfo.HasSecretData(&built.Info) {
		t.Error("HasSecretData(Info) = false")
	}

	// Stored: the same TaskInfo without any secret's data.
	if taskinfo.HasSecretData(&built.Stored) {
		t.Fatal("the stored TaskInfo carries secret data")
	}
	js, err := (&jsonpb.Marshaler{}).MarshalToString(&built.Stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{string(password), "AAEC/2tz", "czNjcjN0LXBhc3MtWnE5"} {
		if strings.Contains(js, leak) {
			t.Errorf("the stored TaskInfo holds %q", leak)
		}
	}
	for _, want := range []string{`"name":"KAFKA_SASL_PASSWORD","type":"SECRET"`, `"containerPath":"secrets/keystore.jks"`, `"type":"SECRET"`} {
		if !strings.Contains(js, want) {
			t.Errorf("the stored TaskInfo lacks %s: %s", want, js)
		}
	}
	if built.Stored.Name != built.Info.Name || built.Stored.GetCommand().GetValue() != built.Info.GetCommand().GetValue() ||
		len(built.Stored.Resources) != len(built.Info.Resources) {
		t.Error("the stored TaskInfo differs from the launched one beyond the secrets' data")
	}
	// The launched one still holds the value after the stored one is built.
	if !bytes.Equal(built.Info.Command.Environment.Variables[indexOf(names, "KAFKA_SASL_PASSWORD")].Secret.Value.Data, password) {
		t.Error("building the stored form changed the launched TaskInfo")
	}
}

func TestNoSecretsNoContainer(t *testing.T) {
	l, _ := launch(t, `{}`)
	built := taskinfo.BuildTask(l)
	if built.Info.Container != nil || built.Stored.Container != nil || taskinfo.HasSecretData(&built.Info) {
		t.Errorf("a task without secrets has container %+v", built.Info.Container)
	}
	for _, v := range built.Info.GetCommand().GetEnvironment().GetVariables() {
		if v.GetType() == mesos.Environment_Variable_SECRET || v.Name == spec.EnvJMXOpts {
			t.Errorf("variable %s", v.Name)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestJMXTravelsInTheTaskEnvironmentAndItsFiles(t *testing.T) {
	l, _ := launch(t, `{"service":{"jmx":{"enabled":true,"access_file":"prod/kafka/jmx-access","password_file":"prod/kafka/jmx-password",
		"key_store":"prod/kafka/jmx-keystore","key_store_password_file":"prod/kafka/jmx-keystorepass"}}}`)
	for _, d := range l.Task.Secrets {
		l.Secrets = append(l.Secrets, taskinfo.Secret{SecretDelivery: d, Value: secrets.NewValue([]byte("v-" + d.Secret))})
	}
	built := taskinfo.BuildTask(l)
	opts := ""
	for _, v := range built.Info.GetCommand().GetEnvironment().GetVariables() {
		if v.Name == spec.EnvJMXOpts {
			opts = v.GetValue()
		}
	}
	if !strings.Contains(opts, "-Dcom.sun.management.jmxremote.port=31199") || !strings.Contains(opts, "password.file=jmx/password_file") {
		t.Errorf("%s = %q", spec.EnvJMXOpts, opts)
	}
	paths := []string{}
	for _, v := range built.Stored.GetContainer().GetVolumes() {
		paths = append(paths, v.ContainerPath)
	}
	if strings.Join(paths, ",") != "jmx/access_file,jmx/password_file,jmx/key_store,jmx/key_store_password" {
		t.Errorf("JMX secret volumes %v", paths)
	}
	if taskinfo.HasSecretData(&built.Stored) || !taskinfo.HasSecretData(&built.Info) {
		t.Error("the JMX files' data must be in the launched TaskInfo only")
	}
}
