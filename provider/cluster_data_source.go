package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// NewClusterDataSource is the kafka_cluster data source.
func NewClusterDataSource() datasource.DataSource { return &clusterDataSource{} }

type clusterDataSource struct {
	sched *schedulerClient
}

var _ datasource.DataSourceWithConfigure = (*clusterDataSource)(nil)

func (d *clusterDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster"
}

func (d *clusterDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = clusterDataSourceSchema()
}

func (d *clusterDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.sched = providerClient(req.ProviderData, "kafka_cluster", &resp.Diagnostics)
}

// Read reads the named cluster; one that does not exist is an error (a
// data source never reads as empty).
func (d *clusterDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg clusterDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := d.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := cfg.Name.ValueString()
	detail, err := c.GetService(ctx, name)
	switch {
	case api.IsNotFound(err):
		resp.Diagnostics.AddAttributeError(path.Root("name"), "No such Kafka cluster",
			fmt.Sprintf("The scheduler runs no service named %q.", name))
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the cluster", fmt.Sprintf("Reading service %s: %v", name, err))
		return
	}
	eps, err := readEndpoints(ctx, c, name)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the cluster", err.Error())
		return
	}
	m := clusterModel{Name: cfg.Name}
	for _, g := range groups {
		*m.group(g) = types.ObjectNull(groupAttrTypes(g))
	}
	m.ServerProperties = types.MapNull(types.StringType)
	for _, l := range leaves {
		if l.group == "" {
			*m.topLevel(l.name) = types.StringNull()
		}
	}
	resp.Diagnostics.Append(m.fill(detail, eps)...)
	if resp.Diagnostics.HasError() {
		return
	}
	out := clusterDataModel{
		ID: m.ID, Name: m.Name,
		PlacementConstraint: m.PlacementConstraint, PlacementStrategy: m.PlacementStrategy,
		DeployStrategy: m.DeployStrategy, UpdateStrategy: m.UpdateStrategy, User: m.User, Region: m.Region,
		Brokers: m.Brokers, ReadinessCheck: m.ReadinessCheck, HealthCheck: m.HealthCheck,
		ServerProperties: m.ServerProperties,
		ConfigID:         m.ConfigID, FrameworkID: m.FrameworkID,
		BootstrapServers: m.BootstrapServers, BrokerAddresses: m.BrokerAddresses, BrokerDNS: m.BrokerDNS,
		VIP: m.VIP, ZookeeperConnect: m.ZookeeperConnect,
		Status: types.StringValue(string(detail.Status)),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}
