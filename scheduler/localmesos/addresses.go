package localmesos

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
)

// addressBlock is a 127.X.Y.0/24 block held by this cluster. A lock file in
// the temporary folder keeps concurrently running clusters (for example two
// test packages) from taking the same block, so their agents never share an
// address. Linux routes all of 127.0.0.0/8 to the loopback device, so any
// address of the block can be bound without setup.
type addressBlock struct {
	x, y int
	lock *os.File
}

func (b *addressBlock) String() string { return fmt.Sprintf("127.%d.%d.0/24", b.x, b.y) }

// host returns 127.X.Y.n.
func (b *addressBlock) host(n int) string { return fmt.Sprintf("127.%d.%d.%d", b.x, b.y, n) }

func (b *addressBlock) release() {
	if b.lock != nil {
		_ = syscall.Flock(int(b.lock.Fd()), syscall.LOCK_UN)
		// The file stays: removing it would let two clusters lock
		// different files for the same block.
		_ = b.lock.Close()
		b.lock = nil
	}
}

// lockAddressBlock locks the given block ("127.X.Y.0/24") or a free random
// one when block is empty.
func lockAddressBlock(block string) (*addressBlock, error) {
	if block != "" {
		x, y, err := parseBlock(block)
		if err != nil {
			return nil, err
		}
		b, ok, err := tryLock(x, y)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("address block %s is in use by another local Mesos; choose another block or leave it empty to pick a free one", block)
		}
		return b, nil
	}
	// Free blocks are searched among 127.16.0.0/24 .. 127.16.255.0/24 from
	// a random start, so that concurrent clusters spread out and at most 256
	// lock files ever exist.
	start := rand.IntN(256)
	for i := 0; i < 256; i++ {
		b, ok, err := tryLock(16, (start+i)%256)
		if err != nil {
			return nil, err
		}
		if ok {
			return b, nil
		}
	}
	return nil, errors.New("no free address block among 127.16.0.0/24-127.16.255.0/24: 256 local Mesos clusters are running")
}

func parseBlock(block string) (int, int, error) {
	ip, ipnet, err := net.ParseCIDR(block)
	if err != nil {
		return 0, 0, fmt.Errorf("address block %q is not a CIDR such as 127.20.30.0/24: %w", block, err)
	}
	ones, _ := ipnet.Mask.Size()
	v4 := ip.To4()
	if v4 == nil || v4[0] != 127 || ones != 24 || v4[3] != 0 {
		return 0, 0, fmt.Errorf("address block %q must be a /24 inside 127.0.0.0/8, such as 127.20.30.0/24", block)
	}
	if v4[1] == 0 && v4[2] == 0 {
		return 0, 0, fmt.Errorf("address block %q would share 127.0.0.x with the host's services; pick another", block)
	}
	return int(v4[1]), int(v4[2]), nil
}

func tryLock(x, y int) (*addressBlock, bool, error) {
	name := filepath.Join(os.TempDir(), "localmesos-127."+strconv.Itoa(x)+"."+strconv.Itoa(y)+".lock")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("creating address block lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("locking %s: %w", name, err)
	}
	return &addressBlock{x: x, y: y, lock: f}, true, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
