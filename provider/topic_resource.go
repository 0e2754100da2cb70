package provider

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// Default waits of kafka_topic. Creates, config changes, partition
// increases and deletes return as soon as Kafka's metadata shows them; a
// replication factor change waits for the reassignment to copy the data.
const (
	defaultTopicCreateTimeout = 5 * time.Minute
	defaultTopicUpdateTimeout = 30 * time.Minute
	defaultTopicDeleteTimeout = 5 * time.Minute
)

// NewTopicResource is the kafka_topic resource.
func NewTopicResource() resource.Resource { return &topicResource{} }

type topicResource struct {
	sched *schedulerClient
}

var (
	_ resource.ResourceWithConfigure      = (*topicResource)(nil)
	_ resource.ResourceWithImportState    = (*topicResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*topicResource)(nil)
	_ resource.ResourceWithValidateConfig = (*topicResource)(nil)
)

func (r *topicResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_topic"
}

func (r *topicResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A Kafka topic of a `kafka_cluster`, managed through the scheduler's topic API. Only the configs the configuration " +
			"sets are tracked, so broker defaults never show as drift; a partition increase is in place and a decrease replaces the " +
			"topic (decided at plan, with a warning); a replication factor change is a reassignment that the apply waits for.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description:   "`<cluster>/<topic>`, also the import id.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"cluster": schema.StringAttribute{
				Description: "Name of the `kafka_cluster` (the scheduler's service name) that holds the topic. Reference " +
					"`kafka_cluster.<name>.name` so that Terraform creates the cluster first. Changing it replaces the topic.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{
				Description: "Topic name: at most 249 ASCII letters, digits, `.`, `_` and `-` (Kafka's rules, checked at plan). " +
					"Changing it replaces the topic, which deletes its records.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"partitions": schema.Int64Attribute{
				Description: "Partition count (at least 1; default the brokers' `num.partitions`). An increase is made in place; " +
					"a decrease replaces the topic (Kafka cannot remove partitions), which deletes its records; the plan says so.",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.Int64{int64validator.Between(1, 1<<31-1)},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"replication_factor": schema.Int64Attribute{
				Description: "Replicas per partition (at least 1, at most the cluster's broker count; default the brokers' " +
					"`default.replication.factor`). A change is made in place by partition reassignment, and the apply waits " +
					"until the new replicas have caught up; a factor above the cluster's broker count is refused at plan.",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.Int64{int64validator.Between(1, 1<<15-1)},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"config": schema.MapAttribute{
				Description: "Topic configs set on the topic itself (`retention.ms`, `cleanup.policy`, ...). Only these are tracked: " +
					"broker defaults never show as drift, while a config set on the topic outside Terraform does. Removing a key " +
					"resets it to the cluster's default. Unknown keys, broker properties, read-only keys and bad values are refused at plan.",
				ElementType: types.StringType,
				Optional:    true,
			},
			"topic_id": schema.StringAttribute{
				Description:   "Kafka's topic id (a UUID); it changes when the topic is deleted and created again.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long a create may take (default `5m`).",
				UpdateDescription: "How long an update may take, a reassignment included (default `30m`).",
				DeleteDescription: "How long a delete may take (default `5m`).",
			}),
		},
	}
}

func (r *topicResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.sched = providerClient(req.ProviderData, "kafka_topic", &resp.Diagnostics)
}

// ValidateConfig checks names and configs with the scheduler's own rules,
// so that terraform validate and plan refuse what the apply would.
// It reads only the attributes it checks (Terraform calls it for every
// topic of every plan).
func (r *topicResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg struct {
		Cluster, Name types.String
		Config        types.Map
	}
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("cluster"), &cfg.Cluster)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("name"), &cfg.Name)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("config"), &cfg.Config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateTopicName(cfg.Name)...)
	resp.Diagnostics.Append(validateTopicConfig(ctx, cfg.Config)...)
	if !cfg.Cluster.IsNull() && !cfg.Cluster.IsUnknown() && cfg.Cluster.ValueString() == "" {
		resp.Diagnostics.AddAttributeError(path.Root("cluster"), "Empty cluster", "cluster must name the kafka_cluster that holds the topic.")
	}
}

// ModifyPlan decides at plan what the apply would otherwise fail on: a
// partition decrease becomes a replacement with a warning, and a
// replication factor the cluster cannot hold is an error.
//
// Terraform calls it for every topic of every plan, so it reads only the
// attributes it decides on and writes only those it changes (decoding and
// encoding the whole model through reflection was most of a 1,000-topic
// plan's provider time); an unchanged topic costs a few attribute reads.
func (r *topicResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, state, config planAttrs
	resp.Diagnostics.Append(plan.read(ctx, req.Plan.GetAttribute)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(state.read(ctx, req.State.GetAttribute)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	set := func(p path.Path, v attr.Value) { resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, p, v)...) }
	if known(plan.Cluster) && known(plan.Name) {
		if id := topicID(plan.Cluster.ValueString(), plan.Name.ValueString()); plan.ID.IsUnknown() || plan.ID.ValueString() != id {
			set(path.Root("id"), types.StringValue(id))
		}
	}
	replace := len(resp.RequiresReplace) > 0
	if !creating && known(plan.Partitions) && known(state.Partitions) && plan.Partitions.ValueInt64() < state.Partitions.ValueInt64() {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("partitions"))
		replace = true
		resp.Diagnostics.AddAttributeWarning(path.Root("partitions"), "Topic will be replaced: its records are lost",
			fmt.Sprintf("Kafka cannot remove partitions, so lowering the partitions of topic %s from %d to %d deletes the topic, "+
				"WITH ALL ITS RECORDS, and creates it again empty. To keep the records, keep %d partitions.",
				state.ID.ValueString(), state.Partitions.ValueInt64(), plan.Partitions.ValueInt64(), state.Partitions.ValueInt64()))
	}
	if creating || replace {
		// A new topic: Kafka assigns its id, and the brokers' defaults
		// decide what the configuration leaves out.
		resp.Diagnostics.Append(config.read(ctx, req.Config.GetAttribute)...)
		if resp.Diagnostics.HasError() {
			return
		}
		set(path.Root("topic_id"), types.StringUnknown())
		if config.Partitions.IsNull() {
			plan.Partitions = types.Int64Unknown()
			set(path.Root("partitions"), plan.Partitions)
		}
		if config.ReplicationFactor.IsNull() {
			plan.ReplicationFactor = types.Int64Unknown()
			set(path.Root("replication_factor"), plan.ReplicationFactor)
		}
	}
	rfChanges := known(plan.ReplicationFactor) && (creating || replace || !plan.ReplicationFactor.Equal(state.ReplicationFactor))
	if rfChanges && known(plan.Cluster) {
		resp.Diagnostics.Append(r.checkReplicationFactor(ctx, plan.Cluster.ValueString(), plan.ReplicationFactor.ValueInt64())...)
	}
}

// planAttrs are the attributes of a plan, state or configuration that
// ModifyPlan decides on.
type planAttrs struct {
	ID, Cluster, Name             types.String
	Partitions, ReplicationFactor types.Int64
}

func (a *planAttrs) read(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics) diag.Diagnostics {
	var diags diag.Diagnostics
	for name, target := range map[string]any{
		"id": &a.ID, "cluster": &a.Cluster, "name": &a.Name,
		"partitions": &a.Partitions, "replication_factor": &a.ReplicationFactor,
	} {
		diags.Append(get(ctx, path.Root(name), target)...)
	}
	return diags
}

// checkReplicationFactor refuses a factor above the cluster's broker
// count. A cluster that does not exist yet (created in the same apply) or
// a scheduler not known at plan is checked by the apply instead.
func (r *topicResource) checkReplicationFactor(ctx context.Context, cluster string, rf int64) diag.Diagnostics {
	var diags diag.Diagnostics
	if r.sched == nil || r.sched.Client == nil {
		return diags
	}
	count, err := r.sched.topics.brokerCount(ctx, r.sched.Client, cluster)
	switch {
	case api.IsNotFound(err):
		return diags
	case err != nil:
		diags.AddError("Cannot read the cluster", fmt.Sprintf("Reading the broker count of cluster %s to check replication_factor: %v", cluster, err))
		return diags
	case rf > int64(count):
		diags.AddAttributeError(path.Root("replication_factor"), "Replication factor above the broker count",
			fmt.Sprintf("replication_factor = %d cannot be done on cluster %s: it has %d brokers, and Kafka places each replica of a "+
				"partition on a different broker. Choose at most %d, or add brokers to the cluster (brokers.count of its kafka_cluster) "+
				"in an apply before this one.", rf, cluster, count, count))
	}
	return diags
}

func known[T interface {
	IsNull() bool
	IsUnknown() bool
}](v T) bool {
	return !v.IsNull() && !v.IsUnknown()
}

// Create creates the topic and returns once Kafka's metadata shows it.
func (r *topicResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan topicModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := r.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultTopicCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cluster, name := plan.Cluster.ValueString(), plan.Name.ValueString()
	spec := api.TopicSpec{Name: name, Partitions: -1, ReplicationFactor: -1, Configs: stringMap(ctx, plan.Config)}
	if known(plan.Partitions) {
		spec.Partitions = int32(plan.Partitions.ValueInt64())
	}
	if known(plan.ReplicationFactor) {
		spec.ReplicationFactor = int16(plan.ReplicationFactor.ValueInt64())
	}
	var (
		topic   api.Topic
		created bool
	)
	err := r.sched.topics.limit(ctx, cluster, func(ctx context.Context) (err error) {
		topic, created, err = c.CreateTopic(ctx, cluster, spec)
		return err
	})
	r.sched.topics.invalidate(cluster)
	if err != nil {
		addTopicError(&resp.Diagnostics, fmt.Sprintf("Creating topic %s in cluster %s", name, cluster), cluster, err)
		return
	}
	if !created {
		resp.Diagnostics.AddWarning("Topic already existed",
			fmt.Sprintf("Topic %s already existed in cluster %s with exactly these settings; it is now managed by this resource.", name, cluster))
	}
	resp.Diagnostics.Append(plan.fill(ctx, cluster, topic)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes the topic from the cluster's shared bulk read. A topic
// (or cluster) that is gone leaves the state; a read that fails is an
// error, never an empty topic that would plan a replacement.
//
// Terraform calls it for every topic of every refresh, so it reads the
// state's attributes one by one (timeouts never change here) and writes
// back only those the cluster changed: the response starts as the prior
// state.
func (r *topicResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state topicModel
	resp.Diagnostics.Append(state.readAttrs(ctx, req.State.GetAttribute)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.sched == nil || r.sched.Client == nil {
		return // endpoint unknown at plan time: keep the state as it is
	}
	cluster, name := state.Cluster.ValueString(), state.Name.ValueString()
	topic, err := r.sched.topics.topic(ctx, r.sched.Client, cluster, name)
	switch {
	case api.IsNotFound(err):
		resp.Diagnostics.AddWarning("Topic is gone",
			fmt.Sprintf("Topic %s of cluster %s no longer exists (deleted outside Terraform, or its cluster is gone); the plan creates it again.", name, cluster))
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the topic", fmt.Sprintf("Reading topic %s of cluster %s: %v", name, cluster, err))
		return
	}
	refreshed := state
	resp.Diagnostics.Append(refreshed.fill(ctx, cluster, topic)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(refreshed.writeChanged(ctx, state, resp.State.SetAttribute)...)
}

// Update changes configs, then the replication factor, then the partition
// count, each returning once Kafka shows it. Whatever fails, the state
// saved is what the cluster reports afterwards, never the plan's values.
func (r *topicResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state topicModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := r.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultTopicUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cluster, name := plan.Cluster.ValueString(), plan.Name.ValueString()
	defer r.sched.topics.invalidate(cluster)

	var (
		last    *api.Topic
		failure error
		doing   string
	)
	step := func(what string, call func(ctx context.Context) (api.Topic, error)) {
		if failure != nil {
			return
		}
		var t api.Topic
		err := r.sched.topics.limit(ctx, cluster, func(ctx context.Context) (err error) {
			t, err = call(ctx)
			return err
		})
		if err != nil {
			failure, doing = err, what
			return
		}
		last = &t
	}
	if u := configChange(stringMap(ctx, state.Config), stringMap(ctx, plan.Config)); len(u.Set)+len(u.Reset) > 0 {
		step("changing the configs", func(ctx context.Context) (api.Topic, error) { return c.UpdateTopicConfigs(ctx, cluster, name, u) })
	}
	if known(plan.ReplicationFactor) && plan.ReplicationFactor != state.ReplicationFactor {
		rf := int16(plan.ReplicationFactor.ValueInt64())
		step(fmt.Sprintf("changing the replication factor to %d", rf), func(ctx context.Context) (api.Topic, error) {
			return setReplication(ctx, c, cluster, name, rf)
		})
	}
	if known(plan.Partitions) && plan.Partitions.ValueInt64() > state.Partitions.ValueInt64() {
		n := int32(plan.Partitions.ValueInt64())
		step(fmt.Sprintf("raising the partitions to %d", n), func(ctx context.Context) (api.Topic, error) {
			return c.SetTopicPartitions(ctx, cluster, name, n)
		})
	}
	if failure == nil {
		if last == nil { // only timeouts changed
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			return
		}
		resp.Diagnostics.Append(plan.fill(ctx, cluster, *last)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	if api.IsNotFound(failure) {
		resp.Diagnostics.AddError("Topic is gone",
			fmt.Sprintf("Topic %s of cluster %s: %s: the topic (or its cluster) no longer exists; it was deleted outside Terraform "+
				"since the plan. Run terraform plan again: it plans to create it. (%v)", name, cluster, doing, failure))
		resp.State.RemoveResource(ctx)
		return
	}
	addAPIError(&resp.Diagnostics, fmt.Sprintf("Topic %s of cluster %s: %s", name, cluster, doing), failure)
	// Save what the cluster reports now, so that the next plan shows
	// what is left to do.
	readCtx, stop := freshContext(ctx)
	defer stop()
	if t, err := c.Topic(readCtx, cluster, name); err == nil {
		last = &t
	}
	if last == nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	state.Timeouts = plan.Timeouts
	resp.Diagnostics.Append(state.fill(ctx, cluster, *last)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// setReplication runs the reassignment. The scheduler answers 504 when it
// is still copying after its own bound; the call is then repeated, which
// waits for the same reassignment, until ctx ends.
func setReplication(ctx context.Context, c *api.Client, cluster, name string, rf int16) (api.Topic, error) {
	for {
		t, err := c.SetTopicReplicationFactor(ctx, cluster, name, rf)
		if api.StatusOf(err) != http.StatusGatewayTimeout || ctx.Err() != nil {
			return t, err
		}
	}
}

// Delete deletes the topic and returns once Kafka's metadata no longer
// shows it. A cluster whose brokers refuse deletes is an error naming the
// setting, never a silent success.
func (r *topicResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state topicModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := r.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultTopicDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cluster, name := state.Cluster.ValueString(), state.Name.ValueString()
	err := r.sched.topics.limit(ctx, cluster, func(ctx context.Context) error { return c.DeleteTopic(ctx, cluster, name) })
	r.sched.topics.invalidate(cluster)
	switch {
	case err == nil, api.IsNotFound(err):
	case api.IsConflict(err):
		resp.Diagnostics.AddError("Topic deletion is disabled",
			fmt.Sprintf("The brokers of cluster %s refuse to delete topic %s because their delete.topic.enable is false "+
				"(kafka_cluster option delete_topic_enable). Set server_properties \"delete.topic.enable\" = \"true\" "+
				"(or remove a false setting) on the kafka_cluster, apply, then destroy the topic. The scheduler said: %v", cluster, name, err))
	default:
		addTopicError(&resp.Diagnostics, fmt.Sprintf("Deleting topic %s of cluster %s", name, cluster), cluster, err)
	}
}

// ImportState imports "<cluster>/<topic>"; the Read that follows fills
// the rest.
func (r *topicResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	cluster, name, err := splitTopicID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("cluster"), cluster)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}

// addTopicError reports an error of the topic API, naming a missing
// cluster plainly.
func addTopicError(diags *diag.Diagnostics, doing, cluster string, err error) {
	if api.IsNotFound(err) {
		diags.AddAttributeError(path.Root("cluster"), "No such Kafka cluster",
			fmt.Sprintf("%s: the scheduler has no cluster named %q. Create it with a kafka_cluster resource and set cluster = "+
				"kafka_cluster.<name>.name, so that Terraform creates the cluster before its topics. (%v)", doing, cluster, err))
		return
	}
	addAPIError(diags, doing, err)
}
