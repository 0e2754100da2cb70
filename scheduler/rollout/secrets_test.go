package rollout

import (
	"testing"
)

func TestClassifySecretChanges(t *testing.T) {
	const bound = `{"service":{"secrets":[{"secret":"kafka/pw","env_key":"PW"},{"secret":"kafka/ks","file":"ks.jks"}]},"brokers":{"count":2}}`
	v1 := parse(t, bound).WithSecretVersions(map[string]string{"kafka/pw": "v1", "kafka/ks": "k1"})

	t.Run("a new version of a used secret restarts every broker, naming versions only", func(t *testing.T) {
		v2 := parse(t, bound).WithSecretVersions(map[string]string{"kafka/pw": "v2", "kafka/ks": "k1"})
		u, err := Classify(v1, v2)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range u.Brokers {
			if b.Action != Restart || len(b.Changes) != 1 || b.Changes[0] != (Change{Field: "secret:kafka/pw", Old: "v1", New: "v2"}) {
				t.Errorf("broker %d: %s %+v", b.ID, b.Action, b.Changes)
			}
		}
	})
	t.Run("the same versions restart nothing", func(t *testing.T) {
		same := parse(t, bound).WithSecretVersions(map[string]string{"kafka/pw": "v1", "kafka/ks": "k1"})
		u, err := Classify(v1, same)
		if err != nil {
			t.Fatal(err)
		}
		if n := u.Actions()[None]; n != 2 {
			t.Errorf("actions %v", u.Actions())
		}
	})
	t.Run("reordered bindings restart nothing", func(t *testing.T) {
		reordered := parse(t, `{"service":{"secrets":[{"secret":"kafka/ks","file":"ks.jks"},{"secret":"kafka/pw","env_key":"PW"}]},"brokers":{"count":2}}`).
			WithSecretVersions(map[string]string{"kafka/pw": "v1", "kafka/ks": "k1"})
		u, err := Classify(v1, reordered)
		if err != nil {
			t.Fatal(err)
		}
		if n := u.Actions()[None]; n != 2 {
			t.Errorf("actions %v: %+v", u.Actions(), u.Brokers)
		}
	})
	t.Run("unbinding a file restarts, naming the binding and the secret", func(t *testing.T) {
		unbound := parse(t, `{"service":{"secrets":[{"secret":"kafka/pw","env_key":"PW"}]},"brokers":{"count":2}}`).
			WithSecretVersions(map[string]string{"kafka/pw": "v1"})
		u, err := Classify(v1, unbound)
		if err != nil {
			t.Fatal(err)
		}
		b := u.Brokers[0]
		fields := map[string]Change{}
		for _, c := range b.Changes {
			fields[c.Field] = c
		}
		if b.Action != Restart || fields["secret:kafka/ks"] != (Change{Field: "secret:kafka/ks", Old: "k1", New: ""}) || fields["service.secrets"].Field == "" {
			t.Errorf("broker 0: %s %+v", b.Action, b.Changes)
		}
	})
	t.Run("a secret of another service's options changes nothing here", func(t *testing.T) {
		// Versions of secrets a spec does not use are never recorded, so a
		// write of an unrelated secret cannot reach these brokers.
		other := parse(t, bound).WithSecretVersions(map[string]string{"kafka/pw": "v1", "kafka/ks": "k1", "kafka/unrelated": "u9"})
		u, err := Classify(v1, other)
		if err != nil {
			t.Fatal(err)
		}
		if u.Actions()[None] != 2 {
			t.Errorf("actions %v", u.Actions())
		}
	})
}
