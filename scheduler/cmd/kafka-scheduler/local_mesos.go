package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

// runLocalMesos runs only the local Mesos (a stand-in master and agents for
// development): it prints the scheduler API URL so that any Mesos framework
// can be developed against it, serves until ctx is cancelled, then stops
// every task process.
func runLocalMesos(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("local-mesos", stderr)
	listen := fs.String("listen", "127.0.0.1:5050", "address of the master's scheduler API (host:port; port 0 picks a free one)")
	agents := fs.Int("agents", 3, "number of agents")
	cpus := fs.Float64("cpus", 4, "cpus of each agent")
	mem := fs.Float64("mem", 8192, "memory of each agent, in MB")
	disk := fs.Float64("disk", 20480, "ROOT disk of each agent, in MB")
	ports := fs.String("ports", "31000-32000", "port ranges of each agent, such as 31000-32000,33000-33100")
	mountDisks := fs.String("mount-disks", "", "MOUNT disks of each agent, comma-separated sizes in MB, such as 10240,10240")
	zones := fs.String("zones", "", "fault domain zones given to the agents in turn, such as z1,z2,z3")
	workDir := fs.String("work-dir", "", "folder for sandboxes, checkpoints and volumes (default: a temporary folder removed on exit)")
	addressBlock := fs.String("address-block", "", "127.X.Y.0/24 block the agents take their addresses from (default: a free random block)")
	masters := fs.Int("masters", 1, "number of masters (standbys redirect to the leader)")
	heartbeat := fs.Duration("heartbeat-interval", 15*time.Second, "interval of HEARTBEAT events")
	pingTimeout := fs.Duration("agent-ping-timeout", 75*time.Second, "time before an agent that stopped answering is unreachable")
	retry := fs.Duration("status-update-retry", 10*time.Second, "first retry interval of unacknowledged status updates")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; local-mesos takes only flags", fs.Args())
	}
	if *agents < 1 {
		return fmt.Errorf("--agents=%d: at least one agent is needed", *agents)
	}
	ranges, err := parsePortRanges(*ports)
	if err != nil {
		return fmt.Errorf("--ports=%q: %w", *ports, err)
	}
	mounts, err := parseMountDisks(*mountDisks)
	if err != nil {
		return fmt.Errorf("--mount-disks=%q: %w", *mountDisks, err)
	}
	var zoneList []string
	if *zones != "" {
		zoneList = strings.Split(*zones, ",")
	}

	dir := *workDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "kafka-scheduler-local-mesos-")
		if err != nil {
			return fmt.Errorf("creating a temporary work folder: %w", err)
		}
		dir = tmp
		defer os.RemoveAll(tmp)
	}
	cfg := localmesos.Config{
		Listen:            *listen,
		Masters:           *masters,
		WorkDir:           dir,
		AddressBlock:      *addressBlock,
		HeartbeatInterval: *heartbeat,
		AgentPingTimeout:  *pingTimeout,
		StatusUpdateRetry: *retry,
		Logger:            slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	for i := 0; i < *agents; i++ {
		a := localmesos.AgentConfig{CPUs: *cpus, MemMB: *mem, DiskMB: *disk, Ports: ranges, MountDisks: mounts}
		if len(zoneList) > 0 {
			a.Zone = zoneList[i%len(zoneList)]
		}
		cfg.Agents = append(cfg.Agents, a)
	}

	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := localmesos.Start(startCtx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Local Mesos is running (a stand-in for development, not a real Mesos cluster).")
	fmt.Fprintf(stdout, "scheduler API: %s\n", c.SchedulerURL())
	fmt.Fprintf(stdout, "state:         %s\n", c.StateURL())
	for _, name := range c.AgentNames() {
		addr, _ := c.AgentAddress(name)
		fmt.Fprintf(stdout, "agent:         %s at %s\n", name, addr)
	}
	fmt.Fprintf(stdout, "work dir:      %s\n", dir)
	fmt.Fprintln(stdout, "Press Ctrl-C to stop; every task process is stopped with it.")

	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping the local Mesos...")
	return c.Close()
}

// parsePortRanges parses "31000-32000,33000-33100".
func parsePortRanges(s string) ([]localmesos.PortRange, error) {
	var out []localmesos.PortRange
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, ok := strings.Cut(part, "-")
		if !ok {
			hi = lo
		}
		begin, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
		end, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
		if err1 != nil || err2 != nil || begin == 0 || begin > end {
			return nil, fmt.Errorf("%q is not a port range; use BEGIN-END with 1 <= BEGIN <= END <= 65535", part)
		}
		out = append(out, localmesos.PortRange{Begin: begin, End: end})
	}
	if len(out) == 0 {
		return nil, errors.New("no port range given")
	}
	return out, nil
}

// parseMountDisks parses "10240,10240" (sizes in MB).
func parseMountDisks(s string) ([]localmesos.MountDisk, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []localmesos.MountDisk
	for _, part := range strings.Split(s, ",") {
		size, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || size <= 0 {
			return nil, fmt.Errorf("%q is not a disk size; use positive sizes in MB such as 10240", part)
		}
		out = append(out, localmesos.MountDisk{SizeMB: size})
	}
	return out, nil
}
