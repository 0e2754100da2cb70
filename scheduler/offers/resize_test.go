package offers

import (
	"reflect"
	"strings"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// taskScalar is the amount of a resource on the match's task.
func taskScalar(m *Match, name string) float64 {
	total := 0.0
	for _, r := range m.TaskResources {
		if r.Name == name {
			total += r.GetScalar().GetValue()
		}
	}
	return total
}

// A relaunch with more cpus and less mem reserves the added cpus and
// unreserves the released mem, each under the existing reservation (same
// role, principal and labels), and the task gets exactly the new amounts.
func TestRelaunchResizesItsReservations(t *testing.T) {
	first, err := Evaluate(brokerNeed(), standardOffer("a1"), testReservation, sequentialIDs())
	if err != nil {
		t.Fatal(err)
	}
	need := brokerNeed()
	need.Footprint = &first.Footprint
	need.CPUs, need.Mem = 1.5, 1500

	again, err := Evaluate(need, offerBack(first, scalar(CPUs, 0.5), scalar(Mem, 100)), testReservation, nil)
	if err != nil {
		t.Fatalf("relaunch with new amounts: %v", err)
	}
	if again.Fresh {
		t.Error("a resizing relaunch is not a fresh reservation")
	}
	if got := taskScalar(again, CPUs); got != 1.5 {
		t.Errorf("task cpus %v, want 1.5", got)
	}
	if got := taskScalar(again, Mem); got != 1500 {
		t.Errorf("task mem %v, want 1500", got)
	}
	if len(again.Operations) != 2 || again.Operations[0].Type != mesos.Offer_Operation_UNRESERVE || again.Operations[1].Type != mesos.Offer_Operation_RESERVE {
		t.Fatalf("operations %v, want UNRESERVE then RESERVE", again.Operations)
	}
	reservationOf := func(name string) []mesos.Resource_ReservationInfo {
		for _, r := range first.TaskResources {
			if r.Name == name {
				return r.Reservations
			}
		}
		t.Fatalf("no %s on the first launch", name)
		return nil
	}
	released := again.Operations[0].Unreserve.Resources
	if len(released) != 1 || released[0].Name != Mem || released[0].GetScalar().GetValue() != 548 || !reflect.DeepEqual(released[0].Reservations, reservationOf(Mem)) {
		t.Errorf("unreserved %v, want 548 mem under mem's reservation", released)
	}
	added := again.Operations[1].Reserve.Resources
	if len(added) != 1 || added[0].Name != CPUs || added[0].GetScalar().GetValue() != 0.5 || !reflect.DeepEqual(added[0].Reservations, reservationOf(CPUs)) || added[0].AllocationInfo != nil {
		t.Errorf("reserved %v, want 0.5 cpus under cpus' reservation", added)
	}
	if !reflect.DeepEqual(again.Footprint, first.Footprint) {
		t.Errorf("footprint changed: %+v → %+v", first.Footprint, again.Footprint)
	}
	// The first launch's resources are untouched (the offer is shared).
	if got := taskScalar(first, CPUs); got != 1 {
		t.Errorf("resizing changed the offer's cpus to %v", got)
	}
}

// An increase the agent cannot fit does not move the pod: the offer does
// not fit, with a reason that names the short resource and the agent.
func TestRelaunchIncreaseThatDoesNotFitWaits(t *testing.T) {
	first, err := Evaluate(brokerNeed(), standardOffer("a1"), testReservation, sequentialIDs())
	if err != nil {
		t.Fatal(err)
	}
	need := brokerNeed()
	need.Footprint = &first.Footprint
	need.CPUs, need.Mem = 3, 2048
	_, err = Evaluate(need, offerBack(first, scalar(CPUs, 1), scalar(Mem, 4096)), testReservation, nil)
	reasons := ReasonsOf(err, "")
	if len(reasons) != 1 || reasons[0].Class != "insufficient cpus" ||
		!strings.Contains(reasons[0].Detail, "kafka-0 grows from 1 to 3 cpus") || !strings.Contains(reasons[0].Detail, "need 2, offer has 1 unreserved") {
		t.Fatalf("reasons %v, want one naming the cpus shortfall", reasons)
	}
}
