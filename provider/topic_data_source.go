package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// NewTopicDataSource is the kafka_topic data source.
func NewTopicDataSource() datasource.DataSource { return &topicDataSource{} }

type topicDataSource struct {
	sched *schedulerClient
}

var _ datasource.DataSourceWithConfigure = (*topicDataSource)(nil)

// topicDataModel is the kafka_topic data source.
type topicDataModel struct {
	ID                types.String `tfsdk:"id"`
	Cluster           types.String `tfsdk:"cluster"`
	Name              types.String `tfsdk:"name"`
	TopicID           types.String `tfsdk:"topic_id"`
	Partitions        types.Int64  `tfsdk:"partitions"`
	ReplicationFactor types.Int64  `tfsdk:"replication_factor"`
	Config            types.Map    `tfsdk:"config"`
	PartitionDetails  types.List   `tfsdk:"partition_details"`
}

// partitionAttrTypes is one element of partition_details.
var partitionAttrTypes = map[string]attr.Type{
	"partition": types.Int64Type,
	"leader":    types.Int64Type,
	"replicas":  types.ListType{ElemType: types.Int64Type},
	"isr":       types.ListType{ElemType: types.Int64Type},
}

func (d *topicDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_topic"
}

func (d *topicDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "One topic of a Kafka cluster, as Kafka reports it: partition count, replication factor, the configs set on " +
			"the topic itself (never broker defaults) and each partition's leader, replicas and in-sync replicas.",
		Attributes: map[string]schema.Attribute{
			"id":      schema.StringAttribute{Description: "`<cluster>/<topic>`.", Computed: true},
			"cluster": schema.StringAttribute{Description: "Name of the cluster (the scheduler's service name).", Required: true},
			"name":    schema.StringAttribute{Description: "Topic name.", Required: true},
			"topic_id": schema.StringAttribute{
				Description: "Kafka's topic id (a UUID).", Computed: true,
			},
			"partitions":         schema.Int64Attribute{Description: "Partition count.", Computed: true},
			"replication_factor": schema.Int64Attribute{Description: "Replicas per partition (the largest of any partition).", Computed: true},
			"config": schema.MapAttribute{
				Description: "Configs set on the topic itself (DescribeConfigs source DYNAMIC_TOPIC_CONFIG); broker defaults are left out.",
				ElementType: types.StringType, Computed: true,
			},
			"partition_details": schema.ListNestedAttribute{
				Description: "Every partition, in order.",
				Computed:    true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"partition": schema.Int64Attribute{Description: "Partition number.", Computed: true},
					"leader":    schema.Int64Attribute{Description: "Broker id of the leader, -1 when the partition has none.", Computed: true},
					"replicas":  schema.ListAttribute{Description: "Broker ids of the replicas, the preferred leader first.", ElementType: types.Int64Type, Computed: true},
					"isr":       schema.ListAttribute{Description: "Broker ids of the in-sync replicas.", ElementType: types.Int64Type, Computed: true},
				}},
			},
		},
	}
}

func (d *topicDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.sched = dataSourceClient(req, resp, "kafka_topic")
}

// dataSourceClient takes the provider's data for a data source.
func dataSourceClient(req datasource.ConfigureRequest, resp *datasource.ConfigureResponse, name string) *schedulerClient {
	return providerClient(req.ProviderData, name, &resp.Diagnostics)
}

// providerClient takes the provider's data (the configured scheduler
// client) for a resource or data source; nil before the provider is
// configured.
func providerClient(data any, name string, diags *diag.Diagnostics) *schedulerClient {
	if data == nil {
		return nil
	}
	s, ok := data.(*schedulerClient)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("%s got %T; this is a bug in the provider.", name, data))
	}
	return s
}

// Read reads the topic; one that does not exist is an error.
func (d *topicDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m topicDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := d.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	cluster, name := m.Cluster.ValueString(), m.Name.ValueString()
	t, err := d.sched.topics.topic(ctx, c, cluster, name)
	switch {
	case api.IsNotFound(err):
		resp.Diagnostics.AddAttributeError(path.Root("name"), "No such topic",
			fmt.Sprintf("Cluster %s has no topic %s (or there is no cluster %s): %v", cluster, name, cluster, err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the topic", fmt.Sprintf("Reading topic %s of cluster %s: %v", name, cluster, err))
		return
	}
	m.ID = types.StringValue(topicID(cluster, name))
	m.TopicID = types.StringValue(t.ID)
	m.Partitions = types.Int64Value(int64(t.Partitions))
	m.ReplicationFactor = types.Int64Value(int64(t.ReplicationFactor))
	m.Config, diags = types.MapValueFrom(ctx, types.StringType, nonNilMap(t.Configs))
	resp.Diagnostics.Append(diags...)
	m.PartitionDetails, diags = partitionList(t.PartitionDetails)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func partitionList(parts []api.TopicPartition) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	objType := types.ObjectType{AttrTypes: partitionAttrTypes}
	elems := make([]attr.Value, 0, len(parts))
	for _, p := range parts {
		obj, d := types.ObjectValue(partitionAttrTypes, map[string]attr.Value{
			"partition": types.Int64Value(int64(p.Partition)),
			"leader":    types.Int64Value(int64(p.Leader)),
			"replicas":  int64List(p.Replicas),
			"isr":       int64List(p.ISR),
		})
		diags.Append(d...)
		elems = append(elems, obj)
	}
	l, d := types.ListValue(objType, elems)
	diags.Append(d...)
	return l, diags
}

func int64List(ids []int32) types.List {
	vals := make([]attr.Value, len(ids))
	for i, id := range ids {
		vals[i] = types.Int64Value(int64(id))
	}
	return types.ListValueMust(types.Int64Type, vals)
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
