package mesosclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// zk://host:port[,host:port]/path for ZooKeeper master detection.
func NewMasterResolver(master string) (MasterResolver, error) {
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
	case "zk":
		if u.Host == "" || u.Path == "" || u.Path == "/" {
			return nil, fmt.Errorf("master address %q must look like zk://host:2181[,host:2181]/mesos", master)
		}
		return &zkResolver{servers: strings.Split(u.Host, ","), path: strings.TrimSuffix(u.Path, "/")}, nil
	default:
		return nil, fmt.Errorf("master address %q must start with http://, https:// or zk://", master)
	}
}

type staticResolver string

func (s staticResolver) Resolve(context.Context) (string, error) { return string(s), nil }

// zkResolver implements Mesos master detection: masters contend by creating
// ephemeral sequential znodes <path>/json.info_NNNNNNNNNN holding their
// MasterInfo as JSON; the lowest sequence number is the leader.
type zkResolver struct {
	servers []string
	path    string
}

const masterInfoPrefix = "json.info_"

func (z *zkResolver) Resolve(ctx context.Context) (string, error) {
	conn, _, err := zk.Connect(z.servers, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(discardLogger{}))
	if err != nil {
		return "", fmt.Errorf("connecting to ZooKeeper %v for master detection: %w", z.servers, err)
	}
	defer conn.Close()

	type result struct {
		url string
		err error
	}
	done := make(chan result, 1)
	go func() {
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
	return (&url.URL{Scheme: "http", Host: fmt.Sprintf("%s:%d", host, port), Path: schedulerPath}).String(), nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
