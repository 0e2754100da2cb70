package main

// The pipeline commands of `kafka-scheduler dev`, for CI jobs that test
// Terraform modules against a dev scheduler:
//
//	kafka-scheduler dev start [dev flags] [--wait 3m] [--output env|json]
//	kafka-scheduler dev env   [--data-dir DIR] [--output env|json]
//	kafka-scheduler dev stop  [--data-dir DIR] [--timeout 1m]
//
// `dev start` runs `kafka-scheduler dev --ready-file <data-dir>/dev.json` as
// a detached background process (its own session, output appended to
// <data-dir>/dev.log), waits until its API answers, prints the endpoint and
// token as KEY=VALUE lines named like the provider's environment variables
// (KAFKA_SCHEDULER_ENDPOINT, KAFKA_SCHEDULER_TOKEN) and exits, leaving the
// scheduler running. `dev env` prints the same for the scheduler running on
// a data folder; `dev stop` asks it to stop (SIGTERM), waits until it has
// stopped its brokers and exited, and fails if it does not within the
// timeout. The ready file is the contract between them: a JSON object
// (devReady) written atomically with mode 0600 once the API answers and
// removed when the scheduler exits.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// devReady is what the ready file holds and `dev start`/`dev env` print.
type devReady struct {
	Endpoint      string `json:"endpoint"`
	Token         string `json:"token"`
	PID           int    `json:"pid"`
	DataDir       string `json:"data_dir"`
	MesosURL      string `json:"mesos_url"`
	MesosStateURL string `json:"mesos_state_url"`
	LogFile       string `json:"log_file,omitempty"`
}

// envLines renders r as KEY=VALUE lines: the provider's variables first, so
// that `eval "$(kafka-scheduler dev start)"` or appending the output to
// $GITHUB_ENV configures the next step's terraform.
func (r devReady) envLines() string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"KAFKA_SCHEDULER_ENDPOINT", r.Endpoint},
		{"KAFKA_SCHEDULER_TOKEN", r.Token},
		{"KAFKA_SCHEDULER_DEV_PID", strconv.Itoa(r.PID)},
		{"KAFKA_SCHEDULER_DEV_DATA_DIR", r.DataDir},
		{"KAFKA_SCHEDULER_DEV_MESOS_STATE_URL", r.MesosStateURL},
	} {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	return b.String()
}

func devPipelineCommands() []command {
	return []command{
		{name: "start", summary: "start dev in the background, wait until it is ready, print its endpoint and token", run: runDevStart},
		{name: "env", summary: "print the endpoint and token of the dev scheduler running on a data folder", run: runDevEnv},
		{name: "stop", summary: "stop the dev scheduler running on a data folder and wait until it has exited", run: runDevStop},
	}
}

// readyFilePath is where `dev start` asks the background scheduler to
// announce itself.
func readyFilePath(dataDir string) string { return filepath.Join(dataDir, "dev.json") }

// runDevStart is `kafka-scheduler dev start`.
func runDevStart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts devOptions
	fs := newFlagSet("dev start", stderr)
	addDevFlags(fs, &opts)
	wait := fs.Duration("wait", 3*time.Minute, "how long to wait for the scheduler to be ready")
	output := fs.String("output", "env", "what to print once ready: env (KEY=VALUE lines) or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if *output != "env" && *output != "json" {
		return fmt.Errorf("--output=%q: use env or json", *output)
	}
	if err := resolveDevOptions(&opts); err != nil {
		return err
	}
	readyFile := readyFilePath(opts.dataDir)
	if r, err := readReady(readyFile); err == nil && devProcessAlive(r.PID, readyFile) {
		return fmt.Errorf("a dev scheduler (pid %d, %s) is already running on %s; run 'kafka-scheduler dev stop --data-dir %s' first", r.PID, r.Endpoint, opts.dataDir, opts.dataDir)
	}
	if err := os.Remove(readyFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the stale %s: %w", readyFile, err)
	}
	if err := os.MkdirAll(opts.dataDir, 0o755); err != nil {
		return fmt.Errorf("creating the data folder: %w", err)
	}

	logPath := filepath.Join(opts.dataDir, "dev.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the log %s: %w", logPath, err)
	}
	defer logFile.Close()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this executable: %w", err)
	}
	// The child gets every dev flag the caller set, the resolved data
	// folder and token, and the ready file to announce itself in.
	childArgs := []string{"dev"}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "wait", "output", "data-dir", "token", "kafka-dist":
			return
		}
		childArgs = append(childArgs, "--"+f.Name+"="+f.Value.String())
	})
	childArgs = append(childArgs, "--data-dir="+opts.dataDir, "--token="+opts.token, "--ready-file="+readyFile)
	if opts.kafkaDist != "" {
		childArgs = append(childArgs, "--kafka-dist="+opts.kafkaDist)
	}
	cmd := exec.Command(exe, childArgs...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlive this process and its terminal
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s dev: %w", exe, err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()

	ready, err := waitForReady(ctx, readyFile, cmd.Process.Pid, *wait, exited, &exitErr)
	if err != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, logPath, tail(logPath, 20))
	}
	ready.LogFile = logPath
	if err := printReady(stdout, ready, *output); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "kafka-scheduler dev: running in the background (pid %d, log %s); stop it with: kafka-scheduler dev stop --data-dir %s\n", ready.PID, logPath, opts.dataDir)
	return nil
}

// waitForReady polls for the ready file of the process pid until it shows
// up, the process exits, or the wait runs out.
// exitErr is read only once exited is closed.
func waitForReady(ctx context.Context, readyFile string, pid int, wait time.Duration, exited <-chan struct{}, exitErr *error) (devReady, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if r, err := readReady(readyFile); err == nil && r.PID == pid {
			return r, nil
		}
		select {
		case <-exited:
			return devReady{}, fmt.Errorf("the dev scheduler exited before it was ready (%v)", *exitErr)
		case <-ctx.Done():
			return devReady{}, fmt.Errorf("the dev scheduler was not ready within %s", wait)
		case <-tick.C:
		}
	}
}

// runDevEnv is `kafka-scheduler dev env`.
func runDevEnv(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev env", stderr)
	dataDir := fs.String("data-dir", defaultDevDataDir(), "the data folder the dev scheduler runs on")
	output := fs.String("output", "env", "env (KEY=VALUE lines) or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *output != "env" && *output != "json" {
		return fmt.Errorf("--output=%q: use env or json", *output)
	}
	readyFile := readyFilePath(absOrSame(*dataDir))
	r, err := readReady(readyFile)
	if err != nil || !devProcessAlive(r.PID, readyFile) {
		return fmt.Errorf("no dev scheduler is running on %s; start one with 'kafka-scheduler dev start --data-dir %s'", *dataDir, *dataDir)
	}
	r.LogFile = filepath.Join(r.DataDir, "dev.log")
	return printReady(stdout, r, *output)
}

// runDevStop is `kafka-scheduler dev stop`.
func runDevStop(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev stop", stderr)
	dataDir := fs.String("data-dir", defaultDevDataDir(), "the data folder the dev scheduler runs on")
	timeout := fs.Duration("timeout", time.Minute, "how long to wait for the scheduler to stop its brokers and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	readyFile := readyFilePath(absOrSame(*dataDir))
	r, err := readReady(readyFile)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdout, "kafka-scheduler dev: not running on %s\n", *dataDir)
		return nil
	}
	if err != nil {
		return err
	}
	if !devProcessAlive(r.PID, readyFile) {
		// It died without cleaning up (SIGKILL, a crash): nothing to stop.
		if err := os.Remove(readyFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing the stale %s: %w", readyFile, err)
		}
		fmt.Fprintf(stdout, "kafka-scheduler dev: not running on %s (pid %d is gone; removed its stale ready file)\n", *dataDir, r.PID)
		return nil
	}
	if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil {
		return fmt.Errorf("asking pid %d to stop: %w", r.PID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for devProcessAlive(r.PID, "") {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(r.PID, syscall.SIGKILL)
			return fmt.Errorf("pid %d did not stop within %s of SIGTERM and was killed; its brokers may still run: see %s", r.PID, *timeout, filepath.Join(r.DataDir, "dev.log"))
		case <-tick.C:
		}
	}
	fmt.Fprintf(stdout, "kafka-scheduler dev: stopped (pid %d)\n", r.PID)
	return nil
}

func printReady(w io.Writer, r devReady, output string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	_, err := io.WriteString(w, r.envLines())
	return err
}

func readReady(path string) (devReady, error) {
	var r devReady
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("reading %s: %w", path, err)
	}
	return r, nil
}

// announceWhenReady writes the ready file once the API at r.Endpoint
// answers its health check, so that whoever waits for the file can call
// the API at once.
func announceWhenReady(ctx context.Context, path string, r devReady, log *slog.Logger) {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.Endpoint+"/v1/health", nil)
		if err != nil {
			log.Error("announcing readiness", "err", err)
			return
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	if err := writeReadyFile(path, r); err != nil {
		log.Error("writing the ready file", "path", path, "err", err)
		return
	}
	log.Info("ready", "endpoint", r.Endpoint, "ready_file", path)
}

// writeReadyFile writes r to path atomically (a temporary file renamed into
// place), readable only by its owner since it holds the token.
func writeReadyFile(path string, r devReady) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// removeReadyFile removes the ready file at exit if it is still this
// process's.
func removeReadyFile(path string, pid int) {
	if r, err := readReady(path); err == nil && r.PID == pid {
		_ = os.Remove(path)
	}
}

// devProcessAlive says whether pid runs and has not exited (a zombie
// counts as exited). With readyFile set it also requires, where /proc
// tells, that the process is the dev scheduler announcing itself there, so
// that a reused pid is never signalled.
func devProcessAlive(pid int, readyFile string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The state follows the parenthesised command name.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return false
		}
	}
	if readyFile != "" {
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
			return strings.Contains(string(cmdline), "--ready-file="+readyFile)
		}
	}
	return true
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func absOrSame(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
