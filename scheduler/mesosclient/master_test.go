package mesosclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/internal/zkserver"
)

func TestNewMasterResolverParsesMasterAddresses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in  string
		url string // for http(s)
		zk  *zkResolver
	}{
		{in: "http://m1:5050", url: "http://m1:5050/api/v1/scheduler"},
		{in: "http://m1:5050/", url: "http://m1:5050/api/v1/scheduler"},
		{in: "https://m1/api/v1/scheduler", url: "https://m1/api/v1/scheduler"},
		{in: "zk://h1:2181/mesos", zk: &zkResolver{servers: []string{"h1:2181"}, path: "/mesos"}},
		{in: "zk://h1:2181,h2:2182,h3/mesos/", zk: &zkResolver{servers: []string{"h1:2181", "h2:2182", "h3:2181"}, path: "/mesos"}},
		{in: "zk://10.0.0.1,[fd00::1]:2182,[fd00::2]/mesos", zk: &zkResolver{servers: []string{"10.0.0.1:2181", "[fd00::1]:2182", "[fd00::2]:2181"}, path: "/mesos"}},
		{in: "zk://h1:2181/a/b", zk: &zkResolver{servers: []string{"h1:2181"}, path: "/a/b"}},
		{in: "zk://jo:p%40ss@h1:2181/mesos", zk: &zkResolver{servers: []string{"h1:2181"}, path: "/mesos", auth: "jo:p@ss"}},
	} {
		r, err := NewMasterResolver(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		switch r := r.(type) {
		case staticResolver:
			got, _ := r.Resolve(context.Background())
			if tc.url == "" || got != tc.url {
				t.Errorf("%s resolves to %q, want %q", tc.in, got, tc.url)
			}
		case *zkResolver:
			if tc.zk == nil || !slices.Equal(r.servers, tc.zk.servers) || r.path != tc.zk.path || r.auth != tc.zk.auth {
				t.Errorf("%s: %+v, want %+v", tc.in, r, tc.zk)
			}
		default:
			t.Errorf("%s: resolver %T", tc.in, r)
		}
	}

	for _, tc := range []struct{ in, want string }{
		{"zk://h1:2181", "must look like zk://host:2181[,host:2181]/mesos"},
		{"zk://h1:2181/", "must look like zk://host:2181[,host:2181]/mesos"},
		{"zk:///mesos", "must look like zk://host:2181[,host:2181]/mesos"},
		{"zk://h1:2181,,h2:2181/mesos", "bad server \"\""},
		{"zk://h1:zk/mesos", "bad server \"h1:zk\""},
		{"zk://h1:99999/mesos", "bad server"},
		{"zk://fd00::1/mesos", "bad server"},
		{"zk://h1:2181/mesos?x=1", "query"},
		{"zk://jo:%zz@h1/mesos", "bad credentials"},
		{"http:///api/v1/scheduler", "has no host"},
		{"m1:5050", "must start with http://, https:// or zk://"},
		{"ftp://m1/x", "must start with http://, https:// or zk://"},
		{"http://m1:port", "is not a URL"},
		{"", "must start with http://, https:// or zk://"},
	} {
		_, err := NewMasterResolver(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "\""+tc.in+"\"") {
			t.Errorf("%q: %v, want an error naming it with %q", tc.in, err, tc.want)
		}
	}
}

func TestMasterURLFromInfo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ info, url, err string }{
		{info: `{"address":{"hostname":"m1","ip":"10.0.0.1","port":5050},"hostname":"other","ip":16777226,"port":5051}`, url: "http://m1:5050/api/v1/scheduler"},
		{info: `{"address":{"ip":"10.0.0.1","port":5050},"hostname":"m1","port":5050}`, url: "http://10.0.0.1:5050/api/v1/scheduler"},
		{info: `{"hostname":"m1","port":5050,"ip":16777226}`, url: "http://m1:5050/api/v1/scheduler"},
		{info: `{"address":{"ip":"fd00::1","port":5050}}`, url: "http://[fd00::1]:5050/api/v1/scheduler"},
		{info: `{"hostname":"m1"}`, err: "names no host and port"},
		{info: `{"ip":16777226,"port":5050}`, err: "names no host and port"},
		{info: `not json`, err: `parsing master info "not json"`},
	} {
		got, err := masterURLFromInfo([]byte(tc.info))
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %q, %v; want an error with %q", tc.info, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.url):
			t.Errorf("%s: %q, %v; want %q", tc.info, got, err, tc.url)
		}
	}
}

// zkConnect opens a ZooKeeper session for the test.
func zkConnect(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	conn, _, err := zk.Connect([]string{addr}, 5*time.Second, zk.WithLogInfo(false), zk.WithLogger(discardLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	waitUntil(t, "a ZooKeeper session", func() bool { return conn.State() == zk.StateHasSession })
	return conn
}

// contend registers a master the way a Mesos master does: an ephemeral
// sequential json.info_ node holding its MasterInfo as JSON.
func contend(t *testing.T, conn *zk.Conn, path, host string, port int, acl []zk.ACL) string {
	t.Helper()
	info := `{"address":{"hostname":"` + host + `","ip":"127.0.0.1","port":` + strconv.Itoa(port) + `},"hostname":"` + host + `","id":"x","ip":16777343,"pid":"master@127.0.0.1:` + strconv.Itoa(port) + `","port":` + strconv.Itoa(port) + `,"version":"1.11.0"}`
	name, err := conn.Create(path+"/json.info_", []byte(info), zk.FlagEphemeral|zk.FlagSequence, acl)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func resolve(t *testing.T, master string) (string, error) {
	t.Helper()
	r, err := NewMasterResolver(master)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Resolve(ctx)
}

func TestZooKeeperMasterDetection(t *testing.T) {
	t.Parallel()
	srv := zkserver.Start(t)
	conn := zkConnect(t, srv.Addr())
	acl := zk.WorldACL(zk.PermAll)
	if _, err := conn.Create("/mesos", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	master := "zk://" + srv.Addr() + "/mesos"

	if _, err := resolve(t, master); err == nil || !strings.Contains(err.Error(), "no Mesos master is registered under /mesos") {
		t.Fatalf("no contender: %v", err)
	}
	if _, err := resolve(t, "zk://"+srv.Addr()+"/nowhere"); err == nil || !strings.Contains(err.Error(), "listing Mesos masters under /nowhere") {
		t.Fatalf("no such path: %v", err)
	}

	// Other children of the path (the replicated log's) are not masters.
	if _, err := conn.Create("/mesos/log_replicas", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	first := contend(t, conn, "/mesos", "m1.example", 5050, acl)
	second := contend(t, conn, "/mesos", "m2.example", 5051, acl)
	contend(t, conn, "/mesos", "m3.example", 5052, acl)
	if got, err := resolve(t, master); err != nil || got != "http://m1.example:5050/api/v1/scheduler" {
		t.Fatalf("leader: %q, %v", got, err)
	}
	// The leader's session ends: the next contender leads.
	if err := conn.Delete(first, -1); err != nil {
		t.Fatal(err)
	}
	if got, err := resolve(t, master); err != nil || got != "http://m2.example:5051/api/v1/scheduler" {
		t.Fatalf("leader after the first left: %q, %v", got, err)
	}
	if err := conn.Delete(second, -1); err != nil {
		t.Fatal(err)
	}
	if got, err := resolve(t, "zk://"+srv.Addr()+"/mesos/"); err != nil || got != "http://m3.example:5052/api/v1/scheduler" {
		t.Fatalf("leader after the second left: %q, %v", got, err)
	}

	// Credentials in the address authenticate with the digest scheme.
	secure := zk.DigestACL(zk.PermAll, "mesos", "s3cret")
	if err := conn.AddAuth("digest", []byte("mesos:s3cret")); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Create("/secure", nil, 0, secure); err != nil {
		t.Fatal(err)
	}
	contend(t, conn, "/secure", "s1.example", 5050, secure)
	if _, err := resolve(t, "zk://"+srv.Addr()+"/secure"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("without credentials: %v", err)
	}
	if got, err := resolve(t, "zk://mesos:s3cret@"+srv.Addr()+"/secure"); err != nil || got != "http://s1.example:5050/api/v1/scheduler" {
		t.Fatalf("with credentials: %q, %v", got, err)
	}

	// A client subscribes through detection, straight to the leader.
	cfg := clusterConfig(t)
	cfg.Masters = 2
	c := startCluster(t, cfg)
	if _, err := conn.Create("/local", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	for _, addr := range c.MasterAddresses() { // leader first: lowest sequence number
		host, port := splitHostPort(t, addr)
		contend(t, conn, "/local", host, port, acl)
	}
	tr := newTracker(t)
	cl := tr.newClient(t, "zk://"+srv.Addr()+"/local")
	start(t, cl)
	tr.waitSubscribed(t, cl, 0, 1)
	sub := tr.sent(0, scheduler.Call_SUBSCRIBE)
	if len(sub) != 1 || sub[0].host != c.LeaderAddress() || sub[0].status != http.StatusOK {
		t.Fatalf("SUBSCRIBE goes straight to the detected leader: %v", sub)
	}
}

func TestZooKeeperResolveFailsWithoutZooKeeper(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // connections to addr are refused
	r, err := NewMasterResolver("zk://" + addr + "/mesos")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	_, err = r.Resolve(ctx)
	// go-zookeeper fails pending requests each time it has tried every
	// server, or the context ends first.
	if (!errors.Is(err, zk.ErrNoServer) && !errors.Is(err, context.DeadlineExceeded)) || time.Since(began) > 5*time.Second {
		t.Fatalf("Resolve without ZooKeeper: %v after %s", err, time.Since(began))
	}
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}
