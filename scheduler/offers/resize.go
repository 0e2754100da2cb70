package offers

import (
	"fmt"
	"math"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// A pod that ran before is relaunched on its own reservations, but a new
// configuration may give it more or less cpus or mem. The relaunch then
// resizes the reservations in place, on the same agent and under the same
// reservation (role, principal, and the resource_id and framework_id
// labels): an increase RESERVEs the difference from the offer's unreserved
// resources with the reservation of the existing one, which Mesos merges
// into it; a decrease UNRESERVEs the difference. The task gets exactly the
// new amount. When the agent has not enough unreserved to grow, the offer
// does not fit, with a reason naming the short resource: the pod is never
// moved (replacing it is the way to move it).

// resizable are the task resources a relaunch resizes, with the amount the
// need asks for.
func resizable(need Need) map[string]float64 {
	return map[string]float64{CPUs: need.CPUs, Mem: need.Mem}
}

// resizer collects the reservation changes of one relaunch.
type resizer struct {
	pod       string
	hostname  string
	pool      *pool
	reserve   []mesos.Resource
	unreserve []mesos.Resource
	short     []Reason
}

// resize returns the task's share of reserved resource r once it is made
// want large, and records the operation that does it.
func (z *resizer) resize(name string, r mesos.Resource, want float64) mesos.Resource {
	have := r.GetScalar().GetValue()
	diff := mesosScalar(want - have)
	if diff == 0 {
		return r
	}
	delta := stripAllocation(r)
	delta.Scalar = &mesos.Value_Scalar{Value: math.Abs(diff)}
	if diff > 0 {
		free := z.pool.scalar(name)
		if reason := takeScalar(name, free, diff); reason != nil {
			reason.Detail = fmt.Sprintf("%s grows from %s to %s %s on its agent %s: %s (the pod stays bound to its agent; replace it to move it)",
				z.pod, fmtScalar(have), fmtScalar(want), name, z.hostname, reason.Detail)
			z.short = append(z.short, *reason)
			return r
		}
		z.reserve = append(z.reserve, delta)
	} else {
		z.unreserve = append(z.unreserve, delta)
	}
	out := cloneResource(r)
	out.Scalar = &mesos.Value_Scalar{Value: mesosScalar(want)}
	return out
}

// operations are the UNRESERVE (first: what a decrease frees) and RESERVE
// that make the reservations the new size.
func (z *resizer) operations() []mesos.Offer_Operation {
	var ops []mesos.Offer_Operation
	if len(z.unreserve) > 0 {
		ops = append(ops, mesos.Offer_Operation{Type: mesos.Offer_Operation_UNRESERVE, Unreserve: &mesos.Offer_Operation_Unreserve{Resources: z.unreserve}})
	}
	if len(z.reserve) > 0 {
		ops = append(ops, mesos.Offer_Operation{Type: mesos.Offer_Operation_RESERVE, Reserve: &mesos.Offer_Operation_Reserve{Resources: z.reserve}})
	}
	return ops
}

// scalar points at the pool's unreserved amount of a resizable resource.
func (p *pool) scalar(name string) *float64 {
	switch name {
	case CPUs:
		return &p.cpus
	case Mem:
		return &p.mem
	}
	panic("offers: " + name + " is not resizable")
}

// mesosScalar rounds to the three decimals Mesos keeps of a scalar.
func mesosScalar(v float64) float64 { return math.Round(v*1000) / 1000 }

// stripAllocation copies a reserved resource for an operation: the master
// fills in the allocation of the offer.
func stripAllocation(r mesos.Resource) mesos.Resource {
	out := cloneResource(r)
	out.AllocationInfo = nil
	return out
}

// cloneResource copies r deeply enough that changing the copy's scalar or
// reservations never changes r.
func cloneResource(r mesos.Resource) mesos.Resource {
	out := r
	out.Reservations = append([]mesos.Resource_ReservationInfo(nil), r.Reservations...)
	if r.Scalar != nil {
		s := *r.Scalar
		out.Scalar = &s
	}
	return out
}
