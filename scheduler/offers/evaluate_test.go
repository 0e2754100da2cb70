package offers

import (
	"fmt"
	"strings"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

var testReservation = Reservation{Role: "kafka-role", Principal: "kafka-principal", FrameworkID: "fw-1"}

func offerWith(agent string, resources ...mesos.Resource) *mesos.Offer {
	return &mesos.Offer{
		ID: mesos.OfferID{Value: "offer-" + agent}, AgentID: mesos.AgentID{Value: agent},
		Hostname: agent + ".local", Resources: resources,
	}
}

func mountDisk(sizeMB float64, root string) mesos.Resource {
	r := scalar(Disk, sizeMB)
	r.Disk = &mesos.Resource_DiskInfo{Source: &mesos.Resource_DiskInfo_Source{
		Type: mesos.Resource_DiskInfo_Source_MOUNT, Mount: &mesos.Resource_DiskInfo_Source_Mount{Root: &root}}}
	return r
}

func portsRange(begin, end uint64) mesos.Resource {
	return mesos.Resource{Name: Ports, Type: mesos.RANGES.Enum(),
		Ranges: &mesos.Value_Ranges{Range: []mesos.Value_Range{{Begin: begin, End: end}}}}
}

func brokerNeed() Need {
	return Need{
		Pod: "kafka-0", CPUs: 1, Mem: 2048,
		Disk:     DiskNeed{SizeMB: 5000, ContainerPath: "kafka-broker-data"},
		Ports:    []PortNeed{{Name: "broker"}},
		Executor: ExecutorNeed{CPUs: 0.1, Mem: 32, Disk: 256},
	}
}

func sequentialIDs() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("id-%d", n) }
}

func TestEvaluateNewPodReservesAndCreatesVolume(t *testing.T) {
	offer := offerWith("a1", scalar(CPUs, 4), scalar(Mem, 8192), scalar(Disk, 10000), portsRange(31000, 31010))
	m, err := Evaluate(brokerNeed(), offer, testReservation, sequentialIDs())
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(m.Operations) != 2 || m.Operations[0].Type != mesos.Offer_Operation_RESERVE || m.Operations[1].Type != mesos.Offer_Operation_CREATE {
		t.Fatalf("operations = %v, want RESERVE then CREATE", m.Operations)
	}
	reserved := m.Operations[0].Reserve.Resources
	if len(reserved) != 7 { // cpus, mem, port, disk, executor cpus/mem/disk
		t.Fatalf("reserved %d resources, want 7: %v", len(reserved), reserved)
	}
	seen := map[string]bool{}
	for _, r := range reserved {
		id := ResourceID(&r)
		if id == "" || seen[id] {
			t.Fatalf("resource %v has a missing or repeated resource_id", r)
		}
		seen[id] = true
		top := topReservation(&r)
		if top.GetRole() != "kafka-role" || top.GetPrincipal() != "kafka-principal" {
			t.Errorf("reservation %v is not for our role and principal", top)
		}
	}
	if got := m.Footprint.Ports["broker"]; got != 31000 {
		t.Errorf("dynamic broker port = %d, want the lowest offered, 31000", got)
	}
	volume := m.Operations[1].Create.Volumes[0]
	if volume.Disk.GetPersistence().GetID() != m.Footprint.VolumeID || volume.Disk.GetVolume().GetContainerPath() != "kafka-broker-data" {
		t.Errorf("volume = %v, want persistence id %s at kafka-broker-data", volume.Disk, m.Footprint.VolumeID)
	}
}

func TestEvaluateExplainsEveryShortfall(t *testing.T) {
	offer := offerWith("a1", scalar(CPUs, 0.5), scalar(Mem, 1024), scalar(Disk, 10000))
	_, err := Evaluate(brokerNeed(), offer, testReservation, sequentialIDs())
	if err == nil {
		t.Fatal("an offer with too little cpu, memory and no ports was accepted")
	}
	for _, want := range []string{"insufficient cpus: need 1.1, offer has 0.5", "insufficient mem: need 2080, offer has 1024", `port "broker" needs one`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reason %q does not say %q", err, want)
		}
	}
}

func TestEvaluateFixedPortAndMountDisk(t *testing.T) {
	need := brokerNeed()
	need.Ports[0].Port = 9092
	need.Disk.Mount = true
	offer := offerWith("a1", scalar(CPUs, 4), scalar(Mem, 8192), scalar(Disk, 1000),
		mountDisk(4000, "/mnt/small"), mountDisk(20000, "/mnt/big"), portsRange(9000, 9100))
	m, err := Evaluate(need, offer, testReservation, sequentialIDs())
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if m.Footprint.Ports["broker"] != 9092 {
		t.Errorf("broker port = %d, want 9092", m.Footprint.Ports["broker"])
	}
	volume := m.Operations[1].Create.Volumes[0]
	if volume.Disk.GetSource().GetMount().GetRoot() != "/mnt/big" || volume.GetScalar().GetValue() != 20000 {
		t.Errorf("volume %v: want the whole 20000 MB MOUNT disk /mnt/big", volume)
	}

	need.Ports[0].Port = 8080
	if _, err := Evaluate(need, offer, testReservation, sequentialIDs()); err == nil || !strings.Contains(err.Error(), "needs 8080") {
		t.Errorf("a fixed port outside the offer: err = %v", err)
	}
}

func TestEvaluatePlacementRefusal(t *testing.T) {
	need := brokerNeed()
	need.Placement = func(o *mesos.Offer) error { return fmt.Errorf("hostname %s already runs kafka-1", o.Hostname) }
	offer := offerWith("a1", scalar(CPUs, 4), scalar(Mem, 8192), scalar(Disk, 10000), portsRange(31000, 31010))
	_, err := Evaluate(need, offer, testReservation, sequentialIDs())
	if err == nil || !strings.Contains(err.Error(), "placement: hostname a1.local already runs kafka-1") {
		t.Errorf("err = %v, want the placement reason", err)
	}
}

// offerBack turns a match's reserved resources into what Mesos offers
// afterwards: the same resources, now reserved, volume included.
func offerBack(m *Match, extra ...mesos.Resource) *mesos.Offer {
	resources := append(append(append([]mesos.Resource(nil), m.TaskResources...), m.ExecutorResources...), extra...)
	return offerWith(m.Footprint.AgentID, resources...)
}

func TestRelaunchUsesOnlyItsOwnReservations(t *testing.T) {
	first, err := Evaluate(brokerNeed(), offerWith("a1", scalar(CPUs, 4), scalar(Mem, 8192), scalar(Disk, 10000), portsRange(31000, 31010)),
		testReservation, sequentialIDs())
	if err != nil {
		t.Fatal(err)
	}
	need := brokerNeed()
	need.Footprint = &first.Footprint

	again, err := Evaluate(need, offerBack(first, scalar(CPUs, 8)), testReservation, nil)
	if err != nil {
		t.Fatalf("relaunch on its own reservations: %v", err)
	}
	if len(again.Operations) != 0 {
		t.Errorf("a relaunch must not reserve again, got %v", again.Operations)
	}
	if len(again.TaskResources) != 4 || len(again.ExecutorResources) != 3 {
		t.Errorf("relaunch resources: task %d, executor %d; want 4 and 3", len(again.TaskResources), len(again.ExecutorResources))
	}

	other := offerBack(first)
	other.AgentID.Value, other.Hostname = "a2", "a2.local"
	if _, err := Evaluate(need, other, testReservation, nil); err == nil || !strings.Contains(err.Error(), "bound to its reservations") {
		t.Errorf("relaunch on another agent: err = %v", err)
	}
	partial := offerWith("a1", first.TaskResources[:2]...)
	if _, err := Evaluate(need, partial, testReservation, nil); err == nil || !strings.Contains(err.Error(), "lacks kafka-0's reserved") {
		t.Errorf("relaunch without the volume: err = %v", err)
	}
}

func TestCleanupReleasesOnlyUnwantedReservationsOfOurRole(t *testing.T) {
	first, err := Evaluate(brokerNeed(), offerWith("a1", scalar(CPUs, 4), scalar(Mem, 8192), scalar(Disk, 10000), portsRange(31000, 31010)),
		testReservation, sequentialIDs())
	if err != nil {
		t.Fatal(err)
	}
	otherRole := Reservation{Role: "other-role", Principal: "p"}
	foreign := scalar(CPUs, 1)
	foreign.Reservations = []mesos.Resource_ReservationInfo{otherRole.reservationInfo("foreign")}
	offer := offerBack(first, foreign, scalar(Mem, 100))

	if ops := Cleanup(offer, testReservation, func(string) bool { return true }); ops != nil {
		t.Fatalf("nothing to release, got %v", ops)
	}
	ops := Cleanup(offer, testReservation, func(string) bool { return false })
	if len(ops) != 2 || ops[0].Type != mesos.Offer_Operation_DESTROY || ops[1].Type != mesos.Offer_Operation_UNRESERVE {
		t.Fatalf("ops = %v, want DESTROY then UNRESERVE", ops)
	}
	if n := len(ops[0].Destroy.Volumes); n != 1 {
		t.Errorf("destroyed %d volumes, want 1", n)
	}
	unreserved := ops[1].Unreserve.Resources
	if len(unreserved) != 7 {
		t.Errorf("unreserved %d resources, want our 7 (not the other role's)", len(unreserved))
	}
	for _, r := range unreserved {
		if r.Disk.GetPersistence() != nil {
			t.Errorf("UNRESERVE must name the disk without its volume: %v", r)
		}
	}
}
