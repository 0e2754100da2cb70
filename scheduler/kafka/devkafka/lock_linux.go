//go:build linux

package devkafka

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Liveness locks are Linux open-file-description (OFD) locks: they belong to
// one open file, so two brokers in one process conflict like two processes
// do; the kernel drops them when the holder's process dies, even by SIGKILL;
// and F_OFD_GETLK tests for a holder without taking the lock, so probing a
// broker's liveness never races with that broker starting.
const (
	fOFDGetLK = 36 // F_OFD_GETLK, asm-generic/fcntl.h
	fOFDSetLK = 37 // F_OFD_SETLK
)

// errLocked is returned when another open file holds the lock.
var errLocked = errors.New("lock is held")

// tryLock takes an exclusive lock on f without waiting.
func tryLock(f *os.File) error {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	err := syscall.FcntlFlock(f.Fd(), fOFDSetLK, &lk)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
		return errLocked
	}
	if err != nil {
		return fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return nil
}

// isLocked reports whether any open file holds a lock on path. A missing
// file is unlocked.
func isLocked(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), fOFDGetLK, &lk); err != nil {
		return false, fmt.Errorf("testing lock on %s: %w", path, err)
	}
	return lk.Type != syscall.F_UNLCK, nil
}
