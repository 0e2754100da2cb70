package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// NewTopicsDataSource is the kafka_topics data source.
func NewTopicsDataSource() datasource.DataSource { return &topicsDataSource{} }

type topicsDataSource struct {
	sched *schedulerClient
}

var _ datasource.DataSourceWithConfigure = (*topicsDataSource)(nil)

type topicsDataModel struct {
	ID      types.String `tfsdk:"id"`
	Cluster types.String `tfsdk:"cluster"`
	Prefix  types.String `tfsdk:"prefix"`
	Names   types.List   `tfsdk:"names"`
	Topics  types.List   `tfsdk:"topics"`
}

var topicsEntryAttrTypes = map[string]attr.Type{
	"name":               types.StringType,
	"partitions":         types.Int64Type,
	"replication_factor": types.Int64Type,
	"config":             types.MapType{ElemType: types.StringType},
}

func (d *topicsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_topics"
}

func (d *topicsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Every topic of a Kafka cluster (internal topics such as `__consumer_offsets` left out), optionally only " +
			"those whose name starts with a prefix, read in one request.",
		Attributes: map[string]schema.Attribute{
			"id":      schema.StringAttribute{Description: "`<cluster>/<prefix>`.", Computed: true},
			"cluster": schema.StringAttribute{Description: "Name of the cluster (the scheduler's service name).", Required: true},
			"prefix":  schema.StringAttribute{Description: "Only topics whose name starts with this.", Optional: true},
			"names": schema.ListAttribute{
				Description: "The topics' names, sorted.", ElementType: types.StringType, Computed: true,
			},
			"topics": schema.ListNestedAttribute{
				Description: "The topics, sorted by name.",
				Computed:    true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":               schema.StringAttribute{Description: "Topic name.", Computed: true},
					"partitions":         schema.Int64Attribute{Description: "Partition count.", Computed: true},
					"replication_factor": schema.Int64Attribute{Description: "Replicas per partition.", Computed: true},
					"config": schema.MapAttribute{
						Description: "Configs set on the topic itself; broker defaults are left out.",
						ElementType: types.StringType, Computed: true,
					},
				}},
			},
		},
	}
}

func (d *topicsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.sched = dataSourceClient(req, resp, "kafka_topics")
}

func (d *topicsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m topicsDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := d.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	cluster, prefix := m.Cluster.ValueString(), m.Prefix.ValueString()
	all, err := d.sched.topics.topics(ctx, c, cluster)
	switch {
	case api.IsNotFound(err):
		resp.Diagnostics.AddAttributeError(path.Root("cluster"), "No such Kafka cluster", fmt.Sprintf("The scheduler has no cluster named %q: %v", cluster, err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the topics", fmt.Sprintf("Reading the topics of cluster %s: %v", cluster, err))
		return
	}
	var names []string
	for n, t := range all {
		if strings.HasPrefix(n, prefix) && !t.Internal {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	nameVals := make([]attr.Value, len(names))
	entries := make([]attr.Value, len(names))
	for i, n := range names {
		t := all[n]
		nameVals[i] = types.StringValue(n)
		cfg, d := types.MapValueFrom(ctx, types.StringType, nonNilMap(t.Configs))
		resp.Diagnostics.Append(d...)
		obj, d := types.ObjectValue(topicsEntryAttrTypes, map[string]attr.Value{
			"name": types.StringValue(n), "partitions": types.Int64Value(int64(t.Partitions)),
			"replication_factor": types.Int64Value(int64(t.ReplicationFactor)), "config": cfg,
		})
		resp.Diagnostics.Append(d...)
		entries[i] = obj
	}
	m.ID = types.StringValue(cluster + "/" + prefix)
	m.Names = types.ListValueMust(types.StringType, nameVals)
	m.Topics = types.ListValueMust(types.ObjectType{AttrTypes: topicsEntryAttrTypes}, entries)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
