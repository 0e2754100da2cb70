package mesosclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// schedulerPath is the path of the v1 scheduler API on a master.
const schedulerPath = "/api/v1/scheduler"

// MasterResolver finds the scheduler API URL of the leading master.
type MasterResolver interface {
	Resolve(ctx context.Context) (string, error)
}

// NewMasterResolver returns a resolver for a master address as operators
// write it: an http(s) URL of any master (redirects lead to the leader), or
// zk://[user:password@]host:port[,host:port]/path for ZooKeeper master
// detection (the credentials, as in Mesos, authenticate with the digest
// scheme).
func NewMasterResolver(master string) (MasterResolver, error) {
	if rest, ok := strings.CutPrefix(master, "zk://"); ok {
		// Not parsed as a URL: a server list such as h1:2181,h2 is not a
		// valid URL host, yet is a valid Mesos --master.
		return parseZK(master, rest)
	}
	u, err := url.Parse(master)
	if err != nil {
		return nil, fmt.Errorf("master address %q is not a URL: %w", master, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("master address %q has no host", master)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = schedulerPath
		}
		return staticResolver(u.String()), nil
	default:
		return nil, fmt.Errorf("master address %q must start with http://, https:// or zk://", master)
	}
}

// parseZK parses zk://[user:password@]host[:port][,host[:port]]/path (rest
// is what follows zk://); servers without a port get ZooKeeper's 2181.
func parseZK(master, rest string) (*zkResolver, error) {
	bad := func(why string) error {
		return fmt.Errorf("master address %q must look like zk://host:2181[,host:2181]/mesos: %s", master, why)
	}
	authority, path, _ := strings.Cut(rest, "/")
	path = strings.TrimSuffix("/"+path, "/")
	if path == "" {
		return nil, bad("no path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, bad("the path has a query or fragment")
	}
	z := &zkResolver{path: path}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		user, password, _ := strings.Cut(authority[:i], ":")
		var err1, err2 error
		user, err1 = url.PathUnescape(user)
		password, err2 = url.PathUnescape(password)
		if err := errors.Join(err1, err2); err != nil {
			return nil, bad("bad credentials: " + err.Error())
		}
		z.auth = user + ":" + password
		authority = authority[i+1:]
	}
	if authority == "" {
		return nil, bad("no server")
	}
	for _, server := range strings.Split(authority, ",") {
		host, port, err := net.SplitHostPort(server)
		if err != nil {
			// No port: a host name, an IPv4 address or a bracketed IPv6 one.
			host, port = strings.TrimSuffix(strings.TrimPrefix(server, "["), "]"), "2181"
			if host == "" || (strings.Contains(host, ":") && !strings.HasPrefix(server, "[")) {
				return nil, bad(fmt.Sprintf("bad server %q", server))
			}
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || host == "" {
			return nil, bad(fmt.Sprintf("bad server %q", server))
		}
		z.servers = append(z.servers, net.JoinHostPort(host, port))
	}
	return z, nil
}

type staticResolver string

func (s staticResolver) Resolve(context.Context) (string, error) { return string(s), nil }

// zkResolver implements Mesos master detection: masters contend by creating
// ephemeral sequential znodes <path>/json.info_NNNNNNNNNN holding their
// MasterInfo as JSON; the lowest sequence number is the leader.
type zkResolver struct {
	servers []string
	path    string
	auth    string // "user:password" for the digest scheme, or ""
}

const masterInfoPrefix = "json.info_"

func (z *zkResolver) Resolve(ctx context.Context) (string, error) {
	conn, _, err := zk.Connect(z.servers, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(discardLogger{}))
	if err != nil {
		return "", fmt.Errorf("connecting to ZooKeeper %v for master detection: %w", z.servers, err)
	}
	// Closing waits up to a second for ZooKeeper to confirm, or to give
	// up when there is no connection: not on the caller's time.
	defer func() { go conn.Close() }()

	type result struct {
		url string
		err error
	}
	done := make(chan result, 1)
	go func() {
		if z.auth != "" {
			if err := conn.AddAuth("digest", []byte(z.auth)); err != nil {
				done <- result{"", fmt.Errorf("authenticating to ZooKeeper %v: %w", z.servers, err)}
				return
			}
		}
		u, err := z.leader(conn)
		done <- result{u, err}
	}()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("detecting the leading Mesos master in %s: %w", z.path, ctx.Err())
	case r := <-done:
		return r.url, r.err
	}
}

func (z *zkResolver) leader(conn *zk.Conn) (string, error) {
	children, _, err := conn.Children(z.path)
	if err != nil {
		return "", fmt.Errorf("listing Mesos masters under %s: %w", z.path, err)
	}
	var contenders []string
	for _, c := range children {
		if strings.HasPrefix(c, masterInfoPrefix) {
			contenders = append(contenders, c)
		}
	}
	if len(contenders) == 0 {
		return "", fmt.Errorf("no Mesos master is registered under %s (no %s* znode)", z.path, masterInfoPrefix)
	}
	sort.Slice(contenders, func(i, j int) bool { return sequence(contenders[i]) < sequence(contenders[j]) })
	data, _, err := conn.Get(z.path + "/" + contenders[0])
	if err != nil {
		return "", fmt.Errorf("reading master info %s/%s: %w", z.path, contenders[0], err)
	}
	return masterURLFromInfo(data)
}

func sequence(name string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(name, masterInfoPrefix), 10, 64)
	if err != nil {
		return 1<<63 - 1
	}
	return n
}

// masterInfoJSON is the part of MasterInfo's JSON that locates the master.
type masterInfoJSON struct {
	Hostname string `json:"hostname"`
	Port     int    `json:"port"`
	Address  *struct {
		Hostname string `json:"hostname"`
		IP       string `json:"ip"`
		Port     int    `json:"port"`
	} `json:"address"`
}

// masterURLFromInfo prefers address.hostname, then address.ip, then the
// top-level hostname; the top-level numeric ip is in network byte order
// (MESOS-1201) and is not used.
func masterURLFromInfo(data []byte) (string, error) {
	var info masterInfoJSON
	if err := json.Unmarshal(data, &info); err != nil {
		return "", fmt.Errorf("parsing master info %q: %w", truncate(data, 200), err)
	}
	host, port := info.Hostname, info.Port
	if a := info.Address; a != nil {
		if a.Hostname != "" {
			host = a.Hostname
		} else if a.IP != "" {
			host = a.IP
		}
		if a.Port != 0 {
			port = a.Port
		}
	}
	if host == "" || port == 0 {
		return "", errors.New("master info names no host and port")
	}
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: schedulerPath}).String(), nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
