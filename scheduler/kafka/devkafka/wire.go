package devkafka

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// request is one Kafka request as read off a client connection.
type request struct {
	key           int16
	version       int16
	correlationID int32
	// frame is the request without its size prefix; forwarding writes it
	// to the backend unchanged.
	frame     []byte
	headerLen int
	kreq      kmsg.Request // nil for keys kmsg does not know
}

// readFrame reads one size-prefixed frame.
func readFrame(r *bufio.Reader, maxSize int32) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 0 || n > maxSize {
		return nil, fmt.Errorf("frame of %d bytes exceeds socket.request.max.bytes (%d)", n, maxSize)
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(r, frame); err != nil {
		return nil, err
	}
	return frame, nil
}

// writeFrame writes frame with its size prefix.
func writeFrame(w io.Writer, frame []byte) error {
	buf := make([]byte, 4, 4+len(frame))
	binary.BigEndian.PutUint32(buf, uint32(len(frame)))
	_, err := w.Write(append(buf, frame...))
	return err
}

var errShortHeader = errors.New("request header is truncated")

// parseRequest reads a request header (v1, or v2 for flexible versions).
// The body is decoded later, only for requests the stand-in inspects.
func parseRequest(frame []byte) (*request, error) {
	if len(frame) < 10 {
		return nil, errShortHeader
	}
	r := &request{
		key:           int16(binary.BigEndian.Uint16(frame[0:])),
		version:       int16(binary.BigEndian.Uint16(frame[2:])),
		correlationID: int32(binary.BigEndian.Uint32(frame[4:])),
		frame:         frame,
	}
	pos := 8
	if n := int16(binary.BigEndian.Uint16(frame[pos:])); n > 0 {
		pos += int(n)
	}
	pos += 2
	if pos > len(frame) {
		return nil, errShortHeader
	}
	r.kreq = kmsg.RequestForKey(r.key)
	if r.kreq == nil {
		r.headerLen = pos
		return r, nil
	}
	r.kreq.SetVersion(r.version)
	if r.kreq.IsFlexible() {
		var err error
		if pos, err = skipTags(frame, pos); err != nil {
			return nil, err
		}
	}
	r.headerLen = pos
	return r, nil
}

func skipTags(b []byte, pos int) (int, error) {
	count, n := binary.Uvarint(b[pos:])
	if n <= 0 {
		return 0, errShortHeader
	}
	pos += n
	for i := uint64(0); i < count; i++ {
		if _, n = binary.Uvarint(b[pos:]); n <= 0 {
			return 0, errShortHeader
		}
		pos += n
		size, n := binary.Uvarint(b[pos:])
		if n <= 0 || pos+n+int(size) > len(b) {
			return 0, errShortHeader
		}
		pos += n + int(size)
	}
	return pos, nil
}

// decode parses the request body.
func (r *request) decode() error {
	if r.kreq == nil {
		return fmt.Errorf("unknown request key %d", r.key)
	}
	if err := r.kreq.ReadFrom(r.frame[r.headerLen:]); err != nil {
		return fmt.Errorf("decoding %s v%d: %w", kmsg.NameForKey(r.key), r.version, err)
	}
	return nil
}

// encodeResponse frames resp as the reply to r.
func encodeResponse(r *request, resp kmsg.Response) []byte {
	resp.SetVersion(r.version)
	buf := make([]byte, 4, 512)
	buf = binary.BigEndian.AppendUint32(buf, uint32(r.correlationID))
	// Every flexible response has a tagged-field header, except
	// ApiVersions, whose header must stay readable by any client.
	if resp.IsFlexible() && r.key != int16(kmsg.ApiVersions) {
		buf = append(buf, 0)
	}
	buf = resp.AppendTo(buf)
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	return buf
}
