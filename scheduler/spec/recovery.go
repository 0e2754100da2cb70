package spec

import (
	"encoding/json"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Recovery options (DC/OS Kafka "Recovery and Health Checks"; names and
// defaults as its options.json documents them). DC/OS's SDK never honoured
// them; this scheduler does, see package recovery.
const (
	// DefaultRecoverInPlaceGracePeriodSeconds is how long an agent must
	// have been unreachable or gone before its broker may be replaced
	// automatically.
	DefaultRecoverInPlaceGracePeriodSeconds = 1200
	// DefaultMinDelayBetweenRecoversSeconds spaces automatic replacements.
	DefaultMinDelayBetweenRecoversSeconds = 600
	// MinRecoverInPlaceGracePeriodSeconds is the least grace period: an
	// agent that is slow to answer for a moment must not cost a broker
	// its data.
	MinRecoverInPlaceGracePeriodSeconds = 1
)

// Recovery is a service's recovery options as durations.
type Recovery struct {
	EnableReplacement bool
	GracePeriod       time.Duration
	MinDelay          time.Duration
}

// Recovery returns the service's recovery options.
func (s ServiceSpec) Recovery() Recovery {
	o := s.Options.Service
	return Recovery{
		EnableReplacement: o.EnableReplacement,
		GracePeriod:       time.Duration(o.RecoverInPlaceGracePeriodSeconds) * time.Second,
		MinDelay:          time.Duration(o.MinDelayBetweenRecoversSeconds) * time.Second,
	}
}

func validateRecovery(ps *validation.Problems, o ServiceOptions) {
	between(ps, "service.recover_in_place_grace_period_secs", o.RecoverInPlaceGracePeriodSeconds, MinRecoverInPlaceGracePeriodSeconds, MaxSeconds, "seconds")
	between(ps, "service.min_delay_between_recovers_secs", o.MinDelayBetweenRecoversSeconds, 0, MaxSeconds, "seconds")
}

// defaultRecoveryOptions gives a stored spec from before the recovery
// options existed their defaults instead of Go's zero values.
func defaultRecoveryOptions(o *ServiceOptions, stored map[string]json.RawMessage) {
	if _, ok := stored["recover_in_place_grace_period_secs"]; !ok {
		o.RecoverInPlaceGracePeriodSeconds = DefaultRecoverInPlaceGracePeriodSeconds
	}
	if _, ok := stored["min_delay_between_recovers_secs"]; !ok {
		o.MinDelayBetweenRecoversSeconds = DefaultMinDelayBetweenRecoversSeconds
	}
}
