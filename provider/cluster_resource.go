package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// Default waits of kafka_cluster (the contract).
const (
	defaultCreateTimeout = 30 * time.Minute
	defaultUpdateTimeout = 60 * time.Minute
	defaultDeleteTimeout = 30 * time.Minute
)

// deployPlan is the plan a PUT starts (install and update alike).
const deployPlan = "deploy"

// NewClusterResource is the kafka_cluster resource.
func NewClusterResource() resource.Resource { return &clusterResource{} }

type clusterResource struct {
	sched *schedulerClient
}

var (
	_ resource.ResourceWithConfigure   = (*clusterResource)(nil)
	_ resource.ResourceWithImportState = (*clusterResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*clusterResource)(nil)
)

func (r *clusterResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster"
}

func (r *clusterResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = clusterResourceSchema(ctx)
}

func (r *clusterResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.sched = providerClient(req.ProviderData, "kafka_cluster", &resp.Diagnostics)
}

// Create installs the service and waits for its deploy plan. Once the
// scheduler has accepted the service, every return saves it in state, so
// that a failed or timed-out deploy leaves a tainted resource to replace
// rather than an orphan.
func (r *clusterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config clusterModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := r.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	name := plan.Name.ValueString()

	switch _, err := c.GetService(ctx, name); {
	case err == nil:
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Cluster already exists",
			fmt.Sprintf("The scheduler already runs a service named %q. Import it into this resource instead of creating it: "+
				"terraform import <address> %s", name, name))
		return
	case !api.IsNotFound(err):
		resp.Diagnostics.AddError("Cannot read the scheduler", fmt.Sprintf("Checking whether service %s exists: %v", name, err))
		return
	}
	options, unknown := optionsJSON(config.settings(), plan.settings())
	if len(unknown) > 0 {
		resp.Diagnostics.AddError("Settings unknown at apply", fmt.Sprintf("These settings are still unknown: %v; this is a bug in the provider.", unknown))
		return
	}
	put, err := c.PutService(ctx, name, options, api.PutOptions{})
	if err != nil {
		addAPIError(&resp.Diagnostics, "Installing "+name, err)
		return
	}
	// From here on the service exists: save it whatever happens next.
	plan.ID, plan.ConfigID = types.StringValue(name), types.StringValue(put.ConfigID)
	_, waitErr := c.WaitPlan(ctx, name, deployPlan, api.WaitOptions{Interval: r.sched.pollInterval})
	readCtx, stop := freshContext(ctx)
	defer stop()
	if diags := r.refresh(readCtx, c, &plan); diags.HasError() && waitErr == nil {
		resp.Diagnostics.Append(diags...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if waitErr != nil {
		resp.Diagnostics.AddError("Cluster deploy did not complete",
			fmt.Sprintf("Service %s was installed, but its deploy plan did not complete within the create timeout (%s), so the resource is tainted "+
				"and the next apply replaces it. %s", name, timeout, explainWait(readCtx, c, name, waitErr)))
	}
}

// Read refreshes everything from the scheduler; a service that is gone (or
// being uninstalled) leaves the state, so that the next plan creates it.
func (r *clusterResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state clusterModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.sched == nil || r.sched.Client == nil {
		return // endpoint unknown at plan time: keep the state as it is
	}
	c := r.sched.Client
	name := state.Name.ValueString()
	detail, err := c.GetService(ctx, name)
	switch {
	case api.IsNotFound(err):
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the cluster", fmt.Sprintf("Reading service %s: %v", name, err))
		return
	case detail.Uninstalling:
		resp.Diagnostics.AddWarning("Cluster is being uninstalled",
			fmt.Sprintf("Service %s is being uninstalled outside Terraform; it is treated as gone. Creating it again waits until the uninstall has finished.", name))
		resp.State.RemoveResource(ctx)
		return
	}
	eps, err := readEndpoints(ctx, c, name)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the cluster", err.Error())
		return
	}
	resp.Diagnostics.Append(state.fill(detail, eps)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update sends the new options with If-Match of the state's config id and
// waits for the update plan. Whatever happens after the scheduler accepted
// them, the state returned is what the scheduler reports.
func (r *clusterResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, config clusterModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := r.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	name := plan.Name.ValueString()

	options, unknown := optionsJSON(config.settings(), plan.settings())
	if len(unknown) > 0 {
		resp.Diagnostics.AddError("Settings unknown at apply", fmt.Sprintf("These settings are still unknown: %v; this is a bug in the provider.", unknown))
		return
	}
	var waitErr error
	if len(describeChanges(state.settings(), plan.settings())) > 0 { // a change of timeouts alone sends nothing
		_, err := putKeepingSecrets(ctx, c, name, options, state)
		var outside *outsideChangeError
		switch {
		case errors.As(err, &outside):
			resp.Diagnostics.AddError("Cluster changed outside Terraform",
				fmt.Sprintf("Service %s was changed outside Terraform since the plan (its configuration is now %s, the plan was made against %s; changed: %s), "+
					"so nothing was sent; run terraform plan again to see the change.", name, outside.current, state.ConfigID.ValueString(), strings.Join(outside.changes, "; ")))
			return
		case api.IsPreconditionFailed(err):
			var e *api.Error
			errors.As(err, &e)
			resp.Diagnostics.AddError("Cluster changed outside Terraform",
				fmt.Sprintf("Service %s was changed outside Terraform since the plan (its configuration is now %s, the plan was made against %s), "+
					"so nothing was sent; run terraform plan again to see the change.", name, e.CurrentConfigID, state.ConfigID.ValueString()))
			return
		case err != nil:
			addAPIError(&resp.Diagnostics, "Updating "+name, err)
			return
		}
		_, waitErr = c.WaitPlan(ctx, name, deployPlan, api.WaitOptions{Interval: r.sched.pollInterval})
	}
	readCtx, stop := freshContext(ctx)
	defer stop()
	refreshDiags := r.refresh(readCtx, c, &plan)
	if waitErr == nil {
		resp.Diagnostics.Append(refreshDiags...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if waitErr != nil {
		resp.Diagnostics.AddError("Cluster update did not complete",
			fmt.Sprintf("The scheduler accepted the new configuration of %s, but its update plan did not complete within the update timeout (%s). "+
				"The state holds what the scheduler reports; the scheduler goes on with the update. %s", name, timeout, explainWait(readCtx, c, name, waitErr)))
	}
}

// Delete uninstalls the service and waits until it is gone.
func (r *clusterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state clusterModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := r.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	name := state.Name.ValueString()
	if err := c.DeleteService(ctx, name); err != nil && !api.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, "Uninstalling "+name, err)
		return
	}
	if err := c.WaitServiceGone(ctx, name, r.sched.pollInterval); err != nil {
		readCtx, stop := freshContext(ctx)
		defer stop()
		detail := ""
		if p, perr := c.Plan(readCtx, name, deployPlan); perr == nil {
			detail = " " + describePending(p)
		}
		resp.Diagnostics.AddError("Cluster uninstall did not complete",
			fmt.Sprintf("Service %s is still uninstalling after the delete timeout (%s): %v.%s The scheduler goes on with the uninstall; "+
				"the resource stays in state so that the next destroy waits again.", name, timeout, err, detail))
	}
}

// ImportState imports a cluster by its service name.
func (r *clusterResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID == "" {
		resp.Diagnostics.AddError("Missing import id", "Import a kafka_cluster by its service name: terraform import kafka_cluster.<name> <service name>")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

// refresh fills m from the scheduler.
func (r *clusterResource) refresh(ctx context.Context, c *api.Client, m *clusterModel) diag.Diagnostics {
	var diags diag.Diagnostics
	name := m.Name.ValueString()
	detail, err := c.GetService(ctx, name)
	if err != nil {
		diags.AddError("Cannot read the cluster", fmt.Sprintf("Reading service %s after the change: %v", name, err))
		return diags
	}
	eps, err := readEndpoints(ctx, c, name)
	if err != nil {
		diags.AddError("Cannot read the cluster", err.Error())
		return diags
	}
	return m.fill(detail, eps)
}

// freshContext gives the reads after a wait their own deadline: the wait
// may have used up the caller's.
func freshContext(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
}

// addAPIError reports a scheduler error, with every problem of invalid
// options on its own line.
func addAPIError(diags *diag.Diagnostics, doing string, err error) {
	detail := fmt.Sprintf("%s: %v", doing, err)
	for _, p := range api.ProblemsOf(err) {
		detail += "\n  - " + p.String()
	}
	diags.AddError("The scheduler refused the request", detail)
}

// putKeepingSecrets sends an update of the cluster's options with the
// service.secrets entries the scheduler has now: kafka_cluster does not
// manage them (kafka_secret_binding does), so an update keeps them as they
// are. The If-Match is the state's config id; when the scheduler's target
// has moved on only in what kafka_cluster does not manage (a binding added
// or removed a secret, or wrote a new secret version), the update goes to
// the new target instead, and a 412 between the read and the write starts
// again a few times. A change of a managed setting since the plan is an
// *outsideChangeError, and nothing is sent.
func putKeepingSecrets(ctx context.Context, c *api.Client, name string, options json.RawMessage, state clusterModel) (api.PutResult, error) {
	ifMatch := state.ConfigID.ValueString()
	var lastErr error
	for attempt := 0; attempt < bindingRetries; attempt++ {
		detail, err := c.GetService(ctx, name)
		if err != nil {
			return api.PutResult{}, fmt.Errorf("reading service %s before the update: %w", name, err)
		}
		if ifMatch != "" && detail.ConfigID != ifMatch {
			current, err := settingsFromOptions(detail.Options, state.settings())
			if err != nil {
				return api.PutResult{}, fmt.Errorf("reading service %s before the update: %w", name, err)
			}
			if changes := describeChanges(state.settings(), current); len(changes) > 0 {
				return api.PutResult{}, &outsideChangeError{current: detail.ConfigID, changes: changes}
			}
			ifMatch = detail.ConfigID
		}
		body, err := withSecretsOf(options, detail.Options)
		if err != nil {
			return api.PutResult{}, fmt.Errorf("reading the secrets of service %s before the update: %w", name, err)
		}
		put, err := c.PutService(ctx, name, body, api.PutOptions{IfMatch: ifMatch})
		if !api.IsPreconditionFailed(err) {
			return put, err
		}
		lastErr = err
	}
	return api.PutResult{}, lastErr
}

// outsideChangeError is a cluster whose managed settings changed since the
// plan.
type outsideChangeError struct {
	current string
	changes []string
}

func (e *outsideChangeError) Error() string {
	return fmt.Sprintf("the service's configuration is now %s (%s)", e.current, strings.Join(e.changes, "; "))
}
