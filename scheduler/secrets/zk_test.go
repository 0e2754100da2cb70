package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/internal/zkserver"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/zkstore"
)

// TestZooKeeperHoldsOnlyCiphertext writes text and binary secrets (new
// values, new versions, a rotation with a rewrap, a use and a delete)
// through a real ZooKeeper, then dumps every znode with a separate client,
// and reads the server's folder (transaction logs, snapshots, its log):
// neither value appears, in clear or base64.
func TestZooKeeperHoldsOnlyCiphertext(t *testing.T) {
	srv := zkserver.Start(t)
	var logs logBuffer
	st, err := zkstore.Open(testCtx(t), zkstore.Config{
		Servers: []string{srv.Addr()}, Root: "/kafka-on-mesos",
		SessionTimeout: 4 * time.Second, OperationTimeout: 5 * time.Second, Logger: debugLogger(&logs),
	})
	if err != nil {
		t.Fatalf("opening the ZooKeeper store: %v", err)
	}
	defer st.Close()

	text := []byte("zk-text-secret-Tr0ub4dor&3")
	raw := make([]byte, 4096)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	oldKey, newKey := randomKey(t), randomKey(t)
	s := mustOpen(t, st, mustRing(t, oldKey), Options{Logger: debugLogger(&logs)})
	mustPut(t, s, "kafka/password", text, PutOptions{})
	mustPut(t, s, "kafka/keytab", []byte(base64.StdEncoding.EncodeToString(raw)), PutOptions{Base64: true})
	mustPut(t, s, "kafka/__dcos_base64__keystore", []byte(base64.StdEncoding.EncodeToString(raw)), PutOptions{})
	mustPut(t, s, "kafka/password", text, PutOptions{}) // a second version
	mustPut(t, s, "kafka/gone", text, PutOptions{})
	if err := s.Delete(testCtx(t), "kafka/gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUsers(testCtx(t), "kafka", []string{"kafka/password", "kafka/keytab"}); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, st, mustRing(t, newKey, oldKey), Options{Rewrap: true, Logger: debugLogger(&logs)})
	if got, _ := mustResolve(t, s, "kafka", "kafka/keytab"); !bytes.Equal(got, raw) {
		t.Fatal("the binary secret does not read back from ZooKeeper")
	}
	if got, _ := mustResolve(t, s, "kafka", "kafka/password"); !bytes.Equal(got, text) {
		t.Fatal("the text secret does not read back from ZooKeeper")
	}

	dump := dumpZooKeeper(t, srv.Addr())
	if !bytes.Contains(dump, []byte("/kafka-on-mesos/secrets/Values/kafka%2Fkeytab")) || !bytes.Contains(dump, []byte(`"ciphertext":`)) {
		t.Fatalf("the dump does not hold the secret records:\n%.2000s", dump)
	}
	serverFiles := readDir(t, filepath.Dir(srv.LogPath()))
	if !bytes.Contains(serverFiles, []byte("secrets/Values/kafka%2Fkeytab")) {
		t.Fatal("ZooKeeper's folder holds no transaction log with the secrets' znodes; the check below would prove nothing")
	}
	for _, v := range [][]byte{text, raw, oldKey, newKey} {
		assertNoLeak(t, "the dump of every znode", dump, v)
		assertNoLeak(t, "ZooKeeper's data folder and log", serverFiles, v)
		assertNoLeak(t, "the store's debug logs", logs.Bytes(), v)
	}
}

// dumpZooKeeper reads every znode from the root with a client of its own:
// "<path>=<data>" lines.
func dumpZooKeeper(t *testing.T, addr string) []byte {
	t.Helper()
	conn, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out bytes.Buffer
	var walk func(path string)
	walk = func(path string) {
		data, _, err := conn.Get(path)
		if err != nil {
			t.Fatalf("dump: get %s: %v", path, err)
		}
		out.WriteString(path + "=")
		out.Write(data)
		out.WriteByte('\n')
		children, _, err := conn.Children(path)
		if err != nil {
			t.Fatalf("dump: children of %s: %v", path, err)
		}
		for _, c := range children {
			if path == "/" {
				walk("/" + c)
			} else {
				walk(path + "/" + c)
			}
		}
	}
	walk("/")
	return out.Bytes()
}
