package spec

import (
	"encoding/json"
	"time"
)

// RestartGate is how the scheduler guards every broker restart it makes
// (service.rolling_restart_safety_check and service.isr_wait_timeout_secs).
type RestartGate struct {
	// SafetyCheck is true when a broker may stop only once no partition
	// it replicates is offline, under-replicated or would fall below its
	// min.insync.replicas, and its restart step completes only once it is
	// back in the ISR of every partition it replicates.
	SafetyCheck bool
	// ISRWait bounds the wait for a restarted broker to rejoin the ISR;
	// when it runs out, the step goes to ERROR.
	ISRWait time.Duration
}

// RestartGate returns the spec's restart gate.
func (s ServiceSpec) RestartGate() RestartGate {
	return RestartGate{
		SafetyCheck: s.Options.Service.RollingRestartSafetyCheck,
		ISRWait:     time.Duration(s.Options.Service.ISRWaitTimeoutSeconds) * time.Second,
	}
}

// UnmarshalJSON reads a stored spec. Specs stored before the rolling
// options existed lack them; they get their defaults (the safety check on,
// the default ISR wait, the serial update strategy) rather than Go's zero
// values, which would silently turn the safety check off.
func (s *ServiceSpec) UnmarshalJSON(data []byte) error {
	type plain ServiceSpec
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var present struct {
		UpdateStrategy *string `json:"update_strategy"`
		Options        struct {
			Service map[string]json.RawMessage `json:"service"`
		} `json:"options"`
	}
	if err := json.Unmarshal(data, &present); err != nil {
		return err
	}
	svc := present.Options.Service
	if _, ok := svc["update_strategy"]; !ok {
		p.Options.Service.UpdateStrategy = DefaultUpdateStrategy
	}
	if _, ok := svc["rolling_restart_safety_check"]; !ok {
		p.Options.Service.RollingRestartSafetyCheck = true
	}
	if _, ok := svc["isr_wait_timeout_secs"]; !ok {
		p.Options.Service.ISRWaitTimeoutSeconds = DefaultISRWaitTimeoutSeconds
	}
	defaultRecoveryOptions(&p.Options.Service, svc)
	if present.UpdateStrategy == nil {
		if canonical, err := normalizeStrategy(p.Options.Service.UpdateStrategy); err == nil {
			p.UpdateStrategy = canonical
		} else {
			p.UpdateStrategy = DefaultUpdateStrategy
		}
	}
	*s = ServiceSpec(p)
	return nil
}
