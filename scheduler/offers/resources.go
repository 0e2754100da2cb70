package offers

import (
	"fmt"
	"math"
	"sort"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Label keys put on reservations.
const (
	LabelResourceID  = "resource_id"
	LabelFrameworkID = "framework_id"
)

// executorKeyPrefix starts the footprint keys of the default executor's
// resources ("executor:cpus").
const executorKeyPrefix = "executor:"

// Resource names.
const (
	CPUs  = "cpus"
	Mem   = "mem"
	Disk  = "disk"
	Ports = "ports"
)

// Reservation says whose reservations we make and recognise.
type Reservation struct {
	Role        string
	Principal   string
	FrameworkID string
}

// reservationInfo is the DYNAMIC reservation pushed onto a resource, labelled
// with its resource id.
func (r Reservation) reservationInfo(resourceID string) mesos.Resource_ReservationInfo {
	labels := []mesos.Label{{Key: LabelResourceID, Value: strPtr(resourceID)}}
	if r.FrameworkID != "" {
		labels = append(labels, mesos.Label{Key: LabelFrameworkID, Value: strPtr(r.FrameworkID)})
	}
	return mesos.Resource_ReservationInfo{
		Type:      mesos.Resource_ReservationInfo_DYNAMIC.Enum(),
		Role:      strPtr(r.Role),
		Principal: strPtr(r.Principal),
		Labels:    &mesos.Labels{Labels: labels},
	}
}

// ours reports whether a resource carries a reservation of our role (its
// top reservation, in the refinement stack form).
func (r Reservation) ours(res *mesos.Resource) bool {
	top := topReservation(res)
	return top != nil && top.GetRole() == r.Role && top.GetType() == mesos.Resource_ReservationInfo_DYNAMIC
}

func topReservation(res *mesos.Resource) *mesos.Resource_ReservationInfo {
	if n := len(res.Reservations); n > 0 {
		return &res.Reservations[n-1]
	}
	return nil
}

// ResourceID returns the resource_id label of a resource's top reservation,
// or "".
func ResourceID(res *mesos.Resource) string {
	top := topReservation(res)
	if top == nil || top.Labels == nil {
		return ""
	}
	for _, l := range top.Labels.Labels {
		if l.Key == LabelResourceID {
			return l.GetValue()
		}
	}
	return ""
}

func unreserved(res *mesos.Resource) bool {
	return len(res.Reservations) == 0 && (res.Role == nil || res.GetRole() == "*") && res.Reservation == nil
}

func scalar(name string, value float64) mesos.Resource {
	return mesos.Resource{Name: name, Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: value}}
}

func portRange(port uint64) mesos.Resource {
	return mesos.Resource{Name: Ports, Type: mesos.RANGES.Enum(),
		Ranges: &mesos.Value_Ranges{Range: []mesos.Value_Range{{Begin: port, End: port}}}}
}

// pool is what is left of an offer's unreserved resources while a need is
// being fitted into it.
type pool struct {
	cpus, mem, rootDisk float64
	ports               []mesos.Value_Range
	mounts              []mesos.Resource // unreserved MOUNT disks, each used whole
}

func newPool(offer *mesos.Offer) *pool {
	p := &pool{}
	for i := range offer.Resources {
		res := &offer.Resources[i]
		if !unreserved(res) {
			continue
		}
		switch {
		case res.Name == CPUs:
			p.cpus += res.GetScalar().GetValue()
		case res.Name == Mem:
			p.mem += res.GetScalar().GetValue()
		case res.Name == Disk && res.Disk.GetSource() != nil && res.Disk.Source.Type == mesos.Resource_DiskInfo_Source_MOUNT:
			p.mounts = append(p.mounts, *res)
		case res.Name == Disk && res.Disk == nil:
			p.rootDisk += res.GetScalar().GetValue()
		case res.Name == Ports:
			p.ports = append(p.ports, res.GetRanges().GetRange()...)
		}
	}
	sort.Slice(p.mounts, func(i, j int) bool {
		return p.mounts[i].GetScalar().GetValue() < p.mounts[j].GetScalar().GetValue()
	})
	return p
}

// takeScalar removes amount from *have, or explains the shortfall.
func takeScalar(name string, have *float64, amount float64) *Reason {
	if amount <= 0 {
		return nil
	}
	if *have+1e-9 < amount {
		return &Reason{Class: "insufficient " + name, Detail: fmt.Sprintf("need %s, offer has %s unreserved", fmtScalar(amount), fmtScalar(*have))}
	}
	*have -= amount
	return nil
}

// takePort removes a port from the pool: the given one, or the lowest free
// one when port is 0.
func (p *pool) takePort(name string, port uint64) (uint64, *Reason) {
	for i, r := range p.ports {
		if port == 0 {
			port = r.Begin
		}
		if port < r.Begin || port > r.End {
			continue
		}
		var rest []mesos.Value_Range
		if port > r.Begin {
			rest = append(rest, mesos.Value_Range{Begin: r.Begin, End: port - 1})
		}
		if port < r.End {
			rest = append(rest, mesos.Value_Range{Begin: port + 1, End: r.End})
		}
		p.ports = append(p.ports[:i:i], append(rest, p.ports[i+1:]...)...)
		return port, nil
	}
	if port == 0 {
		return 0, &Reason{Class: "insufficient " + Ports, Detail: fmt.Sprintf("port %q needs one, offer has none unreserved", name)}
	}
	return 0, &Reason{Class: ClassFixedPort, Detail: fmt.Sprintf("port %q needs %d, which the offer does not have unreserved", name, port)}
}

// takeMount removes the smallest MOUNT disk of at least size MB.
func (p *pool) takeMount(size float64) (mesos.Resource, *Reason) {
	for i, m := range p.mounts {
		if m.GetScalar().GetValue()+1e-9 >= size {
			p.mounts = append(p.mounts[:i:i], p.mounts[i+1:]...)
			return m, nil
		}
	}
	largest := 0.0
	for _, m := range p.mounts {
		largest = math.Max(largest, m.GetScalar().GetValue())
	}
	if len(p.mounts) == 0 {
		return mesos.Resource{}, &Reason{Class: "insufficient " + Disk, Detail: fmt.Sprintf("need a MOUNT disk of %s MB, offer has no unreserved MOUNT disk", fmtScalar(size))}
	}
	return mesos.Resource{}, &Reason{Class: "insufficient " + Disk, Detail: fmt.Sprintf("need a MOUNT disk of %s MB, largest unreserved MOUNT disk is %s MB", fmtScalar(size), fmtScalar(largest))}
}

func fmtScalar(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func strPtr(s string) *string { return &s }
