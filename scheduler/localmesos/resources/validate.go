package resources

import (
	"errors"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// ValidateRole checks a role name the way Mesos does (src/common/roles.cpp).
func ValidateRole(role string) error {
	if role == "*" {
		return nil
	}
	if strings.HasPrefix(role, "/") {
		return errorf("Role '%s' cannot start with a slash", role)
	}
	if strings.HasSuffix(role, "/") {
		return errorf("Role '%s' cannot end with a slash", role)
	}
	if strings.Contains(role, "//") {
		return errorf("Role '%s' cannot contain two adjacent slashes", role)
	}
	var components []string
	for _, c := range strings.Split(role, "/") {
		if c != "" {
			components = append(components, c)
		}
	}
	if len(components) == 0 {
		return errors.New("Role names cannot be the empty string")
	}
	for _, c := range components {
		switch {
		case c == ".":
			return errorf("Role '%s' cannot include '.' as a component", role)
		case c == "..":
			return errorf("Role '%s' cannot include '..' as a component", role)
		case c == "*":
			return errorf("Role '%s' cannot include '*' as a component", role)
		case strings.HasPrefix(c, "-"):
			return errorf("Role component '%s' is invalid because it starts with a dash", c)
		case strings.ContainsAny(c, "\x09\x0a\x0b\x0c\x0d\x20\x08"):
			return errorf("Role component '%s' is invalid because it contains backspace or whitespace", c)
		}
	}
	return nil
}

// Validate checks one resource the way Resources::validate does.
func Validate(r mesos.Resource) error {
	if r.Name == "" {
		return errors.New("Empty resource name")
	}
	if r.Type == nil {
		return errors.New("Invalid resource type")
	}
	switch *r.Type {
	case mesos.SCALAR:
		if r.Scalar == nil || r.Ranges != nil || r.Set != nil {
			return errors.New("Invalid scalar resource")
		}
		if r.Scalar.Value != 0 && fixed(r.Scalar.Value) <= 0 {
			return errors.New("Invalid scalar resource: value <= 0")
		}
	case mesos.RANGES:
		if r.Scalar != nil || r.Ranges == nil || r.Set != nil {
			return errors.New("Invalid ranges resource")
		}
		rs := r.Ranges.Range
		for i := range rs {
			if rs[i].Begin > rs[i].End {
				return errors.New("Invalid ranges resource: begin > end")
			}
			for j := i + 1; j < len(rs); j++ {
				if rs[i].Begin <= rs[j].Begin && rs[j].Begin <= rs[i].End {
					return errors.New("Invalid ranges resource: overlapping ranges")
				}
			}
		}
	case mesos.SET:
		if r.Scalar != nil || r.Ranges != nil || r.Set == nil {
			return errors.New("Invalid set resource")
		}
		seen := map[string]bool{}
		for _, item := range r.Set.Item {
			if seen[item] {
				return errors.New("Invalid set resource: duplicated elements")
			}
			seen[item] = true
		}
	default:
		return errors.New("Unsupported resource type")
	}
	if r.Disk != nil {
		if r.Name != "disk" {
			return errorf("DiskInfo should not be set for %s resource", r.Name)
		}
		if s := r.Disk.Source; s != nil {
			switch s.Type {
			case mesos.Resource_DiskInfo_Source_PATH, mesos.Resource_DiskInfo_Source_MOUNT:
			case mesos.Resource_DiskInfo_Source_BLOCK, mesos.Resource_DiskInfo_Source_RAW:
				if s.Mount != nil {
					return errorf("Mount should not be set for %s disk source", s.Type)
				}
				if s.Path != nil {
					return errorf("Path should not be set for %s disk source", s.Type)
				}
			default:
				return errorf("Unsupported 'DiskInfo.Source.Type' in '%s'", s.Type)
			}
		}
	}
	if err := validateReservationFormat(r); err != nil {
		return err
	}
	if r.Shared != nil {
		if r.Name != "disk" {
			return errorf("Resource %s cannot be shared", r.Name)
		}
		if r.Disk == nil || r.Disk.Persistence == nil {
			return errors.New("Only persistent volumes can be shared")
		}
	}
	return nil
}

func validateReservationFormat(r mesos.Resource) error {
	if len(r.Reservations) == 0 {
		if err := ValidateRole(r.GetRole()); err != nil {
			return err
		}
		if r.Reservation != nil {
			if r.Reservation.Type != nil {
				return errors.New("'Resource.ReservationInfo.type' must not be set for the 'Resource.reservation' field")
			}
			if r.Reservation.Role != nil {
				return errors.New("'Resource.ReservationInfo.role' must not be set for the 'Resource.reservation' field")
			}
			if r.GetRole() == "*" {
				return errors.New(`Invalid reservation: role "*" cannot be dynamically reserved`)
			}
		}
		return nil
	}
	for _, res := range r.Reservations {
		if res.Type == nil {
			return errors.New("Invalid reservation: 'Resource.ReservationInfo.type' field must be set.")
		}
		if res.Role == nil {
			return errors.New("Invalid reservation: 'Resource.ReservationInfo.role' field must be set.")
		}
		if err := ValidateRole(*res.Role); err != nil {
			return err
		}
		if *res.Role == "*" {
			return errors.New(`Invalid reservation: role "*" cannot be reserved`)
		}
	}
	ancestor := r.Reservations[0].GetRole()
	for _, res := range r.Reservations[1:] {
		if res.GetType() == mesos.Resource_ReservationInfo_STATIC {
			return errors.New("Invalid refined reservation: A refined reservation cannot be STATIC")
		}
		if !IsStrictSubrole(res.GetRole(), ancestor) {
			return errorf("Invalid refined reservation: role '%s' is not a refinement of '%s'", res.GetRole(), ancestor)
		}
		ancestor = res.GetRole()
	}
	if len(r.Reservations) == 1 {
		res := r.Reservations[0]
		if r.Role != nil && *r.Role != res.GetRole() {
			return errorf("Invalid resource format: 'Resource.role' field with '%s' does not match the role '%s' in 'Resource.reservations'", *r.Role, res.GetRole())
		}
		switch res.GetType() {
		case mesos.Resource_ReservationInfo_STATIC:
			if r.Reservation != nil {
				return errors.New("Invalid resource format: 'Resource.reservation' must not be set if the single reservation in 'Resource.reservations' is STATIC")
			}
		case mesos.Resource_ReservationInfo_DYNAMIC:
			if (r.Role != nil) != (r.Reservation != nil) {
				return errors.New("Invalid resource format: 'Resource.role' and 'Resource.reservation' must either be both set or both not set if the single reservation in 'Resource.reservations' is DYNAMIC")
			}
			if r.Reservation != nil && r.Reservation.GetPrincipal() != res.GetPrincipal() {
				return errorf("Invalid resource format: 'Resource.reservation.principal' field with '%s' does not match the principal '%s' in 'Resource.reservations'", r.Reservation.GetPrincipal(), res.GetPrincipal())
			}
			if r.Reservation != nil && !labelsEqual(r.Reservation.Labels, res.Labels) {
				return errors.New("Invalid resource format: 'Resource.reservation.labels' field does not match the labels in 'Resource.reservations'")
			}
		default:
			return errors.New("Unsupported 'Resource.ReservationInfo.Type'")
		}
		return nil
	}
	if r.Role != nil {
		return errors.New("Invalid resource format: 'Resource.role' must not be set if there is more than one reservation in 'Resource.reservations'")
	}
	if r.Reservation != nil {
		return errors.New("Invalid resource format: 'Resource.reservation' must not be set if there is more than one reservation in 'Resource.reservations'")
	}
	return nil
}

func labelsEqual(a, b *mesos.Labels) bool {
	if a == nil || len(a.Labels) == 0 {
		return b == nil || len(b.Labels) == 0
	}
	return a.Equal(b)
}

// ValidateAll checks every resource and names the first invalid one, like
// Resources::validate(RepeatedPtrField).
func ValidateAll(rs []mesos.Resource) error {
	for _, r := range rs {
		if err := Validate(r); err != nil {
			return errorf("Resource '%s' is invalid: %v", String(r), err)
		}
	}
	return nil
}

// Upgrade converts r to the "post reservation refinement" format (the
// `reservations` stack), the format the local master keeps internally.
func Upgrade(r mesos.Resource) mesos.Resource {
	c := Clone(r)
	if len(c.Reservations) > 0 {
		c.Role = nil
		c.Reservation = nil
		return c
	}
	role := c.GetRole()
	if role == "*" {
		c.Role = nil
		c.Reservation = nil
		return c
	}
	var res mesos.Resource_ReservationInfo
	if c.Reservation == nil {
		t := mesos.Resource_ReservationInfo_STATIC
		res.Type = &t
	} else {
		res = *c.Reservation
		t := mesos.Resource_ReservationInfo_DYNAMIC
		res.Type = &t
	}
	res.Role = &role
	c.Reservations = []mesos.Resource_ReservationInfo{res}
	c.Role = nil
	c.Reservation = nil
	return c
}

// UpgradeAll upgrades every resource.
func UpgradeAll(rs []mesos.Resource) []mesos.Resource {
	if rs == nil {
		return nil
	}
	out := make([]mesos.Resource, len(rs))
	for i, r := range rs {
		out[i] = Upgrade(r)
	}
	return out
}

// Downgrade converts r to the "pre reservation refinement" format (`role`
// and `reservation`) for frameworks without RESERVATION_REFINEMENT. Refined
// reservations cannot be expressed in that format.
func Downgrade(r mesos.Resource) (mesos.Resource, error) {
	if HasRefinedReservations(r) {
		return r, errors.New("Cannot downgrade resources containing refined reservations")
	}
	c := Clone(r)
	if len(c.Reservations) == 0 {
		star := "*"
		c.Role = &star
		return c, nil
	}
	res := c.Reservations[0]
	if res.GetType() == mesos.Resource_ReservationInfo_DYNAMIC {
		target := &mesos.Resource_ReservationInfo{Principal: res.Principal, Labels: res.Labels}
		c.Reservation = target
	}
	role := res.GetRole()
	c.Role = &role
	c.Reservations = nil
	return c, nil
}
