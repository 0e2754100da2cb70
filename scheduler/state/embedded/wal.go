package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// The log file: a magic header, then records. A record is
//
//	uint32 payload length | uint32 CRC-32C of the payload | payload
//
// and a payload is a kind byte, a uvarint effect count and the effects:
//
//	put:    1 | uvarint key length | key | uint32 version | uvarint value length | value
//	delete: 2 | uvarint key length | key
//
// A batch record holds one commit's effects; a snapshot record replaces the
// whole tree (it is the first record after a compaction).

const (
	logName    = "state.log"
	logTmpName = "state.log.tmp"
	logMagic   = "KMSTATE1"

	recordBatch    byte = 1
	recordSnapshot byte = 2

	effectPut    byte = 1
	effectDelete byte = 2

	frameHeaderSize = 8
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a log that is damaged somewhere other than its tail.
var errCorrupt = errors.New("corrupt state log")

// errRenamed marks a createLogFile failure after the new log replaced the
// old one: the old file's handle must not be used any more.
var errRenamed = errors.New("the new log is already in place")

func encodeRecord(kind byte, effects []effect) []byte {
	size := frameHeaderSize + 1 + binary.MaxVarintLen64
	for _, ef := range effects {
		size += 1 + 2*binary.MaxVarintLen64 + len(ef.key) + 4 + len(ef.value)
	}
	buf := make([]byte, frameHeaderSize, size)
	buf = append(buf, kind)
	buf = binary.AppendUvarint(buf, uint64(len(effects)))
	for _, ef := range effects {
		if ef.del {
			buf = append(buf, effectDelete)
			buf = binary.AppendUvarint(buf, uint64(len(ef.key)))
			buf = append(buf, ef.key...)
			continue
		}
		buf = append(buf, effectPut)
		buf = binary.AppendUvarint(buf, uint64(len(ef.key)))
		buf = append(buf, ef.key...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(ef.version))
		buf = binary.AppendUvarint(buf, uint64(len(ef.value)))
		buf = append(buf, ef.value...)
	}
	payload := buf[frameHeaderSize:]
	binary.BigEndian.PutUint32(buf[0:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:8], crc32.Checksum(payload, crcTable))
	return buf
}

// payloadReader decodes a record payload.
type payloadReader struct {
	buf []byte
	err error
}

func (r *payloadReader) byte() byte {
	if r.err != nil || len(r.buf) < 1 {
		r.fail()
		return 0
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	return b
}

func (r *payloadReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *payloadReader) bytes(n uint64) []byte {
	if r.err != nil || n > uint64(len(r.buf)) {
		r.fail()
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

func (r *payloadReader) uint32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (r *payloadReader) fail() {
	if r.err == nil {
		r.err = errors.New("record payload is truncated or malformed")
	}
}

func decodePayload(payload []byte) (byte, []effect, error) {
	r := &payloadReader{buf: payload}
	kind := r.byte()
	count := r.uvarint()
	if r.err == nil && kind != recordBatch && kind != recordSnapshot {
		return 0, nil, fmt.Errorf("unknown record kind %d", kind)
	}
	if count > uint64(len(payload)) {
		return 0, nil, fmt.Errorf("record claims %d effects in %d bytes", count, len(payload))
	}
	effects := make([]effect, 0, count)
	for i := uint64(0); i < count && r.err == nil; i++ {
		var ef effect
		op := r.byte()
		ef.key = string(r.bytes(r.uvarint()))
		switch op {
		case effectDelete:
			ef.del = true
		case effectPut:
			ef.version = state.Version(int32(r.uint32()))
			if v := r.bytes(r.uvarint()); len(v) > 0 {
				ef.value = append([]byte(nil), v...) // do not pin the file buffer
			}
		default:
			r.fail()
		}
		effects = append(effects, ef)
	}
	if r.err == nil && len(r.buf) != 0 {
		return 0, nil, fmt.Errorf("record has %d trailing bytes", len(r.buf))
	}
	return kind, effects, r.err
}

// replayResult says how much of a log file was valid.
type replayResult struct {
	validEnd  int64 // offset after the last good record
	fileSize  int64
	records   int
	snapshots int
}

// replayLog reads the log at path and feeds every good record to apply. A
// damaged or partial last record (a write cut short by a crash) ends the
// replay; damage followed by more data is corruption and an error.
func replayLog(path string, apply func(kind byte, effects []effect)) (replayResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return replayResult{}, fmt.Errorf("reading %s: %w", path, err)
	}
	res := replayResult{fileSize: int64(len(data))}
	if !bytes.HasPrefix(data, []byte(logMagic)) {
		return res, fmt.Errorf("%w: %s does not start with the state log header %q; it is not a state store file", errCorrupt, path, logMagic)
	}
	off := int64(len(logMagic))
	for off < res.fileSize {
		kind, effects, next, err := readRecord(data, off)
		if err != nil {
			if tornTail(data, off, next) {
				break
			}
			return res, fmt.Errorf("%w: %s: record at byte %d: %v, and %d bytes follow it; restore the folder from a backup, or move the file away to start empty",
				errCorrupt, path, off, err, res.fileSize-next)
		}
		apply(kind, effects)
		res.records++
		if kind == recordSnapshot {
			res.snapshots++
		}
		off = next
	}
	res.validEnd = off
	return res, nil
}

// readRecord decodes the record at off and returns where the next starts.
// When the record does not fit in the file, next is the file size.
func readRecord(data []byte, off int64) (byte, []effect, int64, error) {
	size := int64(len(data))
	if size-off < frameHeaderSize {
		return 0, nil, size, errors.New("partial record header")
	}
	n := int64(binary.BigEndian.Uint32(data[off : off+4]))
	sum := binary.BigEndian.Uint32(data[off+4 : off+8])
	end := off + frameHeaderSize + n
	if end > size {
		return 0, nil, size, fmt.Errorf("record of %d bytes runs past the end of the file", n)
	}
	payload := data[off+frameHeaderSize : end]
	if crc32.Checksum(payload, crcTable) != sum {
		return 0, nil, end, errors.New("checksum mismatch")
	}
	kind, effects, err := decodePayload(payload)
	if err != nil {
		return 0, nil, end, err
	}
	return kind, effects, end, nil
}

// tornTail reports whether a bad record at off is the tail of an
// interrupted write: nothing but the record (or zeros) follows it.
func tornTail(data []byte, off, next int64) bool {
	if next >= int64(len(data)) {
		return true
	}
	for _, b := range data[off:] {
		if b != 0 {
			return false
		}
	}
	return true
}

// createLogFile writes a log holding the given snapshot to a temporary file,
// syncs it and renames it into place, so the log at path is always whole.
func createLogFile(dir string, snapshot []effect) error {
	tmp := filepath.Join(dir, logTmpName)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	content := append([]byte(logMagic), encodeRecord(recordSnapshot, snapshot)...)
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, logName)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming %s into place: %w", tmp, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("%w: %w", errRenamed, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening folder %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}
