package master

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

// Media types the scheduler API speaks.
const (
	mediaJSON     = "application/json"
	mediaProtobuf = "application/x-protobuf"
)

// stream is one framework subscription: a queue of encoded events written
// as RecordIO records by the SUBSCRIBE request's handler.
type stream struct {
	id          string
	contentType string

	mu     sync.Mutex
	queue  [][]byte
	notify chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newStream(contentType string) *stream {
	return &stream{
		id:          newUUIDString(),
		contentType: contentType,
		notify:      make(chan struct{}, 1),
		closed:      make(chan struct{}),
	}
}

func (s *stream) encode(ev *scheduler.Event) ([]byte, error) {
	if s.contentType == mediaProtobuf {
		return ev.Marshal()
	}
	return json.Marshal(ev)
}

// send queues an event; it never blocks.
func (s *stream) send(ev *scheduler.Event) {
	b, err := s.encode(ev)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.queue = append(s.queue, b)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *stream) close() { s.once.Do(func() { close(s.closed) }) }

func (s *stream) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

func (s *stream) take() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// serve writes the stream's events until it is closed or the client goes
// away. It returns true when the client went away (a broken connection).
func (s *stream) serve(w http.ResponseWriter, r *http.Request, heartbeat time.Duration, heartbeatsOn func() bool) (clientGone bool) {
	flusher, _ := w.(http.Flusher)
	write := func(frames [][]byte) bool {
		for _, b := range frames {
			if _, err := w.Write([]byte(strconv.Itoa(len(b)) + "\n")); err != nil {
				return false
			}
			if _, err := w.Write(b); err != nil {
				return false
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	ticker := time.NewTicker(heartbeat)
	defer ticker.Stop()
	hb, _ := s.encode(&scheduler.Event{Type: scheduler.Event_HEARTBEAT})
	for {
		select {
		case <-s.notify:
			if !write(s.take()) {
				return true
			}
		case <-ticker.C:
			if heartbeatsOn() && !write([][]byte{hb}) {
				return true
			}
		case <-s.closed:
			write(s.take())
			return false
		case <-r.Context().Done():
			return true
		}
	}
}
