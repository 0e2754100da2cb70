package main

import (
	"context"
	"errors"
	"io"
)

// These subcommands are wired up as their packages land; until then they say
// so plainly instead of pretending to work.

func runServe(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("not available yet: the scheduler core is still being built (see README status)")
}
