package localmesos_test

import (
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// noOffersFor asserts that no OFFERS event arrives during d.
func noOffersFor(t *testing.T, fw *testFramework, d time.Duration) {
	t.Helper()
	mark := fw.mark()
	start := time.Now()
	eventually(t, "the quiet period", func() bool { return time.Since(start) > d })
	fw.mu.Lock()
	defer fw.mu.Unlock()
	for _, e := range fw.events[mark:] {
		if e.GetType() == scheduler.Event_OFFERS {
			t.Fatalf("unexpected offers: %+v", e.GetOffers())
		}
	}
}

func TestRefuseFilters(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	eventually(t, "an offer", func() bool { fw.mu.Lock(); defer fw.mu.Unlock(); return len(fw.offers) > 0 })

	// A long filter: no offer until REVIVE.
	fw.declineOutstanding(time.Hour)
	noOffersFor(t, fw, 300*time.Millisecond)
	fw.call(calls.Revive())
	revived := fw.takeOffer("an offer after REVIVE", func(mesos.Offer) bool { return true })

	// A short filter: the offer comes back once it expires.
	fw.decline([]mesos.Offer{revived}, 400*time.Millisecond)
	declined := time.Now()
	again := fw.takeOffer("an offer after the filter expired", func(mesos.Offer) bool { return true })
	if since := time.Since(declined); since < 400*time.Millisecond {
		t.Fatalf("the offer came back after %v, before the 400ms filter expired", since)
	}

	// SUPPRESS stops offers even without filters; REVIVE resumes them.
	fw.call(calls.Suppress())
	fw.decline([]mesos.Offer{again}, 0)
	noOffersFor(t, fw, 300*time.Millisecond)
	fw.call(calls.Revive())
	fw.takeOffer("an offer after un-suppressing", func(mesos.Offer) bool { return true })
}

func TestDeclineWithoutFilterUsesTheDefaultFiveSeconds(t *testing.T) {
	cfg := testConfig(t)
	cfg.DefaultRefuseSeconds = 0.5
	c := startCluster(t, cfg)
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	offer := fw.takeOffer("any", func(mesos.Offer) bool { return true })
	fw.call(calls.Decline(offer.ID))
	declined := time.Now()
	fw.takeOffer("the offer again", func(mesos.Offer) bool { return true })
	if since := time.Since(declined); since < 500*time.Millisecond {
		t.Fatalf("a DECLINE without filters refuses for the default refuse_seconds, came back after %v", since)
	}
}

func TestReservedResourcesAreOfferedOnlyToTheirRole(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 2 })
	res := reserved(scalar("cpus", 2), "mine")
	fw.call(calls.Accept(calls.OfferOperations{calls.OpReserve(res)}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	held := fw.takeOffers("the reservation", res)
	fw.call(calls.Suppress())
	fw.decline(held, time.Hour)

	other := startFramework(t, c, fwOptions{name: "other", roles: []string{"other-role"}, failover: time.Minute})
	o := other.takeOffer("unreserved cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") > 0 })
	for _, r := range o.Resources {
		if !resources.IsUnreserved(r) {
			t.Fatalf("another role got reserved resources: %s", resources.String(r))
		}
	}
	if got := resources.New(o.Resources...).Scalar("cpus"); got != 2 {
		t.Fatalf("the other role gets the 2 unreserved cpus, got %v", got)
	}
}

func TestLegacyFrameworksSeeThePreRefinementFormat(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{name: "legacy", failover: time.Minute, caps: []mesos.FrameworkInfo_Capability_Type{mesos.FrameworkInfo_Capability_PARTITION_AWARE}})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	if offer.AllocationInfo != nil {
		t.Fatal("a framework without MULTI_ROLE sees no allocation info")
	}
	for _, r := range offer.Resources {
		if r.AllocationInfo != nil || r.GetRole() != "*" || len(r.Reservations) != 0 {
			t.Fatalf("unreserved resources in the old format carry role \"*\": %s", resources.String(r))
		}
	}
	ro, pr, key, val := role, principal, "resource_id", "legacy"
	old := scalar("cpus", 1)
	old.Role = &ro
	old.Reservation = &mesos.Resource_ReservationInfo{Principal: &pr, Labels: &mesos.Labels{Labels: []mesos.Label{{Key: key, Value: &val}}}}
	fw.call(calls.Accept(calls.OfferOperations{calls.OpReserve(old)}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	got := fw.takeOffer("the reservation in the old format", func(o mesos.Offer) bool {
		for _, r := range o.Resources {
			if r.GetRole() == role && r.Reservation != nil && r.Reservation.GetPrincipal() == principal && len(r.Reservations) == 0 {
				return true
			}
		}
		return false
	})
	if got.AllocationInfo != nil {
		t.Fatal("no allocation info for a framework without MULTI_ROLE")
	}
}

func TestInvalidOperationsAreRefusedLikeTheMasterDoes(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 4 })
	mark := fw.mark()
	noDisk := []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}
	group := calls.OpLaunchGroup(executorInfo(fw, "e1", noDisk), taskInfo("grouped", offer, "true", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}))
	tooBig := taskInfo("too-big", offer, "true", []mesos.Resource{scalar("cpus", 100)})
	noRes := taskInfo("no-resources", offer, "true", nil)
	badID := taskInfo("bad/id", offer, "true", []mesos.Resource{scalar("cpus", 0.1)})
	withID := calls.OpLaunch(taskInfo("with-op-id", offer, "true", []mesos.Resource{scalar("cpus", 0.1)}))
	withID.ID = &mesos.OperationID{Value: "op-1"}
	reserveWithID := calls.OpReserve(reserved(scalar("cpus", 0.1), "x"))
	reserveWithID.ID = &mesos.OperationID{Value: "op-2"}
	otherRole := scalar("cpus", 0.1)
	dyn := mesos.Resource_ReservationInfo_DYNAMIC
	or := "other-role"
	otherRole.Reservations = []mesos.Resource_ReservationInfo{{Type: &dyn, Role: &or}}
	reserveOther := calls.OpReserve(otherRole)
	fw.call(calls.Accept(calls.OfferOperations{
		group, calls.OpLaunch(tooBig, noRes, badID), withID, reserveWithID, reserveOther,
	}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))

	cases := []struct {
		task   string
		reason mesos.TaskStatus_Reason
		want   string
	}{
		{"grouped", mesos.REASON_TASK_GROUP_INVALID, "Executor 'e1' uses no disk"},
		{"too-big", mesos.REASON_TASK_INVALID, "Total resources cpus(allocated: kafka-role):100 required by task and its executor is more than available"},
		{"no-resources", mesos.REASON_TASK_INVALID, "Task uses no resources"},
		{"bad/id", mesos.REASON_TASK_INVALID, "'bad/id' contains invalid characters"},
		{"with-op-id", mesos.REASON_TASK_INVALID, "The `id` field cannot be set on LAUNCH operations"},
	}
	for _, tc := range cases {
		st := fw.waitStatus(mark, tc.task, mesos.TASK_ERROR)
		noUUID(t, st)
		if st.GetReason() != tc.reason || !strings.HasPrefix(st.GetMessage(), tc.want) {
			t.Errorf("%s: %v %q", tc.task, st.GetReason(), st.GetMessage())
		}
	}
	for op, want := range map[string]string{
		"op-2": "Operation requested feedback, but agent " + offer.AgentID.Value + " does not have the required RESOURCE_PROVIDER capability",
	} {
		e := fw.waitEvent(mark, "OPERATION_ERROR of "+op, func(e *scheduler.Event) bool {
			return e.GetType() == scheduler.Event_UPDATE_OPERATION_STATUS && e.GetUpdateOperationStatus().Status.GetOperationID().GetValue() == op
		})
		st := e.GetUpdateOperationStatus().Status
		if st.State != mesos.OPERATION_ERROR || !strings.HasPrefix(st.GetMessage(), want) {
			t.Errorf("%s: %v %q", op, st.State, st.GetMessage())
		}
	}
	// Nothing was reserved.
	for _, a := range c.Snapshot().Agents {
		if len(a.Master.Reserved) != 0 {
			t.Fatalf("an invalid operation changed the agent: %+v", a.Master.Reserved)
		}
	}
}

func TestUnreserveMustMatchLabelsExactly(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	res := reserved(scalar("cpus", 1), "right")
	fw.call(calls.Accept(calls.OfferOperations{calls.OpReserve(res)}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	offers := fw.takeOffers("the reservation", res)
	fw.call(calls.Accept(calls.OfferOperations{calls.OpUnreserve(reserved(scalar("cpus", 1), "wrong"))}.WithOffers(offerIDs(offers)...)).With(calls.RefuseSeconds(0)))
	// A volume cannot be unreserved directly, and a second volume with the
	// same persistence ID is refused.
	disk := reserved(scalar("disk", 10), "d")
	offers = fw.takeOffers("the reservation, still there, and disk", res, scalar("disk", 20))
	vol := volume(disk, "v", "data")
	fw.call(calls.Accept(calls.OfferOperations{calls.OpReserve(disk, reserved(scalar("disk", 10), "d2")), calls.OpCreate(vol),
		calls.OpCreate(volume(reserved(scalar("disk", 10), "d2"), "v", "data2"))}.WithOffers(offerIDs(offers)...)).With(calls.RefuseSeconds(0)))
	offers = fw.takeOffers("the volume and the second reservation (no second volume)", vol, reserved(scalar("disk", 10), "d2"))
	fw.call(calls.Accept(calls.OfferOperations{calls.OpUnreserve(vol)}.WithOffers(offerIDs(offers)...)).With(calls.RefuseSeconds(0)))
	fw.takeOffers("the volume, still there", vol)
	for _, a := range c.Snapshot().Agents {
		if len(a.Local.Volumes) != 1 {
			t.Fatalf("exactly one volume exists: %+v", a.Local.Volumes)
		}
	}
}

func TestHealthCheckFailuresKillTheTask(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	task := taskInfo("h1", offer, "touch healthy; sleep 0.3; rm healthy; sleep 60", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)})
	check := "test -f healthy"
	two := uint32(2)
	task.HealthCheck = &mesos.HealthCheck{Type: mesos.HealthCheck_COMMAND, Command: &mesos.CommandInfo{Value: &check},
		DelaySeconds: seconds(0), IntervalSeconds: seconds(0.05), TimeoutSeconds: seconds(5), GracePeriodSeconds: seconds(0), ConsecutiveFailures: &two}
	task.KillPolicy = killPolicy(100 * time.Millisecond)
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunch(task)}.WithOffers(offer.ID)))
	healthy := fw.waitEvent(mark, "a healthy report", func(e *scheduler.Event) bool {
		s := e.GetUpdate().GetStatus()
		return e.GetType() == scheduler.Event_UPDATE && s.TaskID.Value == "h1" && s.Healthy != nil && *s.Healthy
	}).GetUpdate().Status
	if healthy.GetReason() != mesos.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED || healthy.GetState() != mesos.TASK_RUNNING {
		t.Fatalf("health report: %+v", healthy)
	}
	killed := fw.waitStatus(mark, "h1", mesos.TASK_KILLED)
	if killed.Healthy == nil || *killed.Healthy {
		t.Fatalf("a task killed by its health check ends unhealthy: %+v", killed)
	}
}

func TestAgentsHaveTheirOwnAddressesAndAttributes(t *testing.T) {
	c := startCluster(t, testConfig(t,
		localmesos.AgentConfig{Name: "a", Attributes: map[string]string{"rack": "r1", "level": "3"}, Zone: "z1", MountDisks: []localmesos.MountDisk{{SizeMB: 1000}}},
		localmesos.AgentConfig{Name: "b", Zone: "z2"}))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, caps: append(append([]mesos.FrameworkInfo_Capability_Type(nil), defaultCaps...), mesos.FrameworkInfo_Capability_REGION_AWARE)})
	addrA, _ := c.AgentAddress("a")
	addrB, _ := c.AgentAddress("b")
	if addrA == addrB || !strings.HasPrefix(addrA, "127.") {
		t.Fatalf("agents stand for different hosts: %s %s", addrA, addrB)
	}
	o := fw.takeOffer("agent a", func(o mesos.Offer) bool { return o.Hostname == addrA })
	attrs := map[string]string{}
	for _, a := range o.Attributes {
		switch a.Type {
		case mesos.TEXT:
			attrs[a.Name] = a.Text.Value
		case mesos.SCALAR:
			attrs[a.Name] = "scalar"
		}
	}
	if attrs["rack"] != "r1" || attrs["level"] != "scalar" {
		t.Fatalf("attributes: %v", o.Attributes)
	}
	if o.GetDomain().GetFaultDomain().GetZone().Name != "z1" {
		t.Fatalf("domain: %v", o.Domain)
	}
	mount := false
	for _, r := range o.Resources {
		if resources.IsMountDisk(r) && r.GetScalar().GetValue() == 1000 {
			mount = true
		}
	}
	if !mount {
		t.Fatalf("the MOUNT disk is offered: %s", resources.New(o.Resources...))
	}
}
