package resources

import (
	"strings"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

func reserved(r mesos.Resource, role, principal string, labels ...string) mesos.Resource {
	c := Clone(r)
	t := mesos.Resource_ReservationInfo_DYNAMIC
	res := mesos.Resource_ReservationInfo{Type: &t, Role: &role, Principal: &principal}
	if len(labels) > 0 {
		res.Labels = &mesos.Labels{}
		for i := 0; i+1 < len(labels); i += 2 {
			v := labels[i+1]
			res.Labels.Labels = append(res.Labels.Labels, mesos.Label{Key: labels[i], Value: &v})
		}
	}
	c.Reservations = append(c.Reservations, res)
	return c
}

func volume(r mesos.Resource, id, path string) mesos.Resource {
	c := Clone(r)
	mode := mesos.RW
	d := mesos.Resource_DiskInfo{}
	if c.Disk != nil {
		d = *c.Disk
	}
	d.Persistence = &mesos.Resource_DiskInfo_Persistence{ID: id}
	d.Volume = &mesos.Volume{Mode: &mode, ContainerPath: path}
	c.Disk = &d
	return c
}

func TestScalarsOfTheSameKindMerge(t *testing.T) {
	rs := New(Scalar("cpus", 1.5), Scalar("cpus", 0.25), Scalar("mem", 128))
	if got := rs.Scalar("cpus"); got != 1.75 {
		t.Fatalf("cpus = %v, want 1.75", got)
	}
	if len(rs) != 2 {
		t.Fatalf("want 2 normalised resources, got %d: %s", len(rs), rs)
	}
	// Fixed point: 0.1 + 0.2 is exactly 0.3, as in Mesos.
	if got := New(Scalar("cpus", 0.1), Scalar("cpus", 0.2)).Scalar("cpus"); got != 0.3 {
		t.Fatalf("0.1+0.2 = %v, want 0.3", got)
	}
}

func TestReservationsWithDifferentLabelsStayApart(t *testing.T) {
	a := reserved(Scalar("cpus", 1), "kafka-role", "p", "resource_id", "a")
	b := reserved(Scalar("cpus", 2), "kafka-role", "p", "resource_id", "b")
	same := reserved(Scalar("cpus", 2), "kafka-role", "p", "resource_id", "a")
	rs := New(a, b, same)
	if len(rs) != 2 {
		t.Fatalf("want 2 kinds, got %s", rs)
	}
	if !rs.ContainsOne(reserved(Scalar("cpus", 3), "kafka-role", "p", "resource_id", "a")) {
		t.Fatalf("same-label reservations should merge to 3 cpus: %s", rs)
	}
	if rs.ContainsOne(reserved(Scalar("cpus", 3), "kafka-role", "p", "resource_id", "b")) {
		t.Fatalf("label b only has 2 cpus: %s", rs)
	}
	if rs.ContainsOne(Scalar("cpus", 1)) {
		t.Fatalf("reserved cpus must not satisfy unreserved cpus")
	}
}

func TestRangesCoalesceAndSubtract(t *testing.T) {
	rs := New(Ranges("ports", mesos.Value_Range{Begin: 31000, End: 31005}), Ranges("ports", mesos.Value_Range{Begin: 31006, End: 31010}))
	if got := RangesString(rs.Ranges("ports")); got != "[31000-31010]" {
		t.Fatalf("ports = %s", got)
	}
	left := rs.Sub(Ranges("ports", mesos.Value_Range{Begin: 31003, End: 31004}))
	if got := RangesString(left.Ranges("ports")); got != "[31000-31002, 31005-31010]" {
		t.Fatalf("after subtract = %s", got)
	}
	if left.ContainsOne(Ranges("ports", mesos.Value_Range{Begin: 31004, End: 31004})) {
		t.Fatal("31004 was taken")
	}
	if !left.ContainsOne(Ranges("ports", mesos.Value_Range{Begin: 31005, End: 31006})) {
		t.Fatal("31005-31006 is free")
	}
}

func TestVolumesAndMountDisksAreAtomic(t *testing.T) {
	disk := reserved(Scalar("disk", 100), "r", "p")
	v1 := volume(disk, "v1", "data")
	rs := New(v1)
	if rs.ContainsOne(volume(reserved(Scalar("disk", 50), "r", "p"), "v1", "data")) {
		t.Fatal("half a volume must not be contained")
	}
	if !rs.ContainsOne(v1) {
		t.Fatal("the whole volume is contained")
	}
	if got := New(v1, volume(reserved(Scalar("disk", 10), "r", "p"), "v2", "data")); len(got) != 2 {
		t.Fatalf("volumes never merge: %s", got)
	}
	mount := MountDisk(1000, "/mnt/a")
	if New(mount).ContainsOne(MountDisk(500, "/mnt/a")) {
		t.Fatal("a MOUNT disk is all or nothing")
	}
	if got := New(mount, MountDisk(1000, "/mnt/b")); len(got) != 2 {
		t.Fatalf("MOUNT disks never merge: %s", got)
	}
}

func TestReserveCreateDestroyUnreserveRoundTrip(t *testing.T) {
	offered := New(Scalar("cpus", 4), Scalar("disk", 1000)).Allocated("r")
	res := reserved(Scalar("disk", 300), "r", "p", "resource_id", "x")
	res.AllocationInfo = offered[0].AllocationInfo
	reserve := mesos.Offer_Operation{Type: mesos.Offer_Operation_RESERVE, Reserve: &mesos.Offer_Operation_Reserve{Resources: []mesos.Resource{res}}}
	convs, err := Conversions(reserve)
	if err != nil {
		t.Fatal(err)
	}
	after, err := offered.Apply(convs)
	if err != nil {
		t.Fatal(err)
	}
	if after.Scalar("disk") != 1000 || !after.ContainsOne(res) {
		t.Fatalf("after reserve: %s", after)
	}
	vol := volume(res, "v", "data")
	create := mesos.Offer_Operation{Type: mesos.Offer_Operation_CREATE, Create: &mesos.Offer_Operation_Create{Volumes: []mesos.Resource{vol}}}
	convs, _ = Conversions(create)
	after, err = after.Apply(convs)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ContainsOne(vol) || after.ContainsOne(res) {
		t.Fatalf("after create: %s", after)
	}
	// A second CREATE of a volume from the same (now consumed) reservation fails.
	if _, err := after.Apply(convs); err == nil || !strings.Contains(err.Error(), "does not contain") {
		t.Fatalf("want 'does not contain', got %v", err)
	}
	destroy := mesos.Offer_Operation{Type: mesos.Offer_Operation_DESTROY, Destroy: &mesos.Offer_Operation_Destroy{Volumes: []mesos.Resource{vol}}}
	convs, _ = Conversions(destroy)
	after, err = after.Apply(convs)
	if err != nil {
		t.Fatal(err)
	}
	unreserve := mesos.Offer_Operation{Type: mesos.Offer_Operation_UNRESERVE, Unreserve: &mesos.Offer_Operation_Unreserve{Resources: []mesos.Resource{res}}}
	convs, _ = Conversions(unreserve)
	after, err = after.Apply(convs)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Equal(offered) {
		t.Fatalf("round trip: got %s, want %s", after, offered)
	}
}

func TestUnreserveWithWrongLabelsFails(t *testing.T) {
	have := New(reserved(Scalar("cpus", 1), "r", "p", "resource_id", "x"))
	wrong := reserved(Scalar("cpus", 1), "r", "p", "resource_id", "y")
	convs, _ := Conversions(mesos.Offer_Operation{Type: mesos.Offer_Operation_UNRESERVE, Unreserve: &mesos.Offer_Operation_Unreserve{Resources: []mesos.Resource{wrong}}})
	if _, err := have.Apply(convs); err == nil {
		t.Fatal("unreserve must match labels exactly")
	}
}

func TestUpgradeAndDowngrade(t *testing.T) {
	role, principal := "r", "p"
	old := Scalar("cpus", 1)
	old.Role = &role
	old.Reservation = &mesos.Resource_ReservationInfo{Principal: &principal}
	up := Upgrade(old)
	if up.Role != nil || up.Reservation != nil || len(up.Reservations) != 1 ||
		up.Reservations[0].GetType() != mesos.Resource_ReservationInfo_DYNAMIC || up.Reservations[0].GetRole() != "r" {
		t.Fatalf("upgrade: %s", String(up))
	}
	down, err := Downgrade(up)
	if err != nil || down.GetRole() != "r" || down.Reservation.GetPrincipal() != "p" || len(down.Reservations) != 0 {
		t.Fatalf("downgrade: %s %v", String(down), err)
	}
	refined := reserved(reserved(Scalar("cpus", 1), "a", "p"), "a/b", "p")
	if _, err := Downgrade(refined); err == nil {
		t.Fatal("refined reservations cannot be downgraded")
	}
	if got := Upgrade(Scalar("mem", 1)); len(got.Reservations) != 0 {
		t.Fatalf("unreserved stays unreserved: %s", String(got))
	}
}

func TestValidateMessages(t *testing.T) {
	star := "*"
	dyn := mesos.Resource_ReservationInfo_DYNAMIC
	static := mesos.Resource_ReservationInfo_STATIC
	a, ab, c := "a", "a/b", "c"
	cases := []struct {
		name string
		r    mesos.Resource
		want string
	}{
		{"negative scalar", Scalar("cpus", -1), "Invalid scalar resource: value <= 0"},
		{"empty name", Scalar("", 1), "Empty resource name"},
		{"reserve star", func() mesos.Resource {
			r := Scalar("cpus", 1)
			r.Reservations = []mesos.Resource_ReservationInfo{{Type: &dyn, Role: &star}}
			return r
		}(), `role "*" cannot be reserved`},
		{"static refinement", func() mesos.Resource {
			r := Scalar("cpus", 1)
			r.Reservations = []mesos.Resource_ReservationInfo{{Type: &static, Role: &a}, {Type: &static, Role: &ab}}
			return r
		}(), "A refined reservation cannot be STATIC"},
		{"not a refinement", func() mesos.Resource {
			r := Scalar("cpus", 1)
			r.Reservations = []mesos.Resource_ReservationInfo{{Type: &dyn, Role: &a}, {Type: &dyn, Role: &c}}
			return r
		}(), "role 'c' is not a refinement of 'a'"},
		{"overlapping ranges", Ranges("ports"), ""},
		{"disk info on cpus", func() mesos.Resource {
			r := Scalar("cpus", 1)
			r.Disk = &mesos.Resource_DiskInfo{}
			return r
		}(), "DiskInfo should not be set for cpus resource"},
	}
	for _, tc := range cases {
		err := Validate(tc.r)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	r := Ranges("ports")
	r.Ranges.Range = []mesos.Value_Range{{Begin: 1, End: 10}, {Begin: 5, End: 20}}
	if err := Validate(r); err == nil || !strings.Contains(err.Error(), "overlapping") {
		t.Errorf("overlapping ranges: %v", err)
	}
}

func TestApplyCheckpointed(t *testing.T) {
	base := New(Scalar("cpus", 4), Scalar("disk", 1000), MountDisk(2000, "/m"))
	res := reserved(Scalar("disk", 200), "r", "p")
	vol := volume(reserved(MountDisk(2000, "/m"), "r", "p"), "mv", "data")
	total, err := ApplyCheckpointed(base, New(res, vol))
	if err != nil {
		t.Fatal(err)
	}
	if !total.ContainsOne(res) || !total.ContainsOne(vol) || !total.ContainsOne(Scalar("disk", 800)) || total.ContainsOne(Scalar("disk", 801)) {
		t.Fatalf("total = %s", total)
	}
	if _, err := ApplyCheckpointed(base, New(reserved(Scalar("cpus", 5), "r", "p"))); err == nil {
		t.Fatal("checkpointed resources beyond the agent's must fail")
	}
}

func TestAllocatableTo(t *testing.T) {
	r := reserved(Scalar("cpus", 1), "a", "p")
	if !AllocatableTo(r, "a") || !AllocatableTo(r, "a/b") || AllocatableTo(r, "ab") || AllocatableTo(r, "b") {
		t.Fatal("reserved resources go to the role and its children only")
	}
	if !AllocatableTo(Scalar("cpus", 1), "anything") {
		t.Fatal("unreserved resources go to every role")
	}
}

func TestStringMatchesMesosFormat(t *testing.T) {
	r := reserved(Scalar("cpus", 1), "kafka-role", "kafka-principal", "resource_id", "abc")
	role := "kafka-role"
	r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: &role}
	want := "cpus(allocated: kafka-role)(reservations: [(DYNAMIC,kafka-role,kafka-principal,{resource_id: abc})]):1"
	if got := String(r); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}
