//go:build !unix

package devkafka

import (
	"errors"
	"os"
)

var errLocked = errors.New("lock is held")

var errUnsupported = errors.New("the dev Kafka stand-in needs a Unix system for its liveness locks")

func tryLock(*os.File) error { return errUnsupported }

func isLocked(string) (bool, error) { return false, errUnsupported }
