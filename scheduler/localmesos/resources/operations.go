package resources

import (
	"errors"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Conversion is one step of a speculative operation: Consumed resources
// become Converted resources (ResourceConversion in Mesos).
type Conversion struct {
	Consumed  Resources
	Converted Resources
	// Check, when set, validates the result of the conversion.
	Check func(result Resources) error
}

// Conversions returns the conversions of a RESERVE, UNRESERVE, CREATE or
// DESTROY operation (getResourceConversions in Mesos). Resources must be in
// the post-refinement format.
func Conversions(op mesos.Offer_Operation) ([]Conversion, error) {
	switch op.Type {
	case mesos.Offer_Operation_RESERVE:
		reserved := New(op.GetReserve().GetResources()...)
		var consumed Resources
		if src := op.GetReserve().GetSource(); len(src) > 0 {
			consumed = New(src...)
		} else {
			for _, r := range reserved {
				consumed = consumed.Add(PopReservation(r))
			}
		}
		return []Conversion{{Consumed: consumed, Converted: reserved}}, nil
	case mesos.Offer_Operation_UNRESERVE:
		var out []Conversion
		for _, r := range op.GetUnreserve().GetResources() {
			out = append(out, Conversion{Consumed: New(r), Converted: New(PopReservation(r))})
		}
		return out, nil
	case mesos.Offer_Operation_CREATE:
		var out []Conversion
		for _, v := range op.GetCreate().GetVolumes() {
			out = append(out, Conversion{Consumed: New(StripVolume(v)), Converted: New(v)})
		}
		return out, nil
	case mesos.Offer_Operation_DESTROY:
		var out []Conversion
		for _, v := range op.GetDestroy().GetVolumes() {
			volume := v
			out = append(out, Conversion{
				Consumed:  New(v),
				Converted: New(StripVolume(v)),
				Check: func(result Resources) error {
					if result.ContainsOne(volume) {
						return errorf("Persistent volume %s cannot be removed due to additional shared copies", String(volume))
					}
					return nil
				},
			})
		}
		return out, nil
	case mesos.Offer_Operation_LAUNCH, mesos.Offer_Operation_LAUNCH_GROUP,
		mesos.Offer_Operation_CREATE_DISK, mesos.Offer_Operation_DESTROY_DISK:
		return nil, errors.New("Operation not supported")
	case mesos.Offer_Operation_GROW_VOLUME, mesos.Offer_Operation_SHRINK_VOLUME:
		return nil, errors.New("Operation not supported by the local Mesos")
	}
	return nil, errors.New("Unknown operation")
}

// Apply applies conversions to rs in order, failing like
// ResourceConversion::apply when rs lacks what a conversion consumes.
func (rs Resources) Apply(convs []Conversion) (Resources, error) {
	out := rs
	for _, c := range convs {
		if !out.Contains(c.Consumed) {
			return nil, errorf("%s does not contain %s", out, c.Consumed)
		}
		out = out.Minus(c.Consumed).Plus(c.Converted)
		if c.Check != nil {
			if err := c.Check(out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
