package master

import (
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

func TestValidateSecretVolumes(t *testing.T) {
	vol := func(s *mesos.Secret) *mesos.ContainerInfo {
		return &mesos.ContainerInfo{Type: mesos.ContainerInfo_MESOS.Enum(), Volumes: []mesos.Volume{{
			Mode: mesos.RO.Enum(), ContainerPath: "f", Source: &mesos.Volume_Source{Type: mesos.Volume_Source_SECRET, Secret: s},
		}}}
	}
	if err := validateSecretVolumes(nil); err != nil {
		t.Errorf("no container: %v", err)
	}
	if err := validateSecretVolumes(vol(&mesos.Secret{Type: mesos.Secret_VALUE, Value: &mesos.Secret_Value{Data: []byte("x")}})); err != nil {
		t.Errorf("a VALUE secret: %v", err)
	}
	for name, s := range map[string]*mesos.Secret{
		"none":               nil,
		"VALUE without data": {Type: mesos.Secret_VALUE},
		"REFERENCE without":  {Type: mesos.Secret_REFERENCE},
		"UNKNOWN":            {Type: mesos.Secret_UNKNOWN},
	} {
		if err := validateSecretVolumes(vol(s)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
