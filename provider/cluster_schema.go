package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A leaf is one setting of kafka_cluster that maps to one option of the
// scheduler's options JSON. The schema, the options sent, the options read
// back and the plan's list of changed fields are all built from this one
// table, so that they cannot disagree.
type leaf struct {
	// group is the nested object holding the setting ("" for top level).
	group string
	// name is the attribute name within the group.
	name string
	typ  attr.Type
	// option is the path of the option in the options JSON.
	option []string
	doc    string
	// validators are offline checks; everything else is checked by the
	// scheduler's own validation through the plan-time preview.
	strings []validator.String
	ints    []validator.Int64
	floats  []validator.Float64
}

// attr is the leaf's address in the configuration ("brokers.mem").
func (l leaf) attr() string {
	if l.group == "" {
		return l.name
	}
	return l.group + "." + l.name
}

var strategies = []string{"serial", "parallel", "serial-canary", "parallel-canary"}

// Groups of settings (nested objects).
const (
	groupBrokers   = "brokers"
	groupReadiness = "readiness_check"
	groupHealth    = "health_check"
)

var groupDocs = map[string]string{
	groupBrokers: "The brokers: how many, their resources, their persistent volume and the Kafka distribution they run. " +
		"Settings left out keep the scheduler's value (its default at install).",
	groupReadiness: "How the scheduler checks that a broker it (re)started is ready (its `started` log line) before the next step of a deploy or update.",
	groupHealth:    "The brokers' health check (DC/OS `service.health_check`). Only the `PORT` method is supported.",
}

var leaves = []leaf{
	{name: "placement_constraint", typ: types.StringType, option: []string{"service", "placement_constraint"},
		doc: "Marathon-style placement constraint, for example `[[\"hostname\",\"MAX_PER\",\"1\"]]` (the default: one broker per agent) or `hostname:UNIQUE`; `\"\"` places anywhere. A change applies to brokers launched or replaced afterwards and restarts none."},
	{name: "placement_strategy", typ: types.StringType, option: []string{"service", "placement_strategy"},
		doc:     "Legacy DC/OS placement: `ANY` or `NODE` (one broker per agent). It replaces `placement_constraint` and cannot change after install.",
		strings: []validator.String{stringvalidator.OneOf("ANY", "NODE")}},
	{name: "deploy_strategy", typ: types.StringType, option: []string{"service", "deploy_strategy"},
		doc:     "Order of the brokers in deploy plans: `serial` (default), `parallel`, `serial-canary` or `parallel-canary`.",
		strings: []validator.String{stringvalidator.OneOf(strategies...)}},
	{name: "update_strategy", typ: types.StringType, option: []string{"service", "update_strategy"},
		doc:     "Order of the brokers in update plans (rolling restarts): `serial`, `parallel`, `serial-canary` or `parallel-canary`. Needs a scheduler that supports `service.update_strategy`; the plan says so otherwise.",
		strings: []validator.String{stringvalidator.OneOf(strategies...)}},
	{name: "user", typ: types.StringType, option: []string{"service", "user"},
		doc: "OS user the brokers run as (default `nobody`). Cannot change after install."},
	{name: "region", typ: types.StringType, option: []string{"service", "region"},
		doc: "Fault-domain region every broker is placed in; unset leaves the region free. Cannot change after install."},

	{group: groupBrokers, name: "count", typ: types.Int64Type, option: []string{"brokers", "count"},
		doc:  "Number of brokers (default 3). It can grow (new brokers are launched, none restarts) but never shrink: a decrease is refused at plan.",
		ints: []validator.Int64{int64validator.AtLeast(1)}},
	{group: groupBrokers, name: "cpus", typ: types.Float64Type, option: []string{"brokers", "cpus"},
		doc:    "CPUs per broker (default 1). A change restarts every broker, one after another.",
		floats: []validator.Float64{float64validator.AtLeast(0.01)}},
	{group: groupBrokers, name: "mem", typ: types.Float64Type, option: []string{"brokers", "mem"},
		doc:    "Memory per broker in MB, JVM heap included (default 2048). A change restarts every broker, one after another.",
		floats: []validator.Float64{float64validator.AtLeast(1)}},
	{group: groupBrokers, name: "heap", typ: types.Int64Type, option: []string{"brokers", "heap", "size"},
		doc:  "JVM heap per broker in MB (`-Xms`/`-Xmx`, default 512); it must fit in `mem`.",
		ints: []validator.Int64{int64validator.AtLeast(1)}},
	{group: groupBrokers, name: "disk", typ: types.Float64Type, option: []string{"brokers", "disk"},
		doc:    "Size of each broker's persistent volume in MB (default 5000). Cannot change after install: replace the cluster (`terraform apply -replace`), which loses all data.",
		floats: []validator.Float64{float64validator.AtLeast(1)}},
	{group: groupBrokers, name: "disk_type", typ: types.StringType, option: []string{"brokers", "disk_type"},
		doc:     "`ROOT` (a slice of the agent's work disk, default) or `MOUNT` (a dedicated disk). Cannot change after install.",
		strings: []validator.String{stringvalidator.OneOf("ROOT", "MOUNT")}},
	{group: groupBrokers, name: "disk_path", typ: types.StringType, option: []string{"brokers", "disk_path"},
		doc: "Where the volume appears in the broker's sandbox (default `kafka-broker-data`). Cannot change after install."},
	{group: groupBrokers, name: "port", typ: types.Int64Type, option: []string{"brokers", "port"},
		doc:  "Broker port; 0 (default) takes one from each agent's offer. A fixed port allows one broker per agent.",
		ints: []validator.Int64{int64validator.Between(0, 65535)}},
	{group: groupBrokers, name: "kill_grace_period", typ: types.Int64Type, option: []string{"brokers", "kill_grace_period"},
		doc:  "Seconds a broker may take to shut down (controlled shutdown) after SIGTERM before it is killed (default 30).",
		ints: []validator.Int64{int64validator.AtLeast(0)}},
	{group: groupBrokers, name: "kafka_uri", typ: types.StringType, option: []string{"brokers", "kafka_uri"},
		doc: "Kafka distribution tarball the Mesos fetcher downloads (default Apache Kafka 3.9.1; `kafka-scheduler dev` defaults to its dev stand-in). A change rolls the brokers."},
	{group: groupBrokers, name: "kafka_version_path", typ: types.StringType, option: []string{"brokers", "kafka_version_path"},
		doc: "Top folder of the Kafka tarball, for example `kafka_2.13-3.9.1`."},
	{group: groupBrokers, name: "java_uri", typ: types.StringType, option: []string{"brokers", "java_uri"},
		doc: "Optional Java runtime tarball; unset uses the agent's Java."},

	{group: groupReadiness, name: "interval", typ: types.Int64Type, option: []string{"service", "readiness_check", "interval"},
		doc: "Seconds between checks.", ints: []validator.Int64{int64validator.AtLeast(1)}},
	{group: groupReadiness, name: "delay", typ: types.Int64Type, option: []string{"service", "readiness_check", "delay"},
		doc: "Seconds before the first check.", ints: []validator.Int64{int64validator.AtLeast(0)}},
	{group: groupReadiness, name: "timeout", typ: types.Int64Type, option: []string{"service", "readiness_check", "timeout"},
		doc: "Seconds one check may take.", ints: []validator.Int64{int64validator.AtLeast(1)}},

	{group: groupHealth, name: "enabled", typ: types.BoolType, option: []string{"service", "health_check", "enabled"},
		doc: "Whether the health check runs (default false)."},
	{group: groupHealth, name: "method", typ: types.StringType, option: []string{"service", "health_check", "method"},
		doc: "Check method; only `PORT` is supported."},
	{group: groupHealth, name: "interval", typ: types.Int64Type, option: []string{"service", "health_check", "interval"},
		doc: "Seconds between checks.", ints: []validator.Int64{int64validator.AtLeast(1)}},
	{group: groupHealth, name: "delay", typ: types.Int64Type, option: []string{"service", "health_check", "delay"},
		doc: "Seconds before the first check.", ints: []validator.Int64{int64validator.AtLeast(0)}},
	{group: groupHealth, name: "timeout", typ: types.Int64Type, option: []string{"service", "health_check", "timeout"},
		doc: "Seconds one check may take.", ints: []validator.Int64{int64validator.AtLeast(1)}},
	{group: groupHealth, name: "grace_period", typ: types.Int64Type, option: []string{"service", "health_check", "grace-period"},
		doc: "Seconds after start during which failures do not count.", ints: []validator.Int64{int64validator.AtLeast(0)}},
	{group: groupHealth, name: "max_consecutive_failures", typ: types.Int64Type, option: []string{"service", "health_check", "max-consecutive-failures"},
		doc: "Failures in a row after which the broker is restarted.", ints: []validator.Int64{int64validator.AtLeast(1)}},
	{group: groupHealth, name: "topic_prefix", typ: types.StringType, option: []string{"service", "health_check", "health-check-topic-prefix"},
		doc: "Prefix of the health check's topic."},
}

// serverPropertiesOption is where server_properties travels.
var serverPropertiesOption = []string{"kafka", "server_properties"}

// groupAttrTypes returns the attribute types of a group's object.
func groupAttrTypes(group string) map[string]attr.Type {
	out := map[string]attr.Type{}
	for _, l := range leaves {
		if l.group == group {
			out[l.name] = l.typ
		}
	}
	return out
}

// groups lists the nested groups in schema order.
var groups = []string{groupBrokers, groupReadiness, groupHealth}

// clusterResourceSchema is kafka_cluster's schema. Every setting is
// Optional and Computed: what the configuration leaves out keeps the
// scheduler's value (its default at install), so defaults never show as a
// diff and an import is plan-clean; what the configuration sets is
// compared with what the scheduler reports, so a change made outside
// Terraform shows as drift.
func clusterResourceSchema(ctx context.Context) schema.Schema {
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Description:   "The service name (the import id).",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			Description: "Name of the Kafka service in the scheduler: lowercase letters, digits and hyphens, optionally in folders (`prod/kafka`). " +
				"Each service is its own Mesos framework (role `<name>-role`). Changing it replaces the cluster: every broker and all its data is deleted.",
			Required:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		},
		"server_properties": schema.MapAttribute{
			Description: "Kafka broker properties, with Kafka's own names (`log.retention.hours`, `num.partitions`, `min.insync.replicas`, ...). " +
				"The scheduler maps keys that have a DC/OS option onto that option and renders the rest as they are. " +
				"Keys the scheduler owns (`broker.id`, `listeners`, `advertised.listeners`, `log.dirs`, `zookeeper.connect`, `node.id`, `process.roles`) are refused at plan. " +
				"The map is compared as a whole: keys added outside Terraform show as drift. Set `{}` to remove every key.",
			ElementType:   types.StringType,
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
		},
		"config_id": schema.StringAttribute{
			Description: "Id of the scheduler's target configuration; every accepted change makes a new one. Updates send it as `If-Match`, " +
				"so a change made through the API after the plan fails the apply instead of being overwritten.",
			Computed: true,
		},
		"framework_id": schema.StringAttribute{
			Description:   "Mesos framework id of the service.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"bootstrap_servers": schema.StringAttribute{
			Description:   "The brokers' `host:port` addresses, comma-joined, for Kafka clients' `bootstrap.servers`.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"broker_addresses": schema.ListAttribute{
			Description:   "The brokers' `host:port` addresses, broker 0 first.",
			ElementType:   types.StringType,
			Computed:      true,
			PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
		},
		"broker_dns": schema.ListAttribute{
			Description:   "The brokers' `name:port` DNS addresses (Mesos-DNS names), broker 0 first.",
			ElementType:   types.StringType,
			Computed:      true,
			PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
		},
		"vip": schema.StringAttribute{
			Description:   "The brokers' virtual IP address (`broker.<name>.l4lb.thisdcos.directory:9092` style), when the scheduler publishes one.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"zookeeper_connect": schema.StringAttribute{
			Description:   "ZooKeeper connect string of the brokers (the service's znode).",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
	}
	for _, l := range leaves {
		if l.group == "" {
			attrs[l.name] = resourceLeaf(l)
		}
	}
	for _, g := range groups {
		inner := map[string]schema.Attribute{}
		for _, l := range leaves {
			if l.group == g {
				inner[l.name] = resourceLeaf(l)
			}
		}
		attrs[g] = schema.SingleNestedAttribute{
			Description:   groupDocs[g],
			Attributes:    inner,
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
		}
	}
	return schema.Schema{
		Description: "A Kafka cluster (a service of kafka-scheduler on Apache Mesos). `terraform plan` asks the scheduler which brokers an apply " +
			"would restart or launch, in order, and refuses at plan what the scheduler would refuse; `terraform apply` waits for " +
			"the scheduler's deploy or update plan within `timeouts`.",
		Attributes: attrs,
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long a create may wait for the deploy plan (default `30m`).",
				UpdateDescription: "How long an update may wait for the update plan (default `60m`).",
				DeleteDescription: "How long a destroy may wait for the uninstall (default `30m`).",
			}),
		},
	}
}

// resourceLeaf is the resource schema attribute of a leaf: Optional and
// Computed, keeping the prior value when the configuration leaves it out.
func resourceLeaf(l leaf) schema.Attribute {
	switch l.typ {
	case types.StringType:
		return schema.StringAttribute{Description: l.doc, Optional: true, Computed: true, Validators: l.strings,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	case types.Int64Type:
		return schema.Int64Attribute{Description: l.doc, Optional: true, Computed: true, Validators: l.ints,
			PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}}
	case types.Float64Type:
		return schema.Float64Attribute{Description: l.doc, Optional: true, Computed: true, Validators: l.floats,
			PlanModifiers: []planmodifier.Float64{float64planmodifier.UseStateForUnknown()}}
	case types.BoolType:
		return schema.BoolAttribute{Description: l.doc, Optional: true, Computed: true,
			PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}}
	}
	panic(fmt.Sprintf("leaf %s has the unsupported type %s", l.attr(), l.typ))
}

// clusterDataSourceSchema is the data source's schema: the name, and every
// setting and endpoint as the scheduler reports them.
func clusterDataSourceSchema() dschema.Schema {
	attrs := map[string]dschema.Attribute{
		"id":                dschema.StringAttribute{Description: "The service name.", Computed: true},
		"name":              dschema.StringAttribute{Description: "Name of the Kafka service in the scheduler.", Required: true},
		"server_properties": dschema.MapAttribute{Description: "Kafka broker properties set on the service (`kafka.server_properties`).", ElementType: types.StringType, Computed: true},
		"config_id":         dschema.StringAttribute{Description: "Id of the scheduler's target configuration.", Computed: true},
		"framework_id":      dschema.StringAttribute{Description: "Mesos framework id of the service.", Computed: true},
		"bootstrap_servers": dschema.StringAttribute{Description: "The brokers' `host:port` addresses, comma-joined.", Computed: true},
		"broker_addresses":  dschema.ListAttribute{Description: "The brokers' `host:port` addresses, broker 0 first.", ElementType: types.StringType, Computed: true},
		"broker_dns":        dschema.ListAttribute{Description: "The brokers' `name:port` DNS addresses, broker 0 first.", ElementType: types.StringType, Computed: true},
		"vip":               dschema.StringAttribute{Description: "The brokers' virtual IP address, when published.", Computed: true},
		"zookeeper_connect": dschema.StringAttribute{Description: "ZooKeeper connect string of the brokers.", Computed: true},
		"status":            dschema.StringAttribute{Description: "Status of the service's deploy plan (`COMPLETE`, `IN_PROGRESS`, ...).", Computed: true},
	}
	for _, l := range leaves {
		if l.group == "" {
			attrs[l.name] = dataSourceLeaf(l)
		}
	}
	for _, g := range groups {
		inner := map[string]dschema.Attribute{}
		for _, l := range leaves {
			if l.group == g {
				inner[l.name] = dataSourceLeaf(l)
			}
		}
		attrs[g] = dschema.SingleNestedAttribute{Description: groupDocs[g], Attributes: inner, Computed: true}
	}
	return dschema.Schema{
		Description: "Reads a Kafka cluster (a service of kafka-scheduler) by name: its settings, as the scheduler reports them with every default filled in, and its endpoints.",
		Attributes:  attrs,
	}
}

func dataSourceLeaf(l leaf) dschema.Attribute {
	switch l.typ {
	case types.StringType:
		return dschema.StringAttribute{Description: l.doc, Computed: true}
	case types.Int64Type:
		return dschema.Int64Attribute{Description: l.doc, Computed: true}
	case types.Float64Type:
		return dschema.Float64Attribute{Description: l.doc, Computed: true}
	case types.BoolType:
		return dschema.BoolAttribute{Description: l.doc, Computed: true}
	}
	panic(fmt.Sprintf("leaf %s has the unsupported type %s", l.attr(), l.typ))
}
