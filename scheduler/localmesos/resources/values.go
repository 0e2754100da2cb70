package resources

import (
	"fmt"
	"sort"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func rangesOf(r mesos.Resource) []mesos.Value_Range {
	if r.Ranges == nil {
		return nil
	}
	return r.Ranges.Range
}

// normaliseRanges sorts and coalesces ranges (adjacent ranges merge).
func normaliseRanges(in []mesos.Value_Range) []mesos.Value_Range {
	if len(in) == 0 {
		return nil
	}
	rs := append([]mesos.Value_Range(nil), in...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Begin < rs[j].Begin })
	out := []mesos.Value_Range{rs[0]}
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.Begin <= last.End+1 {
			if r.End > last.End {
				last.End = r.End
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func rangesEqual(a, b []mesos.Value_Range) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rangesContain reports whether normalised a covers normalised b.
func rangesContain(a, b []mesos.Value_Range) bool {
	for _, r := range b {
		covered := false
		for _, x := range a {
			if x.Begin <= r.Begin && r.End <= x.End {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// rangesMinus removes normalised b from normalised a.
func rangesMinus(a, b []mesos.Value_Range) []mesos.Value_Range {
	out := append([]mesos.Value_Range(nil), a...)
	for _, cut := range b {
		var next []mesos.Value_Range
		for _, r := range out {
			if cut.End < r.Begin || cut.Begin > r.End {
				next = append(next, r)
				continue
			}
			if cut.Begin > r.Begin {
				next = append(next, mesos.Value_Range{Begin: r.Begin, End: cut.Begin - 1})
			}
			if cut.End < r.End {
				next = append(next, mesos.Value_Range{Begin: cut.End + 1, End: r.End})
			}
		}
		out = next
	}
	return out
}

// RangesContain reports whether the ranges have covers want.
func RangesContain(have, want []mesos.Value_Range) bool {
	return rangesContain(normaliseRanges(have), normaliseRanges(want))
}

func setEqual(a, b []string) bool { return setContains(a, b) && setContains(b, a) }

func setContains(a, b []string) bool {
	have := map[string]bool{}
	for _, x := range a {
		have[x] = true
	}
	for _, x := range b {
		if !have[x] {
			return false
		}
	}
	return true
}

func setUnion(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		if !setContains(out, []string{x}) {
			out = append(out, x)
		}
	}
	return out
}

func setMinus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !setContains(b, []string{x}) {
			out = append(out, x)
		}
	}
	return out
}

// Scalar builds an unreserved scalar resource.
func Scalar(name string, value float64) mesos.Resource {
	t := mesos.SCALAR
	return mesos.Resource{Name: name, Type: &t, Scalar: &mesos.Value_Scalar{Value: value}}
}

// Ranges builds an unreserved ranges resource.
func Ranges(name string, ranges ...mesos.Value_Range) mesos.Resource {
	t := mesos.RANGES
	return mesos.Resource{Name: name, Type: &t, Ranges: &mesos.Value_Ranges{Range: normaliseRanges(ranges)}}
}

// MountDisk builds an unreserved MOUNT disk of size MB rooted at root.
func MountDisk(sizeMB float64, root string) mesos.Resource {
	r := Scalar("disk", sizeMB)
	r.Disk = &mesos.Resource_DiskInfo{Source: &mesos.Resource_DiskInfo_Source{
		Type:  mesos.Resource_DiskInfo_Source_MOUNT,
		Mount: &mesos.Resource_DiskInfo_Source_Mount{Root: &root},
	}}
	return r
}
