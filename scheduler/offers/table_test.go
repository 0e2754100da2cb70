package offers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

func standardOffer(agent string, extra ...mesos.Resource) *mesos.Offer {
	return offerWith(agent, append([]mesos.Resource{scalar(CPUs, 4), scalar(Mem, 8192), scalar(Disk, 10000), portsRange(31000, 31010)}, extra...)...)
}

// TestEvaluateFits: offers that fit, and what the match holds.
func TestEvaluateFits(t *testing.T) {
	for _, c := range []struct {
		name      string
		need      func(*Need)
		offer     *mesos.Offer
		wantPort  uint64
		wantMount string // the MOUNT root the volume takes; "" for ROOT disk
	}{
		{name: "exactly enough, executor included",
			offer:    offerWith("a1", scalar(CPUs, 1.1), scalar(Mem, 2080), scalar(Disk, 5256), portsRange(31005, 31005)),
			wantPort: 31005},
		{name: "dynamic port takes the lowest offered",
			offer:    offerWith("a1", scalar(CPUs, 2), scalar(Mem, 4096), scalar(Disk, 6000), portsRange(32000, 32010), portsRange(31000, 31001)),
			wantPort: 32000},
		{name: "fixed port inside a range",
			need:     func(n *Need) { n.Ports[0].Port = 31007 },
			offer:    standardOffer("a1"),
			wantPort: 31007},
		{name: "the smallest MOUNT disk that fits",
			need:     func(n *Need) { n.Disk.Mount = true },
			offer:    standardOffer("a1", mountDisk(4000, "/mnt/small"), mountDisk(6000, "/mnt/medium"), mountDisk(20000, "/mnt/big")),
			wantPort: 31000, wantMount: "/mnt/medium"},
		{name: "placement allows",
			need:     func(n *Need) { n.Placement = func(*mesos.Offer) error { return nil } },
			offer:    standardOffer("a1"),
			wantPort: 31000},
	} {
		t.Run(c.name, func(t *testing.T) {
			need := brokerNeed()
			if c.need != nil {
				c.need(&need)
			}
			m, err := Evaluate(need, c.offer, testReservation, sequentialIDs())
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got := m.Footprint.Ports["broker"]; got != c.wantPort {
				t.Errorf("broker port %d, want %d", got, c.wantPort)
			}
			volume := m.Operations[1].Create.Volumes[0]
			if got := volume.Disk.GetSource().GetMount().GetRoot(); got != c.wantMount {
				t.Errorf("volume on MOUNT %q, want %q", got, c.wantMount)
			}
			if len(m.Footprint.ResourceIDs) != 7 || m.Footprint.AgentID != "a1" {
				t.Errorf("footprint %+v, want 7 resource ids on a1", m.Footprint)
			}
		})
	}
}

// TestEvaluateReasons: offers that do not fit say every reason, each in a
// class that groups it with the same reason on other agents.
func TestEvaluateReasons(t *testing.T) {
	reserved, err := Evaluate(brokerNeed(), standardOffer("a1"), testReservation, sequentialIDs())
	if err != nil {
		t.Fatal(err)
	}
	pinned := func(n *Need) { n.Footprint = &reserved.Footprint }
	for _, c := range []struct {
		name        string
		need        func(*Need)
		offer       *mesos.Offer
		wantClasses []string
		wantText    []string
	}{
		{name: "short of everything",
			offer:       offerWith("a1", scalar(CPUs, 0.5), scalar(Mem, 1024), scalar(Disk, 100)),
			wantClasses: []string{"insufficient cpus", "insufficient mem", "insufficient disk (ROOT)", "insufficient ports"},
			wantText:    []string{"insufficient cpus: need 1.1, offer has 0.5 unreserved", "insufficient mem: need 2080, offer has 1024 unreserved", "insufficient disk (ROOT): need 5256, offer has 100 unreserved", `insufficient ports: port "broker" needs one, offer has none unreserved`}},
		{name: "the executor's share counts",
			offer:       offerWith("a1", scalar(CPUs, 1), scalar(Mem, 2048), scalar(Disk, 5000), portsRange(31000, 31000)),
			wantClasses: []string{"insufficient cpus", "insufficient mem", "insufficient disk (ROOT)"}},
		{name: "fixed port not offered",
			need:        func(n *Need) { n.Ports[0].Port = 9092 },
			offer:       standardOffer("a1"),
			wantClasses: []string{ClassFixedPort},
			wantText:    []string{`port "broker" needs 9092`}},
		{name: "no MOUNT disk",
			need:        func(n *Need) { n.Disk.Mount = true },
			offer:       standardOffer("a1"),
			wantClasses: []string{"insufficient disk"},
			wantText:    []string{"offer has no unreserved MOUNT disk"}},
		{name: "MOUNT disks too small",
			need:        func(n *Need) { n.Disk.Mount = true },
			offer:       standardOffer("a1", mountDisk(1000, "/mnt/a"), mountDisk(3000, "/mnt/b")),
			wantClasses: []string{"insufficient disk"},
			wantText:    []string{"largest unreserved MOUNT disk is 3000 MB"}},
		{name: "reserved resources of ours are not free",
			offer:       offerBack(reserved),
			wantClasses: []string{"insufficient cpus", "insufficient mem", "insufficient disk (ROOT)", "insufficient ports"}},
		{name: "placement refusal as plain error",
			need:        func(n *Need) { n.Placement = func(*mesos.Offer) error { return errors.New("no room in zone a") } },
			offer:       standardOffer("a1"),
			wantClasses: []string{ClassPlacement},
			wantText:    []string{"placement: no room in zone a"}},
		{name: "placement refusal with its own classes",
			need: func(n *Need) {
				n.Placement = func(*mesos.Offer) error {
					return &Mismatch{Reasons: []Reason{{Class: "placement hostname:UNIQUE", Detail: "taken"}, {Class: "placement zone:GROUP_BY", Detail: "uneven"}}}
				}
			},
			offer:       standardOffer("a1"),
			wantClasses: []string{"placement hostname:UNIQUE", "placement zone:GROUP_BY"}},
		{name: "relaunch offered by another agent",
			need:        pinned,
			offer:       standardOffer("a2"),
			wantClasses: []string{ClassOtherAgent},
			wantText:    []string{"kafka-0 is bound to its reservations on agent a1.local (a1); this offer is from a2.local"}},
		{name: "relaunch without its volume",
			need:        pinned,
			offer:       offerWith("a1", reserved.TaskResources[:2]...),
			wantClasses: []string{ClassReservationsNotOffered},
			wantText:    []string{"lacks kafka-0's reserved"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			need := brokerNeed()
			if c.need != nil {
				c.need(&need)
			}
			_, err := Evaluate(need, c.offer, testReservation, sequentialIDs())
			var m *Mismatch
			if !errors.As(err, &m) {
				t.Fatalf("Evaluate = %v, want a *Mismatch", err)
			}
			var classes []string
			for _, r := range m.Reasons {
				classes = append(classes, r.Class)
			}
			if !slices.Equal(classes, c.wantClasses) {
				t.Errorf("classes %q, want %q", classes, c.wantClasses)
			}
			for _, want := range c.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not say %q", err, want)
				}
			}
		})
	}
}

// TestCleanupTable: what Cleanup releases.
func TestCleanupTable(t *testing.T) {
	first, err := Evaluate(brokerNeed(), standardOffer("a1"), testReservation, sequentialIDs())
	if err != nil {
		t.Fatal(err)
	}
	foreign := scalar(CPUs, 1)
	foreign.Reservations = []mesos.Resource_ReservationInfo{Reservation{Role: "other-role", Principal: "p"}.reservationInfo("foreign")}
	offer := offerBack(first, foreign, scalar(Mem, 100))
	volumeIDs := map[string]bool{first.Footprint.ResourceIDs[Disk]: true}
	for _, c := range []struct {
		name          string
		keep          func(string) bool
		wantOps       []mesos.Offer_Operation_Type
		wantUnreserve int
	}{
		{name: "everything wanted", keep: func(string) bool { return true }},
		{name: "nothing wanted", keep: func(string) bool { return false },
			wantOps: []mesos.Offer_Operation_Type{mesos.Offer_Operation_DESTROY, mesos.Offer_Operation_UNRESERVE}, wantUnreserve: 7},
		{name: "only the volume wanted", keep: func(id string) bool { return volumeIDs[id] },
			wantOps: []mesos.Offer_Operation_Type{mesos.Offer_Operation_UNRESERVE}, wantUnreserve: 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			ops := Cleanup(offer, testReservation, c.keep)
			var types []mesos.Offer_Operation_Type
			unreserved := 0
			for _, op := range ops {
				types = append(types, op.Type)
				unreserved += len(op.GetUnreserve().GetResources())
			}
			if !slices.Equal(types, c.wantOps) || unreserved != c.wantUnreserve {
				t.Errorf("ops %v unreserving %d, want %v unreserving %d", types, unreserved, c.wantOps, c.wantUnreserve)
			}
		})
	}
}

// TestTally: counts per class, most frequent first, an agent once per
// class, a bounded number of examples.
func TestTally(t *testing.T) {
	mem := Reason{Class: "insufficient mem", Detail: "need 2080, offer has 400 unreserved"}
	cpus := Reason{Class: "insufficient cpus", Detail: "need 1.1, offer has 0.5 unreserved"}
	for _, c := range []struct {
		name   string
		agents map[string][]Reason
		want   string
	}{
		{name: "one agent", agents: map[string][]Reason{"h1": {mem}},
			want: "insufficient mem: 1 agent (e.g. h1: need 2080, offer has 400 unreserved)"},
		{name: "most frequent first", agents: map[string][]Reason{"h1": {cpus}, "h2": {mem}, "h3": {mem, cpus}, "h4": {mem}},
			want: "insufficient mem: 3 agents (e.g. h2: need 2080, offer has 400 unreserved; h3: need 2080, offer has 400 unreserved); insufficient cpus: 2 agents (e.g. h1: need 1.1, offer has 0.5 unreserved; h3: need 1.1, offer has 0.5 unreserved)"},
		{name: "an agent counts once per class", agents: map[string][]Reason{"h1": {mem, mem}},
			want: "insufficient mem: 1 agent (e.g. h1: need 2080, offer has 400 unreserved)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tally := NewTally(2)
			hosts := make([]string, 0, len(c.agents))
			for h := range c.agents {
				hosts = append(hosts, h)
			}
			slices.Sort(hosts)
			for _, h := range hosts {
				tally.Add(h, c.agents[h])
			}
			if got := tally.String(); got != c.want {
				t.Errorf("tally\n  %s\nwant\n  %s", got, c.want)
			}
		})
	}

	many := NewTally(3)
	for i := range 1000 {
		many.Add(fmt.Sprintf("10.0.%d.%d", i/256, i%256), []Reason{mem})
	}
	counts := many.Counts()
	if len(counts) != 1 || counts[0].Agents != 1000 || len(counts[0].Examples) != 3 {
		t.Fatalf("1,000 agents short of memory: %+v", counts)
	}
	if s := many.String(); len(s) > 300 {
		t.Errorf("1,000 agents summed up in %d characters: %s", len(s), s)
	}
}
