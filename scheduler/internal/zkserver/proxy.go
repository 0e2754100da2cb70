package zkserver

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// proxy forwards client connections to the server and remembers the
// session id and password of every session handshake it forwards.
type proxy struct {
	listener net.Listener
	upstream string

	mu       sync.Mutex
	isCut    bool
	conns    map[net.Conn]struct{} // both ends of every forwarded connection
	passwds  map[int64][]byte      // session id -> password
	closed   bool
	serveEnd chan struct{}
	workers  sync.WaitGroup // one per forwarded connection
}

func startProxy(upstream string) (*proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the session proxy: %w", err)
	}
	p := &proxy{
		listener: l,
		upstream: upstream,
		conns:    make(map[net.Conn]struct{}),
		passwds:  make(map[int64][]byte),
		serveEnd: make(chan struct{}),
	}
	go p.serve()
	return p, nil
}

func (p *proxy) addr() string { return p.listener.Addr().String() }

func (p *proxy) serve() {
	defer close(p.serveEnd)
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return // listener closed
		}
		p.workers.Add(1)
		go func() {
			defer p.workers.Done()
			p.forward(client)
		}()
	}
}

// forward connects one client to the server, unless the proxy is cut or the
// server is down, in which case the client's connection is closed at once.
func (p *proxy) forward(client net.Conn) {
	if !p.track(client) {
		client.Close()
		return
	}
	defer p.untrackAndClose(client)
	server, err := net.DialTimeout("tcp", p.upstream, 2*time.Second)
	if err != nil {
		return
	}
	if !p.track(server) {
		server.Close()
		return
	}
	defer p.untrackAndClose(server)

	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(server, client)
		server.Close()
		close(done)
	}()
	p.copyToClient(client, server)
	client.Close()
	<-done
}

// copyToClient forwards server bytes, reading the session id and password
// from the first frame (the connect response) on the way.
func (p *proxy) copyToClient(client, server net.Conn) {
	body, err := readFrame(server)
	if err != nil {
		return
	}
	if resp, err := decodeConnectResponse(body); err == nil && resp.SessionID != 0 {
		p.remember(resp.SessionID, resp.Passwd)
	}
	if _, err := client.Write(frame(body)); err != nil {
		return
	}
	_, _ = io.Copy(client, server)
}

// track registers a connection; it returns false when the proxy is cut or
// closed and the connection must not be used.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isCut || p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrackAndClose(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *proxy) remember(sessionID int64, passwd []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.passwds[sessionID] = passwd
}

func (p *proxy) forget(sessionID int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.passwds, sessionID)
}

func (p *proxy) password(sessionID int64) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pw, ok := p.passwds[sessionID]
	return pw, ok
}

func (p *proxy) sessions() map[int64][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64][]byte, len(p.passwds))
	for id, pw := range p.passwds {
		out[id] = pw
	}
	return out
}

// cut drops every forwarded connection and refuses new ones until heal.
func (p *proxy) cut() {
	p.mu.Lock()
	p.isCut = true
	conns := p.conns
	p.conns = make(map[net.Conn]struct{})
	p.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

func (p *proxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = false
}

func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = make(map[net.Conn]struct{})
	p.mu.Unlock()
	p.listener.Close()
	for c := range conns {
		c.Close()
	}
	<-p.serveEnd
	p.workers.Wait()
}
