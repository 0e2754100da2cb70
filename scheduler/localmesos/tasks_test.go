package localmesos_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

func writeTarball(t *testing.T, name string, files map[string]string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTasksFetchURIsAndSeeTheMesosEnvironment(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	dist := filepath.Join(t.TempDir(), "dist.tgz")
	writeTarball(t, dist, map[string]string{"dist/bin/start.sh": "#!/bin/sh\necho \"$MESOS_TASK_ID $MESOS_SANDBOX $MESOS_CONTAINER_IP $GREETING\"\n"})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	task := taskInfo("fetcher", offer, "./dist/bin/start.sh", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)})
	greeting := "hello"
	task.Command.URIs = []mesos.CommandInfo_URI{{Value: "file://" + dist}}
	task.Command.Environment = &mesos.Environment{Variables: []mesos.Environment_Variable{{Name: "GREETING", Value: &greeting}}}
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunch(task)}.WithOffers(offer.ID)))
	fw.waitStatus(mark, "fetcher", mesos.TASK_FINISHED)
	var sandbox string
	for _, ts := range snapshotAgent(t, c, offer.AgentID.Value).Local.Tasks {
		if ts.TaskID == "fetcher" {
			sandbox = ts.Sandbox
		}
	}
	if sandbox == "" {
		// The terminal update was acknowledged: find the sandbox on disk.
		matches, _ := filepath.Glob(filepath.Join(c.Snapshot().Agents[0].Local.WorkDir, "slaves", "*", "frameworks", "*", "executors", "fetcher", "runs", "*"))
		if len(matches) != 1 {
			t.Fatalf("sandbox not found: %v", matches)
		}
		sandbox = matches[0]
	}
	want := "fetcher " + sandbox + " " + offer.Hostname + " hello"
	if got := readFile(t, sandbox, "stdout"); got != want {
		t.Fatalf("stdout = %q, want %q", got, want)
	}

	// A URI that cannot be fetched fails the launch.
	offer = fw.takeOffer("cpus again", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	bad := taskInfo("bad-uri", offer, "true", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)})
	bad.Command.URIs = []mesos.CommandInfo_URI{{Value: "file:///no/such/file.tgz"}}
	mark = fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunch(bad)}.WithOffers(offer.ID)))
	failed := fw.waitStatus(mark, "bad-uri", mesos.TASK_FAILED)
	if failed.GetReason() != mesos.REASON_CONTAINER_LAUNCH_FAILED || !strings.Contains(failed.GetMessage(), "/no/such/file.tgz") {
		t.Fatalf("fetch failure: %+v", failed)
	}
}

func TestKillPolicyOfTheKillCallOverridesTheTasks(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	task := taskInfo("stubborn", offer, "trap '' TERM; sleep 60", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)})
	task.KillPolicy = killPolicy(time.Hour)
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunch(task)}.WithOffers(offer.ID)))
	fw.waitStatus(mark, "stubborn", mesos.TASK_RUNNING)
	kill := calls.Kill("stubborn", offer.AgentID.Value)
	kill.Kill.KillPolicy = killPolicy(200 * time.Millisecond)
	start := time.Now()
	fw.call(kill)
	killed := fw.waitStatus(mark, "stubborn", mesos.TASK_KILLED)
	if took := time.Since(start); took < 200*time.Millisecond || took > 10*time.Second {
		t.Fatalf("the task ignoring SIGTERM is killed after the KILL's grace period, took %v", took)
	}
	if killed.GetMessage() != "Command terminated with signal Killed" {
		t.Fatalf("message = %q", killed.GetMessage())
	}
}

func TestMountDisksAreUsedWhole(t *testing.T) {
	c := startCluster(t, testConfig(t, localmesos.AgentConfig{MountDisks: []localmesos.MountDisk{{SizeMB: 1000}}}))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	var mount mesos.Resource
	offer := fw.takeOffer("a MOUNT disk", func(o mesos.Offer) bool {
		for _, r := range o.Resources {
			if resources.IsMountDisk(r) {
				mount = resources.Clone(r)
				mount.AllocationInfo = nil
				return true
			}
		}
		return false
	})
	half := resources.Clone(mount)
	half.Scalar = &mesos.Value_Scalar{Value: 500}
	whole := reserved(mount, "mount")
	vol := volume(whole, "mount-volume", "data")
	fw.call(calls.Accept(calls.OfferOperations{
		calls.OpReserve(reserved(half, "half")), // dropped: a MOUNT disk cannot be split
		calls.OpReserve(whole),
		calls.OpCreate(vol),
	}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	offers := fw.takeOffers("the MOUNT volume", vol)
	local := snapshotAgent(t, c, offers[0].AgentID.Value).Local
	if len(local.Volumes) != 1 || local.Volumes[0].HostPath != mount.Disk.Source.Mount.GetRoot() || local.Volumes[0].Source != "MOUNT" {
		t.Fatalf("a MOUNT volume lives at the mount root: %+v", local.Volumes)
	}
	root := local.Volumes[0].HostPath
	if err := os.WriteFile(filepath.Join(root, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fw.call(calls.Accept(calls.OfferOperations{calls.OpDestroy(vol), calls.OpUnreserve(whole)}.WithOffers(offerIDs(offers)...)).With(calls.RefuseSeconds(0)))
	eventually(t, "the volume's data to be deleted", func() bool { return !exists(filepath.Join(root, "x")) })
	if !exists(root) {
		t.Fatal("DESTROY keeps the mount point")
	}
	fw.takeOffers("the MOUNT disk unreserved", mount)
}

func TestANewSubscriptionClosesTheOldStream(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	id := fw.id()
	mark := fw.mark()
	// Another scheduler instance subscribes with the same framework ID.
	events := rawSubscribe(t, c.SchedulerURL(), `{"type":"SUBSCRIBE","framework_id":{"value":"`+id+`"},"subscribe":{"framework_info":{"user":"nobody","name":"test-framework","id":{"value":"`+id+`"},"principal":"kafka-principal","failover_timeout":60,"roles":["kafka-role"],"capabilities":[{"type":"MULTI_ROLE"}]}}}`)
	if len(events) == 0 || !strings.Contains(events[0], `"SUBSCRIBED"`) {
		t.Fatalf("the second subscription is accepted: %v", events)
	}
	e := fw.waitEvent(mark, "the failed-over ERROR", func(e *scheduler.Event) bool { return e.GetType() == scheduler.Event_ERROR })
	if e.GetError().Message != "Framework failed over" {
		t.Fatalf("ERROR = %q", e.GetError().Message)
	}
}

func TestConcurrentClustersUseDifferentAddressBlocks(t *testing.T) {
	a := startCluster(t, testConfig(t))
	b := startCluster(t, testConfig(t))
	addrA, _ := a.AgentAddress(a.AgentNames()[0])
	addrB, _ := b.AgentAddress(b.AgentNames()[0])
	if addrA[:strings.LastIndex(addrA, ".")] == addrB[:strings.LastIndex(addrB, ".")] {
		t.Fatalf("two clusters share a block: %s %s", addrA, addrB)
	}
	block := addrA[:strings.LastIndex(addrA, ".")] + ".0/24"
	cfg := testConfig(t)
	cfg.AddressBlock = block
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := localmesos.Start(ctx, cfg); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a block in use is refused: %v", err)
	}
}

// openStream subscribes over raw HTTP and keeps the stream open; it returns
// the framework ID and the stream ID.
func openStream(t *testing.T, url, body string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	records, err := readRecords(resp.Body, 1)
	if err != nil {
		t.Fatal(err)
	}
	var e scheduler.Event
	if err := json.Unmarshal([]byte(records[0]), &e); err != nil || e.GetType() != scheduler.Event_SUBSCRIBED {
		t.Fatalf("first record: %s", records[0])
	}
	return e.GetSubscribed().FrameworkID.Value, resp.Header.Get("Mesos-Stream-Id")
}

func TestUpdateFrameworkAnswers200WithoutABody(t *testing.T) {
	c := startCluster(t, testConfig(t))
	id, stream := openStream(t, c.SchedulerURL(), `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n","principal":"p","roles":["r1"],"capabilities":[{"type":"MULTI_ROLE"}]}}}`)
	update := func(principal string) (*http.Response, string) {
		return post(t, c.SchedulerURL(), "application/json", `{"type":"UPDATE_FRAMEWORK","framework_id":{"value":"`+id+`"},"update_framework":{"framework_info":{"user":"u","name":"n","principal":"`+principal+`","id":{"value":"`+id+`"},"roles":["r1","r2"],"capabilities":[{"type":"MULTI_ROLE"}]}}}`,
			"Mesos-Stream-Id", stream)
	}
	// Note: mesos-go v0.0.11 rejects this empty 200 ("unexpected content
	// type"), as it would the real master's.
	resp, body := update("p")
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Type") != "" {
		t.Fatalf("UPDATE_FRAMEWORK: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	for _, f := range c.Snapshot().Frameworks {
		if f.ID == id && len(f.Roles) != 2 {
			t.Fatalf("roles after the update: %v", f.Roles)
		}
	}
	if resp, body := update("other"); resp.StatusCode != http.StatusBadRequest || body != "Changing framework's principal is not allowed." {
		t.Fatalf("changing the principal: %d %q", resp.StatusCode, body)
	}
}

func TestShutdownKillsTheExecutorsTasks(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	execRes := []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32), scalar("disk", 32)}
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunchGroup(executorInfo(fw, "exec", execRes),
		taskInfo("a", offer, "sleep 60", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}),
		taskInfo("b", offer, "sleep 60", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}))}.WithOffers(offer.ID)))
	fw.waitStatus(mark, "a", mesos.TASK_RUNNING)
	fw.waitStatus(mark, "b", mesos.TASK_RUNNING)
	fw.call(calls.Shutdown("exec", offer.AgentID.Value))
	fw.waitStatus(mark, "a", mesos.TASK_KILLED)
	fw.waitStatus(mark, "b", mesos.TASK_KILLED)
}
