package plan

import "fmt"

// Strategy decides which children of a plan or phase may be worked on now.
type Strategy string

// The strategies DC/OS Kafka offers for `service.deploy_strategy`. Plans
// themselves (ordering their phases) take only Serial or Parallel.
const (
	// Serial works on one child at a time, in order.
	Serial Strategy = "serial"
	// Parallel works on every child at once.
	Parallel Strategy = "parallel"
	// SerialCanary holds the first two pending steps until an operator
	// continues once for each, then proceeds serially.
	SerialCanary Strategy = "serial-canary"
	// ParallelCanary holds the first two pending steps until an operator
	// continues once for each, then proceeds in parallel.
	ParallelCanary Strategy = "parallel-canary"
)

// canaryProceeds is how many continue commands a canary phase needs before
// its underlying strategy takes over (DC/OS CanaryStrategy default).
const canaryProceeds = 2

// ParseStrategy accepts the four phase strategy names, "canary" (the DC/OS
// alias of serial-canary) and "" (serial, as DC/OS treats a missing name).
func ParseStrategy(name string) (Strategy, error) {
	switch s := Strategy(name); s {
	case "":
		return Serial, nil
	case "canary":
		return SerialCanary, nil
	case Serial, Parallel, SerialCanary, ParallelCanary:
		return s, nil
	default:
		return "", fmt.Errorf("unsupported strategy %q: use serial, parallel, serial-canary or parallel-canary", name)
	}
}

// IsCanary reports whether the strategy holds its first steps for an
// operator's continue.
func (s Strategy) IsCanary() bool { return s == SerialCanary || s == ParallelCanary }

// underlying is the strategy a canary hands over to once it is released.
func (s Strategy) underlying() Strategy {
	switch s {
	case SerialCanary:
		return Serial
	case ParallelCanary:
		return Parallel
	default:
		return s
	}
}

// pick returns the indexes of the children a serial or parallel strategy
// would work on, given whether each child is complete and whether it is
// eligible (not complete, no errors, not interrupted, not busy). Serial
// offers only the first incomplete child, and only if it is eligible.
func (s Strategy) pick(n int, complete, eligible func(i int) bool) []int {
	var out []int
	for i := 0; i < n; i++ {
		if complete(i) {
			continue
		}
		if eligible(i) {
			out = append(out, i)
		}
		if s.underlying() == Serial {
			break
		}
	}
	return out
}
