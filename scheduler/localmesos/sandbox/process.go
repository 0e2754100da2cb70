// Package sandbox runs the commands of local Mesos tasks as real OS
// processes: it fetches CommandInfo URIs into a sandbox folder (local paths,
// file:// and http(s) URLs; archives extracted), links persistent volumes at
// their container path, writes secret files (SECRET volumes with VALUE
// secrets, mode 0400, as Mesos's volume/secret isolator and default secret
// resolver do), builds the environment (SECRET variables resolved) and
// starts the command with a shell in its own process group, so that a kill
// reaches every child. Secrets' data is never logged, and
// WithoutSecretData gives the form of a TaskInfo that may be kept or shown.
//
// There is no isolation: tasks share the host's network, file system and
// users. That is the deliberate limit of the local Mesos, a stand-in for
// tests and development.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Spec describes a command to run in a sandbox folder.
type Spec struct {
	// Command is the task's command (value, arguments, shell).
	Command mesos.CommandInfo
	// Dir is the sandbox folder; it is the working directory and holds the
	// stdout and stderr files.
	Dir string
	// Env is the complete environment of the process.
	Env []string
}

// Process is a started task command.
type Process struct {
	cmd  *exec.Cmd
	pgid int
	done chan struct{}

	mu     sync.Mutex
	status syscall.WaitStatus
	err    error
}

// Start starts the command in its own process group. Its stdout and stderr go
// to the files `stdout` and `stderr` in the sandbox, as in Mesos.
func Start(spec Spec) (*Process, error) {
	argv, err := commandLine(spec.Command)
	if err != nil {
		return nil, err
	}
	stdout, err := os.OpenFile(filepath.Join(spec.Dir, "stdout"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening stdout file: %w", err)
	}
	stderr, err := os.OpenFile(filepath.Join(spec.Dir, "stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("opening stderr file: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if spec.Command.Shell != nil && !*spec.Command.Shell && len(spec.Command.Arguments) > 0 {
		// Mesos passes arguments as argv, including argv[0].
		cmd.Args = append([]string(nil), spec.Command.Arguments...)
	}
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, fmt.Errorf("starting %q: %w", strings.Join(argv, " "), err)
	}
	p := &Process{cmd: cmd, pgid: cmd.Process.Pid, done: make(chan struct{})}
	go p.wait(stdout, stderr)
	return p, nil
}

func commandLine(c mesos.CommandInfo) ([]string, error) {
	value := c.GetValue()
	if c.Shell == nil || *c.Shell {
		if value == "" {
			return nil, errors.New("the command has no value to run with the shell")
		}
		return []string{"/bin/sh", "-c", value}, nil
	}
	if value == "" {
		return nil, errors.New("the command has no executable (value) to run")
	}
	return []string{value}, nil
}

func (p *Process) wait(files ...*os.File) {
	err := p.cmd.Wait()
	var status syscall.WaitStatus
	if p.cmd.ProcessState != nil {
		status, _ = p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	}
	// The task is over: like a container being destroyed, nothing it left
	// behind in its process group may keep running.
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	for _, f := range files {
		f.Close()
	}
	p.mu.Lock()
	p.status = status
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		p.err = err
	}
	p.mu.Unlock()
	close(p.done)
}

// Pid returns the process id of the command (also its process group id).
func (p *Process) Pid() int { return p.pgid }

// Done is closed when the command has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Status returns the wait status; valid once Done is closed.
func (p *Process) Status() syscall.WaitStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Signal sends sig to the whole process group.
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := syscall.Kill(-p.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("sending %v to process group %d: %w", sig, p.pgid, err)
	}
	return nil
}

// Kill sends SIGTERM to the process group and SIGKILL after grace if the
// command has not exited by then. It returns when the command has exited or
// ctx is done.
func (p *Process) Kill(ctx context.Context, grace time.Duration) error {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Describe renders a wait status the way Mesos does (WSTRINGIFY): "exited
// with status 0", "terminated with signal Killed".
func Describe(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		msg := "terminated with signal " + signalName(ws.Signal())
		if ws.CoreDump() {
			msg += " (core dumped)"
		}
		return msg
	case ws.Stopped():
		return "stopped on signal " + signalName(ws.StopSignal())
	}
	return fmt.Sprintf("wait status %d", int(ws))
}

// signalName matches strsignal(3): "Terminated", "Killed", "Interrupt".
func signalName(sig syscall.Signal) string {
	s := sig.String()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Succeeded reports whether ws is a successful exit.
func Succeeded(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == 0 }
