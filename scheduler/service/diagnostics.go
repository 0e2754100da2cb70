package service

// outcomeRing keeps the latest offer outcomes in a fixed ring: recording
// one is O(1), and the oldest is overwritten once the ring is full.
type outcomeRing struct {
	buf   []OfferOutcome
	next  int    // where the next outcome goes
	count uint64 // outcomes ever recorded; the ring's version
}

func newOutcomeRing(capacity int) *outcomeRing {
	return &outcomeRing{buf: make([]OfferOutcome, 0, capacity)}
}

// add records an outcome, overwriting the oldest when the ring is full.
func (r *outcomeRing) add(o OfferOutcome) {
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, o)
	} else {
		r.buf[r.next] = o
	}
	r.next = (r.next + 1) % cap(r.buf)
	r.count++
}

// version changes whenever an outcome is recorded.
func (r *outcomeRing) version() uint64 { return r.count }

// newestFirst copies the outcomes, newest first.
func (r *outcomeRing) newestFirst() []OfferOutcome {
	out := make([]OfferOutcome, 0, len(r.buf))
	for i := 1; i <= len(r.buf); i++ {
		out = append(out, r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return out
}
