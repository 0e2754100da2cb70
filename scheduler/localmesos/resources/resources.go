// Package resources is the resource algebra of the local Mesos: adding,
// subtracting and containment of mesos.Resource values, reservation
// refinement (the `reservations` stack), persistent volumes and MOUNT disks,
// computed the way the real master computes them (src/common/resources.cpp).
//
// The local master keeps every resource in the "post reservation refinement"
// format and converts to the older format only on the wire, for frameworks
// without the RESERVATION_REFINEMENT capability. Scalars use the same fixed
// point arithmetic as Mesos (three decimal digits).
//
// mesos-go's own Resources algebra is not used because it follows the
// refinement format only when a package-level switch is set.
package resources

import (
	"math"
	"sort"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Resources is a list of resources kept in normalised form: resources of the
// same kind are merged, except those that must stay whole (persistent
// volumes, MOUNT disks, shared resources).
type Resources []mesos.Resource

// New returns the normalised sum of the given resources.
func New(rs ...mesos.Resource) Resources {
	var out Resources
	for _, r := range rs {
		out = out.Add(r)
	}
	return out
}

// fixed converts a scalar to Mesos' fixed point representation.
func fixed(v float64) int64 { return int64(math.Round(v * 1000)) }

func fromFixed(v int64) float64 { return float64(v) / 1000 }

// Clone returns a deep enough copy of r that the algebra can change the copy
// without touching r.
func Clone(r mesos.Resource) mesos.Resource {
	c := r
	if r.Type != nil {
		t := *r.Type
		c.Type = &t
	}
	if r.Scalar != nil {
		s := *r.Scalar
		c.Scalar = &s
	}
	if r.Ranges != nil {
		c.Ranges = &mesos.Value_Ranges{Range: append([]mesos.Value_Range(nil), r.Ranges.Range...)}
	}
	if r.Set != nil {
		c.Set = &mesos.Value_Set{Item: append([]string(nil), r.Set.Item...)}
	}
	if r.AllocationInfo != nil {
		a := *r.AllocationInfo
		c.AllocationInfo = &a
	}
	if r.Reservations != nil {
		c.Reservations = append([]mesos.Resource_ReservationInfo(nil), r.Reservations...)
	}
	if r.Disk != nil {
		d := *r.Disk
		c.Disk = &d
	}
	if r.Role != nil {
		role := *r.Role
		c.Role = &role
	}
	if r.Reservation != nil {
		res := *r.Reservation
		c.Reservation = &res
	}
	return c
}

func valueType(r mesos.Resource) mesos.Value_Type {
	if r.Type == nil {
		return mesos.SCALAR
	}
	return *r.Type
}

// sameMetadata reports whether a and b describe the same kind of resource:
// name, type, allocation, reservation stack, disk, revocable, provider and
// shared information all equal (compareResourceMetadata in Mesos).
func sameMetadata(a, b mesos.Resource) bool {
	if a.Name != b.Name || valueType(a) != valueType(b) {
		return false
	}
	if (a.AllocationInfo == nil) != (b.AllocationInfo == nil) {
		return false
	}
	if a.AllocationInfo != nil && a.AllocationInfo.GetRole() != b.AllocationInfo.GetRole() {
		return false
	}
	if !SameReservations(a.Reservations, b.Reservations) {
		return false
	}
	if (a.Disk == nil) != (b.Disk == nil) {
		return false
	}
	if a.Disk != nil && !a.Disk.Equal(b.Disk) {
		return false
	}
	if (a.Revocable == nil) != (b.Revocable == nil) {
		return false
	}
	if (a.ProviderID == nil) != (b.ProviderID == nil) {
		return false
	}
	if a.ProviderID != nil && a.ProviderID.Value != b.ProviderID.Value {
		return false
	}
	return (a.Shared == nil) == (b.Shared == nil)
}

// SameReservations reports whether two reservation stacks are equal.
func SameReservations(a, b []mesos.Resource_ReservationInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(&b[i]) {
			return false
		}
	}
	return true
}

// Equal reports whether a and b are the same resource with the same value.
func Equal(a, b mesos.Resource) bool {
	if !sameMetadata(a, b) {
		return false
	}
	switch valueType(a) {
	case mesos.SCALAR:
		return fixed(a.GetScalar().GetValue()) == fixed(b.GetScalar().GetValue())
	case mesos.RANGES:
		return rangesEqual(normaliseRanges(rangesOf(a)), normaliseRanges(rangesOf(b)))
	case mesos.SET:
		return setEqual(a.GetSet().GetItem(), b.GetSet().GetItem())
	}
	return false
}

// exclusiveDisk reports whether r is a disk that must stay whole.
func exclusiveDisk(r mesos.Resource) bool {
	if r.Disk == nil || r.Disk.Source == nil {
		return false
	}
	switch r.Disk.Source.Type {
	case mesos.Resource_DiskInfo_Source_MOUNT, mesos.Resource_DiskInfo_Source_BLOCK:
		return true
	case mesos.Resource_DiskInfo_Source_RAW:
		return r.Disk.Source.ID != nil
	}
	return false
}

// addable is Mesos' internal::addable.
func addable(a, b mesos.Resource) bool {
	if (a.Shared == nil) != (b.Shared == nil) {
		return false
	}
	if a.Shared != nil {
		return Equal(a, b)
	}
	if !sameMetadata(a, b) {
		return false
	}
	if a.Disk != nil {
		if exclusiveDisk(a) {
			return false
		}
		if a.Disk.Persistence != nil {
			return false
		}
	}
	return true
}

// subtractable is Mesos' internal::subtractable.
func subtractable(a, b mesos.Resource) bool {
	if (a.Shared == nil) != (b.Shared == nil) {
		return false
	}
	if a.Shared != nil {
		return Equal(a, b)
	}
	if !sameMetadata(a, b) {
		return false
	}
	if a.Disk != nil {
		if exclusiveDisk(a) && !Equal(a, b) {
			return false
		}
		if a.Disk.Persistence != nil && !Equal(a, b) {
			return false
		}
	}
	return true
}

// containsOne reports whether a contains b (Resource_::contains).
func containsOne(a, b mesos.Resource) bool {
	if !subtractable(a, b) {
		return false
	}
	switch valueType(a) {
	case mesos.SCALAR:
		return fixed(b.GetScalar().GetValue()) <= fixed(a.GetScalar().GetValue())
	case mesos.RANGES:
		return rangesContain(normaliseRanges(rangesOf(a)), normaliseRanges(rangesOf(b)))
	case mesos.SET:
		return setContains(a.GetSet().GetItem(), b.GetSet().GetItem())
	}
	return false
}

// IsEmpty reports whether r carries no quantity.
func IsEmpty(r mesos.Resource) bool {
	switch valueType(r) {
	case mesos.SCALAR:
		return fixed(r.GetScalar().GetValue()) <= 0
	case mesos.RANGES:
		return len(rangesOf(r)) == 0
	case mesos.SET:
		return len(r.GetSet().GetItem()) == 0
	}
	return true
}

func plus(a, b mesos.Resource) mesos.Resource {
	out := Clone(a)
	switch valueType(a) {
	case mesos.SCALAR:
		out.Scalar = &mesos.Value_Scalar{Value: fromFixed(fixed(a.GetScalar().GetValue()) + fixed(b.GetScalar().GetValue()))}
	case mesos.RANGES:
		out.Ranges = &mesos.Value_Ranges{Range: normaliseRanges(append(append([]mesos.Value_Range(nil), rangesOf(a)...), rangesOf(b)...))}
	case mesos.SET:
		out.Set = &mesos.Value_Set{Item: setUnion(a.GetSet().GetItem(), b.GetSet().GetItem())}
	}
	return out
}

func minus(a, b mesos.Resource) mesos.Resource {
	out := Clone(a)
	switch valueType(a) {
	case mesos.SCALAR:
		out.Scalar = &mesos.Value_Scalar{Value: fromFixed(fixed(a.GetScalar().GetValue()) - fixed(b.GetScalar().GetValue()))}
	case mesos.RANGES:
		out.Ranges = &mesos.Value_Ranges{Range: rangesMinus(normaliseRanges(rangesOf(a)), normaliseRanges(rangesOf(b)))}
	case mesos.SET:
		out.Set = &mesos.Value_Set{Item: setMinus(a.GetSet().GetItem(), b.GetSet().GetItem())}
	}
	return out
}

// Add returns rs plus r. Empty resources are ignored.
func (rs Resources) Add(r mesos.Resource) Resources {
	if IsEmpty(r) {
		return rs
	}
	out := make(Resources, len(rs), len(rs)+1)
	copy(out, rs)
	for i := range out {
		if addable(out[i], r) {
			out[i] = plus(out[i], r)
			return out
		}
	}
	c := Clone(r)
	if valueType(c) == mesos.RANGES {
		c.Ranges = &mesos.Value_Ranges{Range: normaliseRanges(rangesOf(c))}
	}
	return append(out, c)
}

// Plus returns rs plus every resource of other.
func (rs Resources) Plus(other Resources) Resources {
	out := rs
	for _, r := range other {
		out = out.Add(r)
	}
	return out
}

// Sub returns rs minus r, like Mesos' Resources::subtract: the first
// subtractable resource is reduced and dropped when it becomes empty.
func (rs Resources) Sub(r mesos.Resource) Resources {
	if IsEmpty(r) {
		return rs
	}
	out := make(Resources, 0, len(rs))
	done := false
	for _, x := range rs {
		if !done && subtractable(x, r) {
			done = true
			left := minus(x, r)
			if !IsEmpty(left) {
				out = append(out, left)
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// Minus returns rs minus every resource of other.
func (rs Resources) Minus(other Resources) Resources {
	out := rs
	for _, r := range other {
		out = out.Sub(r)
	}
	return out
}

// ContainsOne reports whether rs contains r.
func (rs Resources) ContainsOne(r mesos.Resource) bool {
	for _, x := range rs {
		if containsOne(x, r) {
			return true
		}
	}
	return false
}

// Contains reports whether rs contains all of other.
func (rs Resources) Contains(other Resources) bool {
	remaining := rs
	for _, r := range other {
		if IsEmpty(r) {
			continue
		}
		if !remaining.ContainsOne(r) {
			return false
		}
		remaining = remaining.Sub(r)
	}
	return true
}

// Equal reports whether rs and other hold the same resources.
func (rs Resources) Equal(other Resources) bool {
	return rs.Contains(other) && other.Contains(rs)
}

// Filter returns the resources for which keep returns true.
func (rs Resources) Filter(keep func(mesos.Resource) bool) Resources {
	var out Resources
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Scalar returns the total of the named scalar resource.
func (rs Resources) Scalar(name string) float64 {
	var total int64
	for _, r := range rs {
		if r.Name == name && valueType(r) == mesos.SCALAR {
			total += fixed(r.GetScalar().GetValue())
		}
	}
	return fromFixed(total)
}

// HasScalar reports whether a scalar resource of that name is present.
func (rs Resources) HasScalar(name string) bool {
	for _, r := range rs {
		if r.Name == name && valueType(r) == mesos.SCALAR {
			return true
		}
	}
	return false
}

// Ranges returns the union of the named ranges resource.
func (rs Resources) Ranges(name string) []mesos.Value_Range {
	var all []mesos.Value_Range
	for _, r := range rs {
		if r.Name == name && valueType(r) == mesos.RANGES {
			all = append(all, rangesOf(r)...)
		}
	}
	return normaliseRanges(all)
}

// Unallocated returns rs without allocation information.
func (rs Resources) Unallocated() Resources {
	var out Resources
	for _, r := range rs {
		c := Clone(r)
		c.AllocationInfo = nil
		out = out.Add(c)
	}
	return out
}

// Allocated returns rs allocated to role.
func (rs Resources) Allocated(role string) Resources {
	var out Resources
	for _, r := range rs {
		c := Clone(r)
		c.AllocationInfo = &mesos.Resource_AllocationInfo{Role: &role}
		out = out.Add(c)
	}
	return out
}

// Names returns the sorted distinct resource names.
func (rs Resources) Names() []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range rs {
		if !seen[r.Name] {
			seen[r.Name] = true
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}

// ReservationRole is the role of the last reservation, or "*".
func ReservationRole(r mesos.Resource) string {
	if n := len(r.Reservations); n > 0 {
		return r.Reservations[n-1].GetRole()
	}
	return "*"
}

// IsUnreserved reports whether r carries no reservation.
func IsUnreserved(r mesos.Resource) bool { return len(r.Reservations) == 0 }

// IsDynamicallyReserved reports whether the current reservation is dynamic.
func IsDynamicallyReserved(r mesos.Resource) bool {
	n := len(r.Reservations)
	return n > 0 && r.Reservations[n-1].GetType() == mesos.Resource_ReservationInfo_DYNAMIC
}

// HasRefinedReservations reports whether r has more than one reservation.
func HasRefinedReservations(r mesos.Resource) bool { return len(r.Reservations) > 1 }

// IsPersistentVolume reports whether r is a persistent volume.
func IsPersistentVolume(r mesos.Resource) bool {
	return r.Disk != nil && r.Disk.Persistence != nil
}

// IsMountDisk reports whether r is a MOUNT disk.
func IsMountDisk(r mesos.Resource) bool {
	return r.Disk != nil && r.Disk.Source != nil && r.Disk.Source.Type == mesos.Resource_DiskInfo_Source_MOUNT
}

// IsRevocable reports whether r is revocable.
func IsRevocable(r mesos.Resource) bool { return r.Revocable != nil }

// IsStrictSubrole reports whether child is a strict descendant of parent.
func IsStrictSubrole(child, parent string) bool {
	return len(child) > len(parent)+1 && child[:len(parent)] == parent && child[len(parent)] == '/'
}

// AllocatableTo reports whether r can be offered to role: it is unreserved,
// reserved to role, or reserved to an ancestor of role.
func AllocatableTo(r mesos.Resource, role string) bool {
	if IsUnreserved(r) {
		return true
	}
	reserved := ReservationRole(r)
	return reserved == role || IsStrictSubrole(role, reserved)
}

// PopReservation returns r with its last reservation removed.
func PopReservation(r mesos.Resource) mesos.Resource {
	c := Clone(r)
	if n := len(c.Reservations); n > 0 {
		c.Reservations = c.Reservations[:n-1]
		if len(c.Reservations) == 0 {
			c.Reservations = nil
		}
	}
	return c
}

// StripVolume returns r without its persistence and volume information: the
// disk a volume was created from.
func StripVolume(r mesos.Resource) mesos.Resource {
	c := Clone(r)
	if c.Disk == nil {
		return c
	}
	if c.Disk.Source != nil {
		d := *c.Disk
		d.Persistence = nil
		d.Volume = nil
		c.Disk = &d
	} else {
		c.Disk = nil
	}
	c.Shared = nil
	return c
}

// Base returns the resource an agent was configured with that r was derived
// from: dynamic reservations popped and volume information stripped.
func Base(r mesos.Resource) mesos.Resource {
	c := StripVolume(r)
	for IsDynamicallyReserved(c) {
		c = PopReservation(c)
	}
	c.AllocationInfo = nil
	return c
}

// NeedsCheckpoint reports whether an agent must checkpoint r: dynamic
// reservations and persistent volumes.
func NeedsCheckpoint(r mesos.Resource) bool {
	return IsDynamicallyReserved(r) || IsPersistentVolume(r)
}

// Checkpointed returns the resources of rs an agent checkpoints.
func (rs Resources) Checkpointed() Resources { return rs.Filter(NeedsCheckpoint) }

// ApplyCheckpointed returns the total resources of an agent configured with
// base whose checkpointed resources (dynamic reservations and volumes) are
// checkpointed. It fails when a checkpointed resource is not backed by base.
func ApplyCheckpointed(base, checkpointed Resources) (Resources, error) {
	total := base
	for _, r := range checkpointed {
		from := Base(r)
		if !total.ContainsOne(from) {
			return nil, errorf("checkpointed resource %s is not backed by the agent's resources %s", String(r), total)
		}
		total = total.Sub(from).Add(r)
	}
	return total, nil
}
