package main

import (
	"context"
	"errors"
	"io"
)

// runLocalMesos runs only the local Mesos stand-in (being built).
func runLocalMesos(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not available yet: the local Mesos is still being built")
}
