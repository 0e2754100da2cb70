// Package zkserver runs a real ZooKeeper server for tests.
//
// It owns starting the ZooKeeper server of the Debian package (`zookeeper` /
// `libzookeeper-java`) with the installed Java, on a free 127.0.0.1 port with a
// temporary data folder; waiting until a real client session works (the `ruok`
// probe answers before the server serves, so it is not used); stopping and
// restarting the same server with its data; and forcing client sessions to
// expire.
//
// Clients connect to [Server.Addr], which is a small TCP proxy in front of the
// server. The proxy reads the session id and password from each connect
// response, which is what lets [Server.ExpireSession] expire a given client's
// session for real: it re-attaches to the session from a second connection
// (the server then drops the client's connection) and closes it, exactly as a
// server-side expiry does. The client learns that its session expired when it
// reconnects. [Server.Cut] and [Server.Heal] model a network partition between
// the clients and the server.
//
// When java or the ZooKeeper jar is missing, [Start] fails the test with a
// message that says to run `make deps`; it never skips. Server output goes to
// a log file in the test's temporary folder and is printed only when the test
// fails. Every java process started is killed when the test ends.
package zkserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Default locations of the Debian packages' files. ZOOKEEPER_JAR overrides the
// jar (for machines that keep ZooKeeper elsewhere); JAVA_HOME, when set, picks
// the java binary, otherwise java is looked up on PATH.
const (
	defaultJar     = "/usr/share/java/zookeeper.jar"
	slf4jSimpleJar = "/usr/share/java/slf4j-simple.jar"
	mainClass      = "org.apache.zookeeper.server.quorum.QuorumPeerMain"

	// TickTime is the server's tick in milliseconds. Sessions may ask for a
	// timeout between MinSessionTimeout and MaxSessionTimeout.
	TickTime          = 250
	MinSessionTimeout = 500 * time.Millisecond
	MaxSessionTimeout = 60 * time.Second

	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	pollInterval = 25 * time.Millisecond
)

// Server is one running (or stopped) ZooKeeper server owned by a test.
type Server struct {
	tb        testing.TB
	java      string
	classpath string
	dir       string
	dataDir   string
	cfgPath   string
	logPath   string
	port      int
	proxy     *proxy

	mu   sync.Mutex
	proc *process // nil while stopped
}

// process is one java process and the result of waiting for it.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
	err    error         // cmd.Wait's result, valid after exited is closed
}

// Start starts a ZooKeeper server for the test and returns once a client
// session works. The server and its proxy are stopped, and the java process
// killed, when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	java, classpath := locateZooKeeper(tb)
	dir := tb.TempDir()
	s := &Server{
		tb:        tb,
		java:      java,
		classpath: classpath,
		dir:       dir,
		dataDir:   filepath.Join(dir, "data"),
		cfgPath:   filepath.Join(dir, "zoo.cfg"),
		logPath:   filepath.Join(dir, "zookeeper.log"),
	}
	tb.Cleanup(s.cleanup)
	if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		tb.Fatalf("zkserver: creating data folder: %v", err)
	}
	s.startOnFreePort()
	p, err := startProxy(s.directAddr())
	if err != nil {
		tb.Fatalf("zkserver: %v", err)
	}
	s.proxy = p
	return s
}

// locateZooKeeper finds java and builds the class path, or fails the test
// with a message that names `make deps`.
func locateZooKeeper(tb testing.TB) (java, classpath string) {
	tb.Helper()
	java, err := findJava()
	if err != nil {
		tb.Fatalf("zkserver: cannot start ZooKeeper: %v; run `make deps` to install the Debian zookeeper package and a Java runtime", err)
	}
	jar := defaultJar
	if env := os.Getenv("ZOOKEEPER_JAR"); env != "" {
		jar = env
	}
	if _, err := os.Stat(jar); err != nil {
		tb.Fatalf("zkserver: cannot start ZooKeeper: the server jar %s is missing (%v); run `make deps` to install the Debian zookeeper package", jar, err)
	}
	classpath = jar
	if _, err := os.Stat(slf4jSimpleJar); err == nil {
		classpath += ":" + slf4jSimpleJar // real server logs instead of slf4j's NOP logger
	}
	return java, classpath
}

func findJava() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		java := filepath.Join(home, "bin", "java")
		if _, err := os.Stat(java); err == nil {
			return java, nil
		}
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("java is not installed (not on PATH and JAVA_HOME/bin/java missing)")
	}
	return java, nil
}

// Addr is the address clients connect to ("127.0.0.1:port"). It stays the
// same across Stop and Restart.
func (s *Server) Addr() string { return s.proxy.addr() }

// DirectAddr is the server's own client port, bypassing the proxy. Sessions
// made through it cannot be expired with ExpireSession, and Cut does not
// affect them. Use it for benchmarks that must not measure the proxy.
func (s *Server) DirectAddr() string { return s.directAddr() }

func (s *Server) directAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// LogPath is the file the server's output goes to.
func (s *Server) LogPath() string { return s.logPath }

// Stop stops the server (SIGTERM, then SIGKILL if it does not exit in time)
// and waits until the process is gone. Its data folder is kept. While the
// server is stopped, connections to Addr are accepted and closed at once.
func (s *Server) Stop() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	if err := s.proc.stop(); err != nil {
		s.tb.Fatalf("zkserver: stopping ZooKeeper: %v", err)
	}
	s.proc = nil
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data, then waits until a client session works. Sessions that
// have not timed out survive a restart, as with a real ZooKeeper.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.launch(); err != nil {
		s.tb.Fatalf("zkserver: restarting ZooKeeper on port %d: %v", s.port, err)
	}
}

// startOnFreePort picks a free loopback port and starts the server on it,
// trying again with another port if the first one was taken meanwhile.
func (s *Server) startOnFreePort() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			s.tb.Fatalf("zkserver: finding a free port: %v", err)
		}
		s.port = port
		if lastErr = s.launch(); lastErr == nil {
			return
		}
	}
	s.tb.Fatalf("zkserver: starting ZooKeeper: %v", lastErr)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launch writes the configuration, starts java and waits until the server
// serves a session. Callers hold s.mu.
func (s *Server) launch() error {
	if err := os.WriteFile(s.cfgPath, []byte(s.config()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", s.cfgPath, err)
	}
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening the server log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	fmt.Fprintf(logFile, "==== zkserver: starting ZooKeeper on 127.0.0.1:%d at %s\n", s.port, time.Now().Format(time.RFC3339Nano))

	cmd := exec.Command(s.java,
		"-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
		"-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-Dzookeeper.admin.enableServer=false",
		"-cp", s.classpath, mainClass, s.cfgPath)
	cmd.Dir = s.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// The kernel kills java if the test binary dies without running cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.java, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if err := waitServing(p, s.directAddr()); err != nil {
		if stopErr := p.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		return fmt.Errorf("%w (server log: %s)", err, s.logPath)
	}
	s.proc = p
	return nil
}

func (s *Server) config() string {
	return fmt.Sprintf(`tickTime=%d
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
minSessionTimeout=%d
maxSessionTimeout=%d
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr,cons,dump
`, TickTime, s.dataDir, s.port, MinSessionTimeout.Milliseconds(), MaxSessionTimeout.Milliseconds())
}

// waitServing polls until a real session can be opened on addr, the process
// exits, or the deadline passes.
func waitServing(p *process, addr string) error {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("java exited before serving: %v", p.err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		lastErr = probeSession(ctx, addr)
		cancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("java exited before serving: %v", p.err)
		case <-time.After(pollInterval):
		}
	}
	return fmt.Errorf("ZooKeeper did not serve a session within %s: %v", readyTimeout, lastErr)
}

// stop sends SIGTERM, then SIGKILL after stopTimeout, and waits for exit.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing java pid %d: %w", p.cmd.Process.Pid, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("java pid %d did not exit after SIGKILL", p.cmd.Process.Pid)
	}
}

// Pid is the process id of the running java process, or 0 while stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// cleanup kills the server and the proxy; on failure it prints the log.
func (s *Server) cleanup() {
	s.mu.Lock()
	if s.proc != nil {
		if err := s.proc.stop(); err != nil {
			s.tb.Errorf("zkserver: %v", err)
		}
		s.proc = nil
	}
	s.mu.Unlock()
	if s.proxy != nil {
		s.proxy.close()
	}
	if s.tb.Failed() {
		s.printLog()
	}
}

// printLog prints the tail of the server log into the test output.
func (s *Server) printLog() {
	const maxBytes = 64 << 10
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		s.tb.Logf("zkserver: reading the server log: %v", err)
		return
	}
	if len(data) > maxBytes {
		data = data[len(data)-maxBytes:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	s.tb.Logf("zkserver: ZooKeeper log (%s):\n%s", s.logPath, data)
}

// ExpireSession expires the session with the given id, which must have been
// established through Addr, and returns once the server has closed it
// (its ephemeral nodes are gone). The client notices when it next talks to
// the server: it reconnects, is told its session expired, and starts a new one.
func (s *Server) ExpireSession(sessionID int64) {
	s.tb.Helper()
	passwd, ok := s.proxy.password(sessionID)
	if !ok {
		s.tb.Fatalf("zkserver: session 0x%x was never established through %s; connect the client to Server.Addr()", sessionID, s.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := expireSession(ctx, s.directAddr(), sessionID, passwd); err != nil {
		s.tb.Fatalf("zkserver: expiring session 0x%x: %v", sessionID, err)
	}
	s.proxy.forget(sessionID)
}

// ExpireAllSessions expires every live session established through Addr and
// returns how many it expired.
func (s *Server) ExpireAllSessions() int {
	s.tb.Helper()
	expired := 0
	for id, passwd := range s.proxy.sessions() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		live, err := sessionAlive(ctx, s.directAddr(), id, passwd)
		if err == nil && live {
			err = expireSession(ctx, s.directAddr(), id, passwd)
			expired++
		}
		cancel()
		if err != nil {
			s.tb.Fatalf("zkserver: expiring session 0x%x: %v", id, err)
		}
		s.proxy.forget(id)
	}
	return expired
}

// Cut models a network partition: it drops every connection made through
// Addr and refuses new ones (accepting and closing them at once) until Heal.
// The server keeps running, so sessions expire once their timeout passes.
func (s *Server) Cut() { s.proxy.cut() }

// Heal ends a Cut: new connections through Addr reach the server again.
func (s *Server) Heal() { s.proxy.heal() }
