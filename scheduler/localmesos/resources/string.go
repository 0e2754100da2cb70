package resources

import (
	"strconv"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// String renders r the way Mesos prints a Resource in its messages, for
// example `cpus(allocated: r)(reservations: [(DYNAMIC,r,p,{resource_id: a})]):1`.
func String(r mesos.Resource) string {
	var b strings.Builder
	b.WriteString(r.Name)
	if r.AllocationInfo != nil {
		b.WriteString("(allocated: " + r.AllocationInfo.GetRole() + ")")
	}
	if len(r.Reservations) > 0 {
		b.WriteString("(reservations: [")
		for i, res := range r.Reservations {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(reservationString(res))
		}
		b.WriteString("])")
	} else if r.Role != nil && *r.Role != "*" {
		b.WriteString("(" + *r.Role)
		if r.Reservation != nil {
			b.WriteString(", " + r.Reservation.GetPrincipal())
		}
		b.WriteString(")")
	}
	if r.Disk != nil {
		b.WriteString("[" + diskString(*r.Disk) + "]")
	}
	if r.Revocable != nil {
		b.WriteString("{REV}")
	}
	if r.Shared != nil {
		b.WriteString("<SHARED>")
	}
	b.WriteString(":")
	switch valueType(r) {
	case mesos.SCALAR:
		b.WriteString(strconv.FormatFloat(r.GetScalar().GetValue(), 'f', -1, 64))
	case mesos.RANGES:
		b.WriteString(RangesString(rangesOf(r)))
	case mesos.SET:
		b.WriteString("{" + strings.Join(r.GetSet().GetItem(), ", ") + "}")
	}
	return b.String()
}

// RangesString renders ranges as Mesos does: [31000-31005, 31010-31010].
func RangesString(rs []mesos.Value_Range) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.FormatUint(r.Begin, 10) + "-" + strconv.FormatUint(r.End, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func reservationString(res mesos.Resource_ReservationInfo) string {
	s := "(" + res.GetType().String() + "," + res.GetRole()
	if res.Principal != nil {
		s += "," + *res.Principal
	}
	if res.Labels != nil {
		s += "," + LabelsString(res.Labels)
	}
	return s + ")"
}

// LabelsString renders labels as {key: value, key2: value2}.
func LabelsString(ls *mesos.Labels) string {
	parts := make([]string, 0, len(ls.GetLabels()))
	for _, l := range ls.GetLabels() {
		parts = append(parts, l.Key+": "+l.GetValue())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func diskString(d mesos.Resource_DiskInfo) string {
	var s string
	if src := d.Source; src != nil {
		s = src.Type.String()
		switch {
		case src.Mount != nil && src.Mount.Root != nil:
			s += ":" + *src.Mount.Root
		case src.Path != nil && src.Path.Root != nil:
			s += ":" + *src.Path.Root
		}
	}
	if d.Persistence != nil {
		if s != "" {
			s += ","
		}
		s += d.Persistence.ID
	}
	if d.Volume != nil {
		s += ":" + d.Volume.ContainerPath
	}
	return s
}

// String renders the resources separated by "; ", as Mesos does.
func (rs Resources) String() string {
	if len(rs) == 0 {
		return "{}"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = String(r)
	}
	return strings.Join(parts, "; ")
}
