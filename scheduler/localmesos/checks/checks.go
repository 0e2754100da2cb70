// Package checks runs the task checks (CheckInfo) and health checks
// (HealthCheck) of the local Mesos executors, with the semantics of the Mesos
// checker library (src/checks): COMMAND, HTTP and TCP types, delay, interval
// and timeout, a check update only when the result changes, and health
// reports on every failure after the grace period and on the first success.
//
// Mesos probes 127.0.0.1 inside the task's network namespace; here every agent
// stands for a host with its own loopback address, so HTTP and TCP checks
// probe the agent's address (Target.Host).
package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Target says where checks run: the task's host address for TCP and HTTP,
// its sandbox and environment for COMMAND checks.
type Target struct {
	Host string
	Dir  string
	Env  []string
}

func seconds(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }

// EmptyStatus is the check status a task carries before any result: the
// check type with an empty result for that type.
func EmptyStatus(t mesos.CheckInfo_Type) mesos.CheckStatusInfo {
	s := mesos.CheckStatusInfo{Type: t.Enum()}
	switch t {
	case mesos.CheckInfo_COMMAND:
		s.Command = &mesos.CheckStatusInfo_Command{}
	case mesos.CheckInfo_HTTP:
		s.HTTP = &mesos.CheckStatusInfo_Http{}
	case mesos.CheckInfo_TCP:
		s.TCP = &mesos.CheckStatusInfo_Tcp{}
	}
	return s
}

// RunCheck runs check until ctx is done and calls report with the new status
// each time the result changes.
func RunCheck(ctx context.Context, check mesos.CheckInfo, target Target, report func(mesos.CheckStatusInfo)) {
	previous := EmptyStatus(check.Type)
	timeout := seconds(check.GetTimeoutSeconds())
	loop(ctx, seconds(check.GetDelaySeconds()), seconds(check.GetIntervalSeconds()), func() {
		status := checkOnce(ctx, check, target, timeout)
		if ctx.Err() != nil {
			return
		}
		if !status.Equal(&previous) {
			previous = status
			report(status)
		}
	})
}

func checkOnce(ctx context.Context, check mesos.CheckInfo, target Target, timeout time.Duration) mesos.CheckStatusInfo {
	status := EmptyStatus(check.Type)
	switch check.Type {
	case mesos.CheckInfo_COMMAND:
		if check.Command == nil {
			return status
		}
		code, err := runCommand(ctx, check.Command.Command, target, timeout)
		if err == nil {
			c := int32(code)
			status.Command.ExitCode = &c
		}
	case mesos.CheckInfo_HTTP:
		if check.HTTP == nil {
			return status
		}
		code, err := httpGet(ctx, "http", target.Host, check.HTTP.Port, check.HTTP.GetPath(), timeout)
		if err == nil {
			c := uint32(code)
			status.HTTP.StatusCode = &c
		}
	case mesos.CheckInfo_TCP:
		if check.TCP == nil {
			return status
		}
		ok := tcpConnect(ctx, target.Host, check.TCP.Port, timeout)
		status.TCP.Succeeded = &ok
	}
	return status
}

// HealthStatus is one health report.
type HealthStatus struct {
	Healthy             bool
	KillTask            bool
	ConsecutiveFailures uint32
}

// RunHealthCheck runs hc until ctx is done. Like the Mesos health checker it
// reports every failure outside the grace period (with KillTask once
// consecutive_failures is reached) and reports healthy on the first success
// and on the first success after failures.
func RunHealthCheck(ctx context.Context, hc mesos.HealthCheck, target Target, report func(HealthStatus)) {
	start := time.Now()
	grace := seconds(hc.GetGracePeriodSeconds())
	timeout := seconds(hc.GetTimeoutSeconds())
	initializing := true
	var failures uint32
	loop(ctx, seconds(hc.GetDelaySeconds()), seconds(hc.GetIntervalSeconds()), func() {
		err := healthOnce(ctx, hc, target, timeout)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if initializing && grace > 0 && time.Since(start) <= grace {
				return
			}
			failures++
			report(HealthStatus{Healthy: false, ConsecutiveFailures: failures, KillTask: failures >= hc.GetConsecutiveFailures()})
			return
		}
		if initializing || failures > 0 {
			report(HealthStatus{Healthy: true})
			initializing = false
		}
		failures = 0
	})
}

func healthOnce(ctx context.Context, hc mesos.HealthCheck, target Target, timeout time.Duration) error {
	switch hc.Type {
	case mesos.HealthCheck_COMMAND:
		if hc.Command == nil {
			return errors.New("COMMAND health check without a command")
		}
		code, err := runCommand(ctx, *hc.Command, target, timeout)
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("command returned exit code %d", code)
		}
		return nil
	case mesos.HealthCheck_HTTP:
		if hc.HTTP == nil {
			return errors.New("HTTP health check without http")
		}
		scheme := hc.HTTP.GetScheme()
		if scheme == "" {
			scheme = "http"
		}
		code, err := httpGet(ctx, scheme, target.Host, hc.HTTP.Port, hc.HTTP.GetPath(), timeout)
		if err != nil {
			return err
		}
		if code < 200 || code >= 400 {
			return fmt.Errorf("unexpected HTTP status %d", code)
		}
		return nil
	case mesos.HealthCheck_TCP:
		if hc.TCP == nil {
			return errors.New("TCP health check without tcp")
		}
		if !tcpConnect(ctx, target.Host, hc.TCP.Port, timeout) {
			return fmt.Errorf("cannot connect to %s:%d", target.Host, hc.TCP.Port)
		}
		return nil
	}
	return errors.New("unknown health check type")
}

// loop waits delay, then calls fn every interval until ctx is done.
func loop(ctx context.Context, delay, interval time.Duration, fn func()) {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		fn()
		timer.Reset(interval)
	}
}

func withTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

func runCommand(ctx context.Context, cmd mesos.CommandInfo, target Target, timeout time.Duration) (int, error) {
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	var c *exec.Cmd
	if cmd.Shell == nil || *cmd.Shell {
		c = exec.Command("/bin/sh", "-c", cmd.GetValue())
	} else {
		c = exec.Command(cmd.GetValue())
		if len(cmd.Arguments) > 0 {
			c.Args = append([]string(nil), cmd.Arguments...)
		}
	}
	c.Dir = target.Dir
	c.Env = target.Env
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("starting the check command: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			return 0, err
		}
		ws, _ := c.ProcessState.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return 0, fmt.Errorf("check command terminated with signal %v", ws.Signal())
		}
		return ws.ExitStatus(), nil
	case <-ctx.Done():
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-done
		return 0, fmt.Errorf("command timed out after %v", timeout)
	}
}

func httpGet(ctx context.Context, scheme, host string, port uint32, path string, timeout time.Duration) (int, error) {
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	url := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(int(port))) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func tcpConnect(ctx context.Context, host string, port uint32, timeout time.Duration) bool {
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
