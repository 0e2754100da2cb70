package spec

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/placement"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Limits from DC/OS Kafka's config.json and the SDK's validators.
const (
	maxNameLength            = 63 // ServiceNameCannotBreakDNS, slashes not counted
	minReadinessInterval     = 5
	minReadinessTimeout      = 10
	minHealthInterval        = 60
	minCPUs                  = 0.1
	maxPort                  = 65535
	deployStrategiesAccepted = "serial, parallel, serial-canary or parallel-canary"
)

// DeployStrategies lists the accepted values of service.deploy_strategy
// and service.update_strategy ("canary", DC/OS's alias of serial-canary,
// is accepted too).
func DeployStrategies() []string {
	return []string{"serial", "parallel", "serial-canary", "parallel-canary"}
}

var (
	nameSegment     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	userPattern     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*\$?$`)
	folderPattern   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	diskPathPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)
	// topicPrefixPattern is Kafka's legal topic name characters.
	topicPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// Validate checks every option and returns every problem found. It does not
// compare with a previous configuration; see ValidateUpdate for that.
func (o Options) Validate() validation.Problems {
	var ps validation.Problems
	validateName(&ps, o.Service.Name)
	validateUser(&ps, o.Service.User)
	constraints, placementOK := validatePlacement(&ps, o.Service)
	if _, err := normalizeStrategy(o.Service.DeployStrategy); err != nil {
		ps.Add("service.deploy_strategy", o.Service.DeployStrategy, "must be one of "+deployStrategiesAccepted)
	}
	if _, err := normalizeStrategy(o.Service.UpdateStrategy); err != nil {
		ps.Add("service.update_strategy", o.Service.UpdateStrategy, "must be one of "+deployStrategiesAccepted)
	}
	between(&ps, "service.isr_wait_timeout_secs", o.Service.ISRWaitTimeoutSeconds, MinISRWaitTimeoutSeconds, MaxISRWaitTimeoutSeconds, "seconds")
	validateRecovery(&ps, o.Service)
	validateReadiness(&ps, o.Service.ReadinessCheck)
	validateHealth(&ps, o.Service.HealthCheck)
	validateSecrets(&ps, o)
	validateBrokers(&ps, o.Brokers, o.Kafka.Effective().ReservedBrokerMaxID)
	if placementOK && o.Brokers.Port != 0 && !constraints.AtMostOnePerHost() {
		ps.Add("brokers.port", strconv.Itoa(o.Brokers.Port),
			`a fixed broker port needs at most one broker per agent: set service.placement_constraint to [["hostname","UNIQUE"]] (or service.placement_strategy to NODE), or set brokers.port to 0 to take ports from offers`)
	}
	ps.Merge("kafka", o.Kafka.Validate())
	return ps
}

func validateName(ps *validation.Problems, name string) {
	const field = "service.name"
	switch {
	case name == "":
		ps.Add(field, "", `is required: lowercase letters, digits and hyphens, optionally in folders such as "prod/kafka"`)
	case strings.Contains(name, "__"):
		ps.Add(field, name, `must not contain "__" (in ZooKeeper, folders are stored with "/" replaced by "__")`)
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		ps.Add(field, name, `must not start or end with "/" or contain an empty folder: write folders as "prod/kafka"`)
	default:
		for _, seg := range strings.Split(name, "/") {
			if !nameSegment.MatchString(seg) {
				ps.Addf(field, name, "%q must be lowercase letters, digits and hyphens, starting and ending with a letter or digit", seg)
				return
			}
		}
	}
	if n := len(strings.ReplaceAll(name, "/", "")); n > maxNameLength {
		ps.Addf(field, name, "must be at most %d characters not counting \"/\" (it becomes part of DNS names); it has %d", maxNameLength, n)
	}
}

func validateUser(ps *validation.Problems, user string) {
	if tooLong(ps, "service.user", user, MaxUserLength) {
		return
	}
	if !userPattern.MatchString(user) {
		ps.Add("service.user", user, "must be a Unix user name such as nobody or root")
	}
}

// validatePlacement checks placement_strategy and placement_constraint and
// returns the effective constraints (and whether they could be worked out).
func validatePlacement(ps *validation.Problems, s ServiceOptions) (placement.Constraints, bool) {
	if tooLong(ps, "service.placement_constraint", s.PlacementConstraint, MaxURILength) ||
		tooLong(ps, "service.region", s.Region, MaxPathLength) {
		return nil, false
	}
	cs, err := effectivePlacement(s)
	if err == nil {
		return cs, true
	}
	var strategyErr *placementStrategyError
	var parseErr *placement.ParseError
	switch {
	case errors.As(err, &strategyErr):
		ps.Add("service.placement_strategy", s.PlacementStrategy, strategyErr.rule)
	case errors.As(err, &parseErr):
		ps.Add("service.placement_constraint", s.PlacementConstraint, strings.Join(parseErr.Problems, "; "))
	default:
		ps.Add("service.placement_constraint", s.PlacementConstraint, err.Error())
	}
	return nil, false
}

type placementStrategyError struct{ rule string }

func (e *placementStrategyError) Error() string { return e.rule }

// effectivePlacement works out the constraints brokers are placed with:
// the legacy placement_strategy when set (ANY: none, NODE: hostname:UNIQUE),
// otherwise placement_constraint; plus @region:IS:<region> when a region
// is pinned.
func effectivePlacement(s ServiceOptions) (placement.Constraints, error) {
	var cs placement.Constraints
	switch s.PlacementStrategy {
	case "":
		var err error
		if cs, err = placement.Parse(s.PlacementConstraint); err != nil {
			return nil, err
		}
	case "ANY", "NODE":
		if s.PlacementConstraint != "" && !placement.MustParse(DefaultPlacementConstraint).Equal(parseOrNil(s.PlacementConstraint)) {
			return nil, &placementStrategyError{"set either service.placement_strategy (legacy) or service.placement_constraint, not both"}
		}
		if s.PlacementStrategy == "NODE" {
			cs = placement.MustParse("hostname:UNIQUE")
		}
	default:
		return nil, &placementStrategyError{"must be ANY or NODE"}
	}
	if s.Region != "" {
		region, err := placement.Parse(placement.FieldRegion + ":IS:" + strings.ReplaceAll(s.Region, ",", `\,`))
		if err != nil {
			return nil, err
		}
		cs = append(cs, region...)
	}
	return cs, nil
}

func parseOrNil(s string) placement.Constraints {
	cs, err := placement.Parse(s)
	if err != nil {
		return nil
	}
	return cs
}

// normalizeStrategy maps the deploy strategy to its canonical name.
func normalizeStrategy(s string) (string, error) {
	if s == "canary" {
		return "serial-canary", nil
	}
	for _, known := range DeployStrategies() {
		if s == known {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown deploy strategy %q", s)
}

func validateReadiness(ps *validation.Problems, r ReadinessCheckOptions) {
	between(ps, "service.readiness_check.interval", r.IntervalSeconds, minReadinessInterval, MaxSeconds, "seconds")
	between(ps, "service.readiness_check.delay", r.DelaySeconds, 0, MaxSeconds, "seconds")
	between(ps, "service.readiness_check.timeout", r.TimeoutSeconds, minReadinessTimeout, MaxSeconds, "seconds")
}

func validateHealth(ps *validation.Problems, h HealthCheckOptions) {
	switch h.Method {
	case "PORT":
	case "FUNCTIONAL":
		if h.Enabled {
			ps.Add("service.health_check.method", h.Method, "FUNCTIONAL health checks are not supported by this scheduler; use PORT")
		}
	default:
		ps.Add("service.health_check.method", h.Method, "must be PORT or FUNCTIONAL")
	}
	between(ps, "service.health_check.interval", h.IntervalSeconds, minHealthInterval, MaxSeconds, "seconds")
	between(ps, "service.health_check.delay", h.DelaySeconds, 0, MaxSeconds, "seconds")
	between(ps, "service.health_check.timeout", h.TimeoutSeconds, 1, MaxSeconds, "seconds")
	between(ps, "service.health_check.grace-period", h.GracePeriodSeconds, 0, MaxSeconds, "seconds")
	between(ps, "service.health_check.max-consecutive-failures", h.MaxConsecutiveFailures, 1, MaxConsecutiveFailures, "")
	if !tooLong(ps, "service.health_check.health-check-topic-prefix", h.TopicPrefix, MaxTopicPrefixLength) &&
		h.TopicPrefix != "" && !topicPrefixPattern.MatchString(h.TopicPrefix) {
		ps.Add("service.health_check.health-check-topic-prefix", h.TopicPrefix, `must be letters, digits, ".", "_" and "-" (it starts Kafka topic names)`)
	}
}

func validateBrokers(ps *validation.Problems, b BrokerOptions, reservedMaxID int) {
	between(ps, "brokers.count", b.Count, 1, MaxBrokers, "")
	if b.Count >= 1 && b.Count <= MaxBrokers && reservedMaxID >= 0 && b.Count > reservedMaxID+1 {
		ps.Addf("brokers.count", strconv.Itoa(b.Count),
			"must be at most %d: broker ids run from 0 to count-1 and must not exceed kafka.reserved_broker_max_id (%d)", reservedMaxID+1, reservedMaxID)
	}
	if b.CPUs < minCPUs || b.CPUs > MaxCPUs || math.IsNaN(b.CPUs) || math.IsInf(b.CPUs, 0) {
		ps.Addf("brokers.cpus", formatFloat(b.CPUs), "must be between %g and %d", minCPUs, MaxCPUs)
	}
	betweenFloat(ps, "brokers.mem", b.Mem, 0, MaxMemMB, true, "MB")
	between(ps, "brokers.heap.size", b.Heap.Size, 1, MaxMemMB, "MB")
	if b.Heap.Size > 0 && b.Mem > 0 && float64(b.Heap.Size) > b.Mem {
		ps.Addf("brokers.heap.size", strconv.Itoa(b.Heap.Size),
			"must not exceed brokers.mem (%s MB): the JVM heap lives inside the task's memory and the rest serves as page cache", formatFloat(b.Mem))
	}
	betweenFloat(ps, "brokers.disk", b.Disk, 0, MaxDiskMB, true, "MB")
	if b.DiskType != "ROOT" && b.DiskType != "MOUNT" {
		ps.Add("brokers.disk_type", b.DiskType, "must be ROOT or MOUNT")
	}
	if !tooLong(ps, "brokers.disk_path", b.DiskPath, MaxPathLength) &&
		(!diskPathPattern.MatchString(b.DiskPath) || hasDotDot(b.DiskPath)) {
		ps.Add("brokers.disk_path", b.DiskPath, `must be a relative path inside the sandbox made of letters, digits, ".", "_", "-" and "/", without ".."`)
	}
	if b.Port < 0 || b.Port > maxPort {
		ps.Add("brokers.port", strconv.Itoa(b.Port), "must be 0 (take a port from the offer) or a port number from 1 to 65535")
	}
	between(ps, "brokers.kill_grace_period", b.KillGracePeriod, 0, MaxSeconds, "seconds")
	validateURI(ps, "brokers.kafka_uri", b.KafkaURI, true)
	if !tooLong(ps, "brokers.kafka_version_path", b.KafkaVersionPath, MaxPathLength) &&
		(!folderPattern.MatchString(b.KafkaVersionPath) || b.KafkaVersionPath == "." || b.KafkaVersionPath == "..") {
		ps.Add("brokers.kafka_version_path", b.KafkaVersionPath,
			`must be the top folder of the Kafka tarball, such as kafka_2.13-3.9.1 (letters, digits, ".", "_" and "-")`)
	}
	validateURI(ps, "brokers.java_uri", b.JavaURI, false)
}

func validateURI(ps *validation.Problems, field, uri string, required bool) {
	if uri == "" {
		if required {
			ps.Add(field, "", "is required: the URI the Mesos fetcher downloads (http, https, file, hdfs or s3 URL, or an absolute path)")
		}
		return
	}
	if tooLong(ps, field, uri, MaxURILength) {
		return
	}
	u, err := url.Parse(uri)
	if err != nil || strings.ContainsAny(uri, " \t\n") || (u.Scheme == "" && !strings.HasPrefix(uri, "/")) {
		ps.Add(field, uri, "must be a URI the Mesos fetcher can download: an http, https, file, hdfs or s3 URL, or an absolute path")
	}
}

func hasDotDot(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return true
		}
	}
	return false
}

func atLeast(ps *validation.Problems, field string, v, minimum int, unit string) {
	if v >= minimum {
		return
	}
	if minimum == 0 {
		ps.Add(field, strconv.Itoa(v), "must not be negative")
		return
	}
	rule := fmt.Sprintf("must be at least %d", minimum)
	if minimum == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	if unit != "" {
		rule += " " + unit
	}
	ps.Add(field, strconv.Itoa(v), rule)
}

// formatFloat writes f in plain decimals ("2048", "0.5"), and in exponent
// form only when plain decimals would be unreadably long ("1e+308").
func formatFloat(f float64) string {
	if math.Abs(f) >= 1e15 {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
