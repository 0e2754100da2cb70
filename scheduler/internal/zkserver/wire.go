package zkserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The few ZooKeeper wire messages the harness speaks itself: the session
// handshake (ConnectRequest/ConnectResponse) and closeSession. Every frame is
// a big-endian int32 length followed by the jute-encoded record.

const (
	opCloseSession = -11
	probeTimeout   = 2 * time.Second
	maxFrameSize   = 1 << 20
)

// connectResponse is the server's answer to a session handshake. SessionID
// 0 means the session asked for has expired (or the server refused it).
type connectResponse struct {
	TimeoutMs int32
	SessionID int64
	Passwd    []byte
}

// encodeConnectRequest builds a framed ConnectRequest asking for a new
// session (sessionID 0) or to re-attach to an existing one.
func encodeConnectRequest(sessionID int64, passwd []byte, timeout time.Duration) []byte {
	if passwd == nil {
		passwd = make([]byte, 16)
	}
	body := make([]byte, 0, 28+len(passwd))
	body = binary.BigEndian.AppendUint32(body, 0)                              // protocolVersion
	body = binary.BigEndian.AppendUint64(body, 0)                              // lastZxidSeen
	body = binary.BigEndian.AppendUint32(body, uint32(timeout.Milliseconds())) // timeOut
	body = binary.BigEndian.AppendUint64(body, uint64(sessionID))              // sessionId
	body = binary.BigEndian.AppendUint32(body, uint32(len(passwd)))            // passwd length
	body = append(body, passwd...)
	return frame(body)
}

func frame(body []byte) []byte {
	out := make([]byte, 0, 4+len(body))
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// decodeConnectResponse parses the body of a ConnectResponse frame.
func decodeConnectResponse(body []byte) (connectResponse, error) {
	// protocolVersion int32, timeOut int32, sessionId int64, passwd buffer, [readOnly bool]
	if len(body) < 20 {
		return connectResponse{}, fmt.Errorf("connect response too short (%d bytes)", len(body))
	}
	r := connectResponse{
		TimeoutMs: int32(binary.BigEndian.Uint32(body[4:8])),
		SessionID: int64(binary.BigEndian.Uint64(body[8:16])),
	}
	n := int32(binary.BigEndian.Uint32(body[16:20]))
	if n > 0 {
		if int(n) > len(body)-20 {
			return connectResponse{}, fmt.Errorf("connect response password length %d exceeds the frame", n)
		}
		r.Passwd = append([]byte(nil), body[20:20+n]...)
	}
	return r, nil
}

// readFrame reads one length-prefixed frame and returns its body.
func readFrame(r io.Reader) ([]byte, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lenBuf[:])
	if n > maxFrameSize {
		return nil, fmt.Errorf("frame of %d bytes is larger than %d", n, maxFrameSize)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// handshake dials addr and performs a session handshake. The caller owns the
// returned connection.
func handshake(ctx context.Context, addr string, sessionID int64, passwd []byte) (net.Conn, connectResponse, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, connectResponse{}, err
	}
	deadline := time.Now().Add(probeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write(encodeConnectRequest(sessionID, passwd, 30*time.Second)); err != nil {
		conn.Close()
		return nil, connectResponse{}, fmt.Errorf("sending connect request: %w", err)
	}
	body, err := readFrame(conn)
	if err != nil {
		conn.Close()
		return nil, connectResponse{}, fmt.Errorf("reading connect response: %w", err)
	}
	resp, err := decodeConnectResponse(body)
	if err != nil {
		conn.Close()
		return nil, connectResponse{}, err
	}
	return conn, resp, nil
}

// closeSession sends closeSession on a connection that holds the session and
// waits for the reply (or for the server to close the connection).
func closeSession(conn net.Conn) error {
	body := make([]byte, 0, 8)
	body = binary.BigEndian.AppendUint32(body, 1) // xid
	op := int32(opCloseSession)
	body = binary.BigEndian.AppendUint32(body, uint32(op))
	if _, err := conn.Write(frame(body)); err != nil {
		return fmt.Errorf("sending closeSession: %w", err)
	}
	reply, err := readFrame(conn)
	if errors.Is(err, io.EOF) {
		return nil // the server closed the connection after closing the session
	}
	if err != nil {
		return fmt.Errorf("reading closeSession reply: %w", err)
	}
	if len(reply) >= 16 {
		if code := int32(binary.BigEndian.Uint32(reply[12:16])); code != 0 {
			return fmt.Errorf("server refused closeSession with error code %d", code)
		}
	}
	return nil
}

// probeSession opens a new session on addr and closes it again: proof that
// the server serves clients (ruok answers before it does).
func probeSession(ctx context.Context, addr string) error {
	conn, resp, err := handshake(ctx, addr, 0, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	if resp.SessionID == 0 {
		return errors.New("server answered the handshake without a session")
	}
	return closeSession(conn)
}

// sessionAlive reports whether the server still knows the session. Asking
// re-attaches the session to the asking connection; the client that owned it
// is disconnected and reconnects on its own.
func sessionAlive(ctx context.Context, addr string, sessionID int64, passwd []byte) (bool, error) {
	conn, resp, err := handshake(ctx, addr, sessionID, passwd)
	if err != nil {
		return false, err
	}
	conn.Close()
	return resp.SessionID != 0, nil
}

// expireSession re-attaches to the session from a new connection and closes
// it, then checks that the server no longer knows it.
func expireSession(ctx context.Context, addr string, sessionID int64, passwd []byte) error {
	conn, resp, err := handshake(ctx, addr, sessionID, passwd)
	if err != nil {
		return fmt.Errorf("re-attaching to the session: %w", err)
	}
	if resp.SessionID == 0 {
		conn.Close()
		return nil // already expired
	}
	err = closeSession(conn)
	conn.Close()
	if err != nil {
		return err
	}
	alive, err := sessionAlive(ctx, addr, sessionID, passwd)
	if err != nil {
		return fmt.Errorf("checking the session is gone: %w", err)
	}
	if alive {
		return errors.New("the server still knows the session after closeSession")
	}
	return nil
}
