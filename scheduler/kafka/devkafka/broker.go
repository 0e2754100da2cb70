package devkafka

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Broker is one running stand-in broker.
type Broker struct {
	cfg  Config
	log  *slog.Logger
	reg  *Registry
	regn *Registration
	kf   *kfake.Cluster
	// backend is the local kfake's private loopback address.
	backend string
	local   *localSync
	// syncNow wakes the sync loop early.
	syncNow chan struct{}
	ln      net.Listener
	maxSize int32

	topicDefaultsOnce  sync.Once
	topicDefaultsCache *topicConfigDefaults

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}

	closeOnce sync.Once
	closeErr  error

	// failed is closed when the broker stops serving on its own.
	failed     chan struct{}
	failOnce   sync.Once
	failReason error
}

// requestTimeout bounds the registry and backend work of one request.
const requestTimeout = 15 * time.Second

// Start starts a broker: it joins the cluster registry, loads its partitions
// from the log dir, serves the Kafka protocol on the configured listener and
// logs Kafka's readiness line "[KafkaServer id=N] started".
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Broker, error) {
	b := &Broker{cfg: cfg, log: log, conns: map[net.Conn]struct{}{}, maxSize: socketRequestMaxBytes(cfg), failed: make(chan struct{}), syncNow: make(chan struct{}, 1)}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.logf("starting (dev stand-in broker: the Kafka protocol served by franz-go's kfake, not Apache Kafka)")
	if err := b.start(ctx); err != nil {
		b.shutdown()
		return nil, err
	}
	b.logf("started (kafka.server.KafkaServer)")
	return b, nil
}

func (b *Broker) start(ctx context.Context) error {
	var err error
	if b.reg, err = OpenRegistry(ctx, b.cfg.RegistryDir, b.cfg.ZookeeperConnect); err != nil {
		return err
	}
	b.reg.log = b.log
	b.log.Info("joined cluster registry", "dir", b.reg.Dir(), "cluster_id", b.reg.Cluster().ClusterID, "zookeeper_connect", b.cfg.ZookeeperConnect)
	if err := checkMetaProperties(b.cfg.LogDir, b.reg.Cluster().ClusterID, b.cfg.BrokerID); err != nil {
		return err
	}
	if b.regn, err = b.reg.Register(BrokerInfo{ID: b.cfg.BrokerID, Rack: b.cfg.Rack, PID: os.Getpid(), StartedAt: time.Now().UTC()}); err != nil {
		return err
	}
	if err := b.startBackend(); err != nil {
		return err
	}
	if b.local, err = newLocalSync(ctx, b.backend, b.reg, b.log); err != nil {
		return err
	}
	if err := b.local.ensure(ctx); err != nil {
		return err
	}
	addr := net.JoinHostPort(b.cfg.ListenHost, strconv.Itoa(b.cfg.ListenPort))
	if b.ln, err = net.Listen("tcp", addr); err != nil {
		return fmt.Errorf("listening on %s (listeners): %w", addr, err)
	}
	port := b.cfg.AdvertisedPort
	if port == 0 {
		port = b.ln.Addr().(*net.TCPAddr).Port
	}
	b.cfg.AdvertisedPort = port
	if err := b.regn.Serve(b.cfg.AdvertisedHost, int32(port)); err != nil {
		return err
	}
	b.log.Info("serving the Kafka protocol", "listen", b.ln.Addr().String(), "advertised", net.JoinHostPort(b.cfg.AdvertisedHost, strconv.Itoa(port)))
	b.wg.Add(2)
	go b.acceptLoop()
	go b.syncLoop()
	return nil
}

// syncLoop applies registry changes to the local partition store even when
// no client asks for this broker's partitions, so that the data of a topic
// deleted through another broker is removed here too. It runs every second,
// and at once when kicked; changes that arrive meanwhile are applied
// together.
func (b *Broker) syncLoop() {
	defer b.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-tick.C:
		case <-b.syncNow:
		}
		ctx, cancel := context.WithTimeout(b.ctx, requestTimeout)
		if err := b.local.ensure(ctx); err != nil && b.ctx.Err() == nil {
			b.log.Warn("updating the local partition store from the cluster registry", "err", err)
		}
		cancel()
	}
}

// kickSync asks the sync loop to run soon, without waiting for it.
func (b *Broker) kickSync() {
	select {
	case b.syncNow <- struct{}{}:
	default:
	}
}

// startBackend starts the local kfake that stores this broker's partitions
// under log.dirs and answers the requests the stand-in forwards.
func (b *Broker) startBackend() error {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DataDir(b.cfg.LogDir),
		kfake.ClusterID(b.reg.Cluster().ClusterID),
		kfake.MaxVersions(apiVersions()),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, "127.0.0.1:0") }),
		kfake.WithLogger(kfakeLogger{log: b.log}),
	}
	if cfgs := backendBrokerConfigs(b.cfg.Properties); len(cfgs) > 0 {
		opts = append(opts, kfake.BrokerConfigs(cfgs))
	}
	kf, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("starting the local partition store in %s: %w", b.cfg.LogDir, err)
	}
	b.kf = kf
	b.backend = kf.ListenAddrs()[0]
	return nil
}

// Done is closed when the broker stopped serving on its own (not through
// Close); Err then says why. The process should exit so that it is
// restarted.
func (b *Broker) Done() <-chan struct{} { return b.failed }

// Err is why the broker stopped serving, once Done is closed.
func (b *Broker) Err() error {
	select {
	case <-b.failed:
		return b.failReason
	default:
		return nil
	}
}

func (b *Broker) fail(err error) {
	b.failOnce.Do(func() {
		b.failReason = err
		close(b.failed)
	})
}

// Addr is the address the broker accepts clients on.
func (b *Broker) Addr() net.Addr { return b.ln.Addr() }

// AdvertisedAddr is the host:port clients are told to use.
func (b *Broker) AdvertisedAddr() string {
	return net.JoinHostPort(b.cfg.AdvertisedHost, strconv.Itoa(b.cfg.AdvertisedPort))
}

// ID is the broker id.
func (b *Broker) ID() int32 { return b.cfg.BrokerID }

// ClusterID is the cluster id every broker of the cluster reports.
func (b *Broker) ClusterID() string { return b.reg.Cluster().ClusterID }

// Close shuts the broker down cleanly: it stops accepting, leaves the
// cluster (other brokers drop it from metadata at once), closes client
// connections and flushes its partitions to the log dir.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.logf("shutting down (kafka.server.KafkaServer)")
		b.closeErr = b.shutdown()
		b.logf("shut down completed (kafka.server.KafkaServer)")
	})
	return b.closeErr
}

func (b *Broker) shutdown() error {
	b.cancel()
	var errs []error
	if b.ln != nil {
		b.ln.Close()
	}
	if b.regn != nil {
		errs = append(errs, b.regn.Close())
	}
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
	if b.local != nil {
		b.local.close()
	}
	if b.kf != nil {
		b.kf.Close()
	}
	return errors.Join(errs...)
}

// logf logs a line in Kafka's "[KafkaServer id=N] ..." form.
func (b *Broker) logf(format string, args ...any) {
	b.log.Info(fmt.Sprintf("[KafkaServer id=%d] ", b.cfg.BrokerID) + fmt.Sprintf(format, args...))
}

func (b *Broker) acceptLoop() {
	defer b.wg.Done()
	for {
		conn, err := b.ln.Accept()
		if err != nil {
			if b.ctx.Err() == nil {
				b.log.Error("accepting connections failed; the broker stops serving", "err", err)
				b.fail(fmt.Errorf("accepting connections on %s: %w", b.ln.Addr(), err))
			}
			return
		}
		if !b.track(conn) {
			conn.Close()
			return
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer b.untrack(conn)
			b.serveConn(conn)
		}()
	}
}

func (b *Broker) track(c net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx.Err() != nil {
		return false
	}
	b.conns[c] = struct{}{}
	return true
}

func (b *Broker) untrack(c net.Conn) {
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
	c.Close()
}

// reply is one response owed to the client, in request order: either bytes
// already encoded here or the next response from the backend.
type reply struct {
	data        []byte
	fromBackend bool
}

// serveConn serves one client connection. Requests the stand-in answers
// itself are answered here; the rest go to the local kfake over a
// connection of their own, and responses go back in request order.
func (b *Broker) serveConn(client net.Conn) {
	backend, err := net.Dial("tcp", b.backend)
	if err != nil {
		b.log.Error("connecting to the local partition store", "err", err)
		return
	}
	if !b.track(backend) {
		backend.Close()
		return
	}
	defer b.untrack(backend)

	replies := make(chan reply, 64)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer client.Close() // stops the reader if the writer fails
		b.writeReplies(client, backend, replies)
	}()
	b.readRequests(client, backend, replies, writerDone)
	close(replies)
	<-writerDone
}

func (b *Broker) readRequests(client, backend net.Conn, replies chan<- reply, writerDone <-chan struct{}) {
	in := bufio.NewReaderSize(client, 64<<10)
	for {
		frame, err := readFrame(in, b.maxSize)
		if err != nil {
			return
		}
		req, err := parseRequest(frame)
		if err != nil {
			b.log.Debug("closing connection on a malformed request", "remote", client.RemoteAddr().String(), "err", err)
			return
		}
		out := b.route(req)
		var r reply
		switch {
		case out.closeConn:
			return
		case out.resp != nil:
			r = reply{data: encodeResponse(req, out.resp)}
		default:
			if err := writeFrame(backend, req.frame); err != nil {
				return
			}
			if out.noReply {
				continue
			}
			r = reply{fromBackend: true}
		}
		select {
		case replies <- r:
		case <-writerDone:
			return
		}
	}
}

func (b *Broker) writeReplies(client, backend net.Conn, replies <-chan reply) {
	fromBackend := bufio.NewReaderSize(backend, 64<<10)
	out := bufio.NewWriterSize(client, 64<<10)
	for r := range replies {
		data := r.data
		if r.fromBackend {
			frame, err := readFrame(fromBackend, 1<<30)
			if err != nil {
				return
			}
			if err := writeFrame(out, frame); err != nil {
				return
			}
		} else if _, err := out.Write(data); err != nil {
			return
		}
		if len(replies) == 0 {
			if err := out.Flush(); err != nil {
				return
			}
		}
	}
	out.Flush()
}

// outcome is what to do with one request.
type outcome struct {
	resp      kmsg.Response // answer here
	closeConn bool          // drop the connection, as Kafka does on protocol errors
	noReply   bool          // forward, and the backend will not answer (acks=0)
}

var forward = outcome{}

func socketRequestMaxBytes(cfg Config) int32 {
	if v, err := strconv.ParseInt(strings.TrimSpace(cfg.Properties["socket.request.max.bytes"]), 10, 32); err == nil && v > 0 {
		return int32(v)
	}
	return 100 << 20
}

// checkMetaProperties ties the log dir to one broker of one cluster, as
// Kafka's meta.properties does: a log dir from another cluster or another
// broker id is refused instead of being served as if it belonged here.
func checkMetaProperties(dir, clusterID string, brokerID int32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating log dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, "meta.properties")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		content := fmt.Sprintf("#\n#%s\nversion=0\nbroker.id=%d\ncluster.id=%s\n", time.Now().UTC().Format(time.UnixDate), brokerID, clusterID)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	meta := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			meta[k] = v
		}
	}
	if meta["cluster.id"] != clusterID {
		return fmt.Errorf("log dir %s belongs to cluster %s, but the cluster registry's id is %s: "+
			"the registry was recreated or the log dir belongs to another cluster; use an empty log dir or restore the registry",
			dir, meta["cluster.id"], clusterID)
	}
	if meta["broker.id"] != strconv.Itoa(int(brokerID)) {
		return fmt.Errorf("log dir %s belongs to broker.id=%s, not %d", dir, meta["broker.id"], brokerID)
	}
	return nil
}

// backendBrokerConfigs passes the server.properties values kfake acts on.
func backendBrokerConfigs(props map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{
		"compression.type", "log.retention.bytes", "log.segment.bytes", "message.max.bytes",
		"log.message.timestamp.type", "group.min.session.timeout.ms", "group.max.session.timeout.ms",
		"transaction.max.timeout.ms", "transactional.id.expiration.ms", "offsets.retention.minutes",
		"offsets.retention.check.interval.ms", "log.cleaner.backoff.ms",
	} {
		if v := strings.TrimSpace(props[k]); v != "" {
			out[k] = v
		}
	}
	if ms, ok := retentionMs(props); ok {
		out["log.retention.ms"] = ms
	}
	return out
}

// retentionMs resolves log.retention.ms from its ms, minutes and hours
// forms, in Kafka's order of precedence.
func retentionMs(props map[string]string) (string, bool) {
	return timeProperty(props, "log.retention.ms", "log.retention.minutes", 60_000, "log.retention.hours", 3_600_000)
}

func timeProperty(props map[string]string, msKey, altKey string, altFactor int64, hoursKey string, hoursFactor int64) (string, bool) {
	if v := strings.TrimSpace(props[msKey]); v != "" {
		return v, true
	}
	for _, alt := range []struct {
		key    string
		factor int64
	}{{altKey, altFactor}, {hoursKey, hoursFactor}} {
		if alt.key == "" {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(props[alt.key]), 10, 64); err == nil {
			if n < 0 {
				return "-1", true
			}
			return strconv.FormatInt(n*alt.factor, 10), true
		}
	}
	return "", false
}

// kfakeLogger sends kfake's own log to the broker's logger at debug level.
type kfakeLogger struct{ log *slog.Logger }

func (l kfakeLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	if level == kfake.LogLevelError {
		l.log.Warn("partition store: " + fmt.Sprintf(msg, args...))
		return
	}
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug("partition store: " + fmt.Sprintf(msg, args...))
	}
}
