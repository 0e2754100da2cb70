package rollout

import "slices"

// RestartOrder lists the brokers of u that restart, by broker id, with the
// active controller last. controller is the controller's broker id, or -1
// when it is not known (Kafka unreachable): the order is then by id alone,
// and the gate that checks each restart will wait for Kafka anyway.
func RestartOrder(u Update, controller int) []int {
	var ids []int
	controllerRestarts := false
	for _, b := range u.Brokers {
		if b.Action != Restart {
			continue
		}
		if b.ID == controller {
			controllerRestarts = true
			continue
		}
		ids = append(ids, b.ID)
	}
	slices.Sort(ids)
	if controllerRestarts {
		ids = append(ids, controller)
	}
	return ids
}

// StepOrder is the order of the steps of an update: the restarts of
// RestartOrder (by id, the active controller last), then the launches of
// new brokers by id. New brokers hold no replicas yet, so launching them
// last delays nothing, and the restarts never wait behind a broker that
// cannot find an offer.
//
// Brokers in down (launched, but not running now: killed out of band,
// failed) restart first, by id: relaunching them stops nothing, and until
// they are back in the ISR the restart gate would not let any healthy
// broker stop, so a roll that started with a healthy broker would wait
// behind them for good.
func StepOrder(u Update, controller int, down []int) []int {
	var first, rest []int
	for _, id := range RestartOrder(u, controller) {
		if slices.Contains(down, id) {
			first = append(first, id)
		} else {
			rest = append(rest, id)
		}
	}
	ids := append(first, rest...)
	for _, b := range u.Brokers {
		if b.Action == Launch {
			ids = append(ids, b.ID)
		}
	}
	return ids
}
