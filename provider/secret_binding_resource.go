package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
)

// NewSecretBindingResource is the kafka_secret_binding resource.
func NewSecretBindingResource() resource.Resource { return &secretBindingResource{} }

type secretBindingResource struct {
	sched *schedulerClient
}

var (
	_ resource.ResourceWithConfigure        = (*secretBindingResource)(nil)
	_ resource.ResourceWithImportState      = (*secretBindingResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*secretBindingResource)(nil)
	_ resource.ResourceWithValidateConfig   = (*secretBindingResource)(nil)
	_ resource.ResourceWithConfigValidators = (*secretBindingResource)(nil)
)

// writtenKey is the private state key holding the secret version this
// binding wrote last, so that a plan sees a value written outside
// Terraform (the secret's version moved on) and writes the configured one
// again.
const writtenKey = "written_version"

// bindingRetries is how often a read-modify-write of the cluster's options
// starts again after a 412 (someone else changed the cluster in between).
const bindingRetries = 5

func (r *secretBindingResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret_binding"
}

func (r *secretBindingResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Delivers a secret of the scheduler's secret store to every broker of a `kafka_cluster`, as a file in the broker's " +
			"sandbox or as an environment variable (an entry of the cluster's `service.secrets` option). With `value_wo` the binding also " +
			"writes the secret's value, which never enters Terraform's plan or state (write-only; Terraform 1.11 or later); without it, " +
			"the binding delivers a secret that already exists. Create, a new `value_wo_version` and destroy each roll the brokers that " +
			"use the secret through the scheduler's safe rolling restart, and the apply waits for that within `timeouts`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description:   "`<cluster>/<path>`, also the import id.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"cluster": schema.StringAttribute{
				Description: "Name of the `kafka_cluster` (the scheduler's service name) whose brokers get the secret. Reference " +
					"`kafka_cluster.<name>.name` so that Terraform creates the cluster first. Changing it replaces the binding.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"path": schema.StringAttribute{
				Description: "Path of the secret in the scheduler's secret store, relative (`kafka/sasl-password`), in segments of letters, " +
					"digits, `.`, `_` and `-`. The cluster may read it only when the secret's folder (the path without its last segment) is " +
					"the cluster's name or a parent of it: `prod/kafka` reads `prod/kafka/x`, `prod/x` and `x`, never `prod/other/x`. " +
					"A path the cluster may not read is refused at plan. A last segment starting with `__dcos_base64__` means the value " +
					"is base64 text delivered decoded, as in DC/OS. Changing it replaces the binding.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"value_wo": schema.StringAttribute{
				Description: "The secret's value, write-only: Terraform passes it to the provider and never stores it in the plan or " +
					"the state (Terraform 1.11 or later; use an ephemeral value or a variable). Set `value_wo_version` with it: a value " +
					"is written when the binding is created and whenever `value_wo_version` changes. With `binary`, the base64 of the " +
					"bytes (`filebase64()`). Leave it out to deliver a secret that already exists in the store.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
			},
			"value_wo_version": schema.Int64Attribute{
				Description: "Version of `value_wo`, set together with it. Terraform cannot see a write-only value change, so change " +
					"this number to write the new value: the scheduler then rolls the brokers that use the secret and the apply waits for it.",
				Optional: true,
			},
			"binary": schema.BoolAttribute{
				Description: "The value is binary: `value_wo` holds its base64 (checked at plan), and brokers get the decoded bytes. " +
					"Default `false` (the value is UTF-8 text delivered as it is). Needs `value_wo`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"file": schema.StringAttribute{
				Description: "Deliver the secret as this file, relative to the broker's sandbox (`secrets/keystore.jks`); an absolute " +
					"path or one with `..` is refused at plan. Exactly one of `file` and `env_key`; changing either updates the binding " +
					"(and rolls the brokers).",
				Optional: true,
			},
			"env_key": schema.StringAttribute{
				Description: "Deliver the secret as this environment variable of the broker (`KAFKA_SASL_PASSWORD`). Exactly one of " +
					"`file` and `env_key`.",
				Optional: true,
			},
			"secret_version": schema.StringAttribute{
				Description:   "Version of the secret in the store, as the scheduler reports it (never the value). It changes on every write.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long a create may wait for the brokers' roll (default `30m`).",
				UpdateDescription: "How long an update may wait for the brokers' roll (default `60m`).",
				DeleteDescription: "How long a destroy may wait for the brokers' roll (default `30m`).",
			}),
		},
	}
}

func (r *secretBindingResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.sched = providerClient(req.ProviderData, "kafka_secret_binding", &resp.Diagnostics)
}

func (r *secretBindingResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("file"), path.MatchRoot("env_key")),
		resourcevalidator.RequiredTogether(path.MatchRoot("value_wo"), path.MatchRoot("value_wo_version")),
	}
}

// ValidateConfig refuses at plan what the scheduler would refuse at apply:
// a path the cluster may not read (the scheduler's own rule, package
// secrets), a bad secret path, a file outside the sandbox, a bad variable
// name, and a binary value that is not base64. Terraform calls it again at
// plan with the values known by then.
func (r *secretBindingResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m secretBindingModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateBinding(m)...)
}

// validateBinding checks the known parts of a configuration.
func validateBinding(m secretBindingModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if known(m.Cluster) && m.Cluster.ValueString() == "" {
		diags.AddAttributeError(path.Root("cluster"), "Empty cluster", "cluster must name the kafka_cluster whose brokers get the secret.")
	}
	if known(m.Path) {
		err := secrets.ValidatePath(m.Path.ValueString())
		if err == nil && known(m.Cluster) && m.Cluster.ValueString() != "" {
			err = authorizeBinding(m.Cluster.ValueString(), m.Path.ValueString())
		}
		switch {
		case errors.Is(err, secrets.ErrAccessDenied):
			diags.AddAttributeError(path.Root("path"), "The cluster may not read this secret", err.Error()+".")
		case err != nil:
			diags.AddAttributeError(path.Root("path"), "Invalid secret path", err.Error()+".")
		}
	}
	if known(m.File) {
		if err := validateSecretFile(m.File.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("file"), "Invalid secret file", err.Error()+".")
		}
	}
	if known(m.EnvKey) {
		if err := validateEnvKey(m.EnvKey.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("env_key"), "Invalid environment variable name", err.Error()+".")
		}
	}
	binary := !m.Binary.IsNull() && !m.Binary.IsUnknown() && m.Binary.ValueBool()
	if binary && m.ValueWO.IsNull() {
		diags.AddAttributeError(path.Root("binary"), "binary needs value_wo",
			"binary says how value_wo is encoded; a binding without value_wo delivers the secret as it is stored. Remove binary, or set value_wo.")
	}
	if known(m.EnvKey) && (binary || (known(m.Path) && base64Value(false, m.Path.ValueString()))) {
		diags.AddAttributeError(path.Root("env_key"), "Binary secrets go to files",
			"The scheduler delivers a binary secret (binary = true, or a path whose last segment starts with __dcos_base64__) only as a file, "+
				"never as an environment variable, which cannot hold arbitrary bytes. Set file instead of env_key.")
	}
	if known(m.ValueWO) && (binary || (known(m.Path) && base64Value(false, m.Path.ValueString()))) {
		if err := validateBase64(m.ValueWO.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("value_wo"), "value_wo is not base64", err.Error()+".")
		}
	}
	if known(m.ValueWO) && m.ValueWO.ValueString() == "" {
		diags.AddAttributeError(path.Root("value_wo"), "Empty secret value", "value_wo is empty; the scheduler stores no empty secrets. Set the value, or leave value_wo out to deliver an existing secret.")
	}
	return diags
}

// ModifyPlan fills the id, warns at plan when a binding without value_wo
// names a secret that does not exist yet, notices a value written outside Terraform
// (which the apply writes again) and says which changes roll the brokers.
func (r *secretBindingResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		if !req.State.Raw.IsNull() {
			var state secretBindingModel
			resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
			r.warnRemoval(ctx, state, &resp.Diagnostics)
		}
		return
	}
	var plan, config secretBindingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if known(plan.Cluster) && known(plan.Path) {
		plan.ID = types.StringValue(bindingID(plan.Cluster.ValueString(), plan.Path.ValueString()))
	} else {
		plan.ID = types.StringUnknown()
	}
	client := r.plannedClient()

	previewable := client != nil && known(plan.Path) && known(plan.Cluster) && known(plan.File) == !plan.File.IsNull() &&
		known(plan.EnvKey) == !plan.EnvKey.IsNull()
	if req.State.Raw.IsNull() {
		plan.SecretVersion = types.StringUnknown()
		if config.ValueWO.IsNull() && client != nil && known(plan.Path) {
			r.checkSecretExists(ctx, client, plan.Path.ValueString(), &resp.Diagnostics)
		}
		if previewable && !resp.Diagnostics.HasError() {
			e := plan.entry()
			// A secret that does not exist yet is what the apply writes
			// first (value_wo), or what checkSecretExists warned about.
			previewEntryChange(ctx, client, plan.Cluster.ValueString(), e.Secret, "adds secret "+e.Secret+" as "+e.target(), true,
				func(o serviceOptions) (bool, error) { return o.setEntry(e) }, &resp.Diagnostics)
		}
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	var state secretBindingModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Cluster.Equal(state.Cluster) && plan.Path.Equal(state.Path) {
		written, diags := writtenVersion(ctx, req.Private)
		resp.Diagnostics.Append(diags...)
		// writeNeeded is never writeDrift without value_wo_version, which
		// comes only with value_wo (RequiredTogether).
		switch w := writeNeeded(state, plan, written); {
		case w == writeDrift:
			plan.SecretVersion = types.StringUnknown()
			resp.Diagnostics.AddAttributeWarning(path.Root("value_wo"), "Secret written outside Terraform",
				fmt.Sprintf("Secret %s has version %s, not the version %s this binding wrote: someone wrote another value. "+
					"The apply writes the configured value_wo again, which rolls the brokers of %s that use it.",
					state.Path.ValueString(), state.SecretVersion.ValueString(), written, plan.Cluster.ValueString()))
		case w != writeNone:
			plan.SecretVersion = types.StringUnknown()
		}
		if w := writeNeeded(state, plan, written); w != writeNone && w != writeDrift && !config.ValueWO.IsNull() {
			warnValueWrite(ctx, client, plan, w, &resp.Diagnostics)
		}
		if e := plan.entry(); previewable && e != state.entry() {
			previewEntryChange(ctx, client, plan.Cluster.ValueString(), e.Secret, "delivers secret "+e.Secret+" as "+e.target()+" instead of "+state.entry().target(), false,
				func(o serviceOptions) (bool, error) { return o.setEntry(e) }, &resp.Diagnostics)
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// warnRemoval says what a destroy does: the brokers roll without the
// secret (in the order the scheduler's preview gives, when it can be
// asked), and a secret the binding wrote is deleted.
func (r *secretBindingResource) warnRemoval(ctx context.Context, state secretBindingModel, diags *diag.Diagnostics) {
	e := state.entry()
	deleted := ""
	if state.owned() {
		deleted = " The binding wrote the secret, so the apply then deletes it from the secret store."
	}
	if c := r.plannedClient(); c != nil {
		var preview diag.Diagnostics
		previewEntryChange(ctx, c, state.Cluster.ValueString(), e.Secret, "removes secret "+e.Secret+" ("+e.target()+")", false,
			func(o serviceOptions) (bool, error) { return o.removeEntry(e.Secret) }, &preview)
		if len(preview) > 0 && !preview.HasError() {
			for _, d := range preview {
				diags.AddWarning(d.Summary(), d.Detail()+deleted)
			}
			return
		}
	}
	diags.AddWarning("Removing secret binding "+state.ID.ValueString(),
		fmt.Sprintf("The apply removes secret %s from the options of cluster %s, which rolls the brokers (%s goes away on their restart).%s",
			e.Secret, state.Cluster.ValueString(), e.target(), deleted))
}

// plannedClient is the client when the endpoint is known at plan time.
func (r *secretBindingResource) plannedClient() *api.Client {
	if r.sched == nil {
		return nil
	}
	return r.sched.Client
}

// checkSecretExists warns at plan about a binding to a secret that does
// not exist yet. It is not an error: another binding of the same apply may
// write it first (one with value_wo, for another cluster, that this one
// depends on); the create fails if the secret is still missing then.
func (r *secretBindingResource) checkSecretExists(ctx context.Context, c *api.Client, secretPath string, diags *diag.Diagnostics) {
	_, err := c.GetSecret(ctx, secretPath)
	switch {
	case api.IsNotFound(err):
		diags.AddAttributeWarning(path.Root("path"), "Secret does not exist yet",
			missingSecret(secretPath)+" The apply fails unless something this binding depends on writes the secret first.")
	case err != nil:
		diags.AddWarning("Cannot check the secret", fmt.Sprintf("Reading secret %s from the scheduler: %v. The apply checks again.", secretPath, err))
	}
}

func missingSecret(secretPath string) string {
	return fmt.Sprintf("The scheduler's secret store has no secret %q, and this binding has no value_wo to write one. "+
		"Write the secret first (PUT /v1/secrets/%s), or set value_wo and value_wo_version so that the binding writes it.", secretPath, secretPath)
}

// write is why an update writes the secret's value.
type write int

const (
	writeNone write = iota
	// writeVersion: value_wo_version changed (or was set).
	writeVersion
	// writeBinary: binary changed, so the stored bytes change.
	writeBinary
	// writeDrift: the secret's version is not the one the binding wrote.
	writeDrift
)

// writeNeeded decides whether an update writes value_wo: when the plan has
// a value_wo_version and it differs from the state's, when binary changes,
// or when the secret's version moved on from the one the binding wrote.
func writeNeeded(state, plan secretBindingModel, written string) write {
	if !plan.owned() {
		return writeNone
	}
	switch {
	case !plan.ValueWOVersion.Equal(state.ValueWOVersion):
		return writeVersion
	case !plan.Binary.IsUnknown() && !plan.Binary.Equal(state.Binary):
		return writeBinary
	case written != "" && known(state.SecretVersion) && state.SecretVersion.ValueString() != written:
		return writeDrift
	}
	return writeNone
}

// writtenVersion reads the private state's written version ("" when the
// binding never wrote one).
func writtenVersion(ctx context.Context, p interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}) (string, diag.Diagnostics) {
	raw, diags := p.GetKey(ctx, writtenKey)
	if len(raw) == 0 || diags.HasError() {
		return "", diags
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", diags
	}
	return v, diags
}

type privateSetter interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}

func setWritten(ctx context.Context, p privateSetter, version string) diag.Diagnostics {
	raw, _ := json.Marshal(version)
	return p.SetKey(ctx, writtenKey, raw)
}

// Create writes the value (with value_wo) or checks that the secret exists,
// adds the entry to the cluster's options and waits for the brokers' roll.
// Once the scheduler has accepted the entry the binding is saved, so that a
// roll that fails or runs out of time leaves a tainted binding to replace.
func (r *secretBindingResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config secretBindingModel
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
	cluster, secretPath := plan.Cluster.ValueString(), plan.Path.ValueString()
	if err := authorizeBinding(cluster, secretPath); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("path"), "The cluster may not read this secret", err.Error()+".")
		return
	}

	// The secret first: the entry refers to it, and the scheduler refuses
	// an entry whose secret does not exist.
	existed := true
	switch info, err := c.GetSecret(ctx, secretPath); {
	case api.IsNotFound(err):
		existed = false
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the secret", fmt.Sprintf("Reading secret %s: %v", secretPath, err))
		return
	case !config.ValueWO.IsNull():
		if others := otherUsers(info.UsedBy, cluster); len(others) > 0 {
			resp.Diagnostics.AddAttributeError(path.Root("value_wo"), "Secret is shared with other services",
				fmt.Sprintf("Secret %s already exists and is used by %s. A binding with value_wo owns the secret's value (it rewrites it and deletes "+
					"the secret on destroy), which would roll and then break those services. Leave value_wo out to deliver the existing secret, "+
					"or use a path of this cluster's own.", secretPath, strings.Join(others, ", ")))
			return
		}
	}
	if config.ValueWO.IsNull() && !existed {
		resp.Diagnostics.AddAttributeError(path.Root("path"), "Secret does not exist", missingSecret(secretPath))
		return
	}
	if !config.ValueWO.IsNull() {
		if _, d := r.writeSecret(ctx, c, plan, config); d.HasError() {
			resp.Diagnostics.Append(d...)
			return
		}
	}

	put, changed, err := editSecrets(ctx, c, cluster, r.sched.pollInterval, func(o serviceOptions) (bool, error) {
		if cur, found, err := o.findEntry(secretPath); err != nil {
			return false, err
		} else if found {
			return false, &boundError{cluster: cluster, entry: cur}
		}
		return o.setEntry(plan.entry())
	})
	if err != nil || !changed {
		if !existed && !config.ValueWO.IsNull() {
			r.dropSecret(ctx, c, secretPath) // written above for nothing
		}
		addBindingError(&resp.Diagnostics, cluster, secretPath, "Adding", err)
		return
	}
	// From here on the cluster delivers the secret: save the binding
	// whatever happens next.
	plan.ID = types.StringValue(bindingID(cluster, secretPath))
	waitErr := r.waitRoll(ctx, c, cluster)
	readCtx, stop := freshContext(ctx)
	defer stop()
	resp.Diagnostics.Append(r.refreshSecret(readCtx, c, &plan, resp.Private, !config.ValueWO.IsNull())...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if waitErr != nil {
		resp.Diagnostics.AddError("The brokers' roll did not complete",
			fmt.Sprintf("Cluster %s accepted secret %s as %s (configuration %s), but its deploy plan did not complete within the create timeout (%s), "+
				"so the binding is tainted and the next apply replaces it. %s", cluster, secretPath, plan.entry().target(), put.ConfigID, timeout,
				explainWait(readCtx, c, cluster, waitErr)))
	}
}

// boundError is a create that finds the secret already bound.
type boundError struct {
	cluster string
	entry   secretEntry
}

func (e *boundError) Error() string {
	return fmt.Sprintf("cluster %s already gets secret %s (as %s); import that binding instead of creating it: terraform import <address> %s",
		e.cluster, e.entry.Secret, e.entry.target(), bindingID(e.cluster, e.entry.Secret))
}

func otherUsers(usedBy []string, cluster string) []string {
	var out []string
	for _, s := range usedBy {
		if strings.Trim(s, "/") != strings.Trim(cluster, "/") {
			out = append(out, s)
		}
	}
	return out
}

// writeSecret writes the configured value and returns the new version.
// Nothing of the value reaches a diagnostic.
func (r *secretBindingResource) writeSecret(ctx context.Context, c *api.Client, plan, config secretBindingModel) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	secretPath := plan.Path.ValueString()
	if config.ValueWO.IsNull() || config.ValueWO.IsUnknown() {
		diags.AddAttributeError(path.Root("value_wo"), "No value to write",
			fmt.Sprintf("The plan writes secret %s (value_wo_version or binary changed), but value_wo is not in the configuration. Set value_wo.", secretPath))
		return "", diags
	}
	value, binary, err := secretPayload(config.ValueWO.ValueString(), plan.Binary.ValueBool(), secretPath)
	if err != nil {
		diags.AddAttributeError(path.Root("value_wo"), "value_wo is not base64", err.Error()+".")
		return "", diags
	}
	info, err := c.PutSecret(ctx, secretPath, value, api.SecretPutOptions{Binary: binary})
	if err != nil {
		addAPIError(&diags, "Writing secret "+secretPath, err)
		return "", diags
	}
	return info.Version, diags
}

// dropSecret deletes a secret the binding wrote; a failure is left to the
// operator (the diagnostics already say why the create failed).
func (r *secretBindingResource) dropSecret(ctx context.Context, c *api.Client, secretPath string) {
	delCtx, stop := freshContext(ctx)
	defer stop()
	_ = c.DeleteSecret(delCtx, secretPath)
}

// addBindingError reports a failed edit of the cluster's options.
func addBindingError(diags *diag.Diagnostics, cluster, secretPath, doing string, err error) {
	var bound *boundError
	switch {
	case err == nil:
		return
	case errors.As(err, &bound):
		diags.AddAttributeError(path.Root("path"), "Secret already bound", bound.Error()+".")
	case api.IsNotFound(err):
		diags.AddAttributeError(path.Root("cluster"), "Cluster does not exist",
			fmt.Sprintf("The scheduler runs no service %q. Create the kafka_cluster first (reference kafka_cluster.<name>.name in cluster so that Terraform orders them).", cluster))
	case len(api.ProblemsOf(err)) > 0 || api.IsConflict(err):
		addAPIError(diags, fmt.Sprintf("%s secret %s to the options of cluster %s", doing, secretPath, cluster), err)
	default:
		diags.AddError("Cannot change the cluster's secrets", fmt.Sprintf("%s secret %s to the options of cluster %s: %v", doing, secretPath, cluster, err))
	}
}

// editSecrets is the read-modify-write of a cluster's service.secrets: read
// the options and their config id, let edit change them, and send them with
// If-Match of that id; a 412 (someone changed the cluster in between) starts
// again with the new options, a few times. changed is false when edit left
// the options as they were (nothing is sent then).
//
// A change is sent only while no roll runs: when the options read belong
// to a deploy plan still in progress (another binding of the same apply
// changed the cluster a moment ago, say), it waits for that plan first and
// reads again. With If-Match of what it read, the change can never land on
// a roll that started after the read, so the bindings of one apply roll the
// cluster one after another instead of piling updates onto a running roll.
func editSecrets(ctx context.Context, c *api.Client, cluster string, interval time.Duration, edit func(serviceOptions) (bool, error)) (api.PutResult, bool, error) {
	var lastErr error
	for attempt := 0; attempt < bindingRetries; {
		detail, err := c.GetService(ctx, cluster)
		if err != nil {
			return api.PutResult{}, false, err
		}
		if detail.Uninstalling {
			return api.PutResult{}, false, fmt.Errorf("cluster %s is being uninstalled", cluster)
		}
		if rolling(detail.Status) {
			if err := waitRollDone(ctx, c, cluster, interval); err != nil {
				return api.PutResult{}, false, err
			}
			continue
		}
		opts, err := decodeOptions(detail.Options)
		if err != nil {
			return api.PutResult{}, false, err
		}
		changed, err := edit(opts)
		if err != nil || !changed {
			return api.PutResult{}, false, err
		}
		put, err := c.PutService(ctx, cluster, opts.encode(), api.PutOptions{IfMatch: detail.ConfigID})
		if api.IsPreconditionFailed(err) {
			lastErr = err
			attempt++
			continue
		}
		return put, err == nil, err
	}
	return api.PutResult{}, false, fmt.Errorf("cluster %s changed %d times while its secrets were being edited; apply again: %w", cluster, bindingRetries, lastErr)
}

// rolling is true while a deploy plan has work going on or waiting; a
// plan that is complete or in ERROR is not waited for (a new configuration
// may be what repairs it).
func rolling(s api.Status) bool {
	return s != api.StatusComplete && s != api.StatusError && s != ""
}

// waitRollDone waits until the roll running now is over (its plan
// complete or in ERROR), before the binding changes the cluster again.
func waitRollDone(ctx context.Context, c *api.Client, cluster string, interval time.Duration) error {
	_, err := c.WaitPlan(ctx, cluster, deployPlan, api.WaitOptions{Interval: interval})
	var planErr *api.PlanError
	if errors.As(err, &planErr) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("waiting for the roll cluster %s runs now to finish before changing its secrets: %w", cluster, err)
	}
	return nil
}

// waitRoll waits for the cluster's deploy plan: the roll of the brokers
// that a changed secret entry or secret version restarts.
func (r *secretBindingResource) waitRoll(ctx context.Context, c *api.Client, cluster string) error {
	_, err := c.WaitPlan(ctx, cluster, deployPlan, api.WaitOptions{Interval: r.sched.pollInterval})
	return err
}

// retargetGrace bounds the wait for the new target after a secret write.
// The scheduler re-targets the services that use a secret within the
// write itself; one that keeps its target (uninstalling, failed) logs why,
// and the update fails after this long instead of at its timeout.
const retargetGrace = 30 * time.Second

// waitRetarget waits until a secret write has given the cluster a new
// target configuration (the scheduler re-targets every service that uses
// the secret), then for the roll.
func (r *secretBindingResource) waitRetarget(ctx context.Context, c *api.Client, cluster, before string) error {
	deadline := time.Now().Add(retargetGrace)
	for {
		detail, err := c.GetService(ctx, cluster)
		if err != nil {
			return fmt.Errorf("reading cluster %s after the secret write: %w", cluster, err)
		}
		if detail.ConfigID != before {
			return r.waitRoll(ctx, c, cluster)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %s did not take a configuration with the new secret version within %s (its target is still %s); "+
				"the scheduler keeps the target of a service that is uninstalling or failed, and its log says why", cluster, retargetGrace, before)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster %s did not take a configuration with the new secret version (its target is still %s): %w", cluster, before, ctx.Err())
		case <-time.After(r.sched.pollInterval):
		}
	}
}

// refreshSecret reads the secret's metadata into m (version; binary for a
// binding that writes the value) and, after a write, records the version
// in the private state.
func (r *secretBindingResource) refreshSecret(ctx context.Context, c *api.Client, m *secretBindingModel, private privateSetter, wrote bool) diag.Diagnostics {
	var diags diag.Diagnostics
	info, err := c.GetSecret(ctx, m.Path.ValueString())
	switch {
	case api.IsNotFound(err):
		m.SecretVersion = types.StringNull()
		return diags
	case err != nil:
		m.SecretVersion = types.StringNull()
		diags.AddError("Cannot read the secret", fmt.Sprintf("Reading secret %s: %v", m.Path.ValueString(), err))
		return diags
	}
	m.SecretVersion = types.StringValue(info.Version)
	if wrote {
		diags.Append(setWritten(ctx, private, info.Version)...)
	}
	return diags
}

// Read refreshes the binding: the entry in the cluster's options (a file or
// variable changed outside Terraform shows as drift; an entry removed, or a
// cluster gone, removes the binding from state) and the secret's version.
func (r *secretBindingResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state secretBindingModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.sched == nil || r.sched.Client == nil {
		return // endpoint unknown at plan time: keep the state as it is
	}
	c := r.sched.Client
	cluster, secretPath := state.Cluster.ValueString(), state.Path.ValueString()
	detail, err := c.GetService(ctx, cluster)
	switch {
	case api.IsNotFound(err) || (err == nil && detail.Uninstalling):
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the cluster", fmt.Sprintf("Reading the secrets of service %s: %v", cluster, err))
		return
	}
	opts, err := decodeOptions(detail.Options)
	if err != nil {
		resp.Diagnostics.AddError("Unreadable service options", fmt.Sprintf("Reading service %s: %v", cluster, err))
		return
	}
	entry, found, err := opts.findEntry(secretPath)
	if err != nil {
		resp.Diagnostics.AddError("Unreadable service options", fmt.Sprintf("Reading service %s: %v", cluster, err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	state.ID = types.StringValue(bindingID(cluster, secretPath))
	state.File, state.EnvKey = optionalString(entry.File), optionalString(entry.EnvKey)
	if state.Binary.IsNull() || state.Binary.IsUnknown() {
		state.Binary = types.BoolValue(false) // an import
	}
	info, err := c.GetSecret(ctx, secretPath)
	switch {
	case api.IsNotFound(err):
		state.SecretVersion = types.StringNull()
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the secret", fmt.Sprintf("Reading secret %s: %v", secretPath, err))
		return
	default:
		state.SecretVersion = types.StringValue(info.Version)
		if state.owned() && !base64Value(false, secretPath) {
			state.Binary = types.BoolValue(info.Binary)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// Update changes the entry (file or env_key) and writes the value when
// value_wo_version or binary changed or the secret was written outside
// Terraform, waiting for the brokers' roll after each.
func (r *secretBindingResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, config secretBindingModel
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
	cluster, secretPath := plan.Cluster.ValueString(), plan.Path.ValueString()
	written, diags := writtenVersion(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	why := writeNeeded(state, plan, written)
	if plan.SecretVersion.IsUnknown() && why == writeNone && plan.owned() {
		why = writeDrift
	}

	// applied is what the scheduler has taken so far: the plan's values
	// where a step was accepted, the state's otherwise, so that a failed
	// step is tried again by the next apply (the framework would save the
	// plan as it is).
	applied := plan
	applied.File, applied.EnvKey = state.File, state.EnvKey
	applied.ValueWOVersion, applied.Binary, applied.SecretVersion = state.ValueWOVersion, state.Binary, state.SecretVersion
	save := func() { resp.Diagnostics.Append(resp.State.Set(ctx, &applied)...) }

	var waitErr error
	waited := ""
	if plan.entry() != state.entry() {
		_, changed, err := editSecrets(ctx, c, cluster, r.sched.pollInterval, func(o serviceOptions) (bool, error) { return o.setEntry(plan.entry()) })
		if err != nil {
			addBindingError(&resp.Diagnostics, cluster, secretPath, "Changing", err)
			save()
			return
		}
		applied.File, applied.EnvKey = plan.File, plan.EnvKey
		if changed {
			waitErr, waited = r.waitRoll(ctx, c, cluster), "the roll for the new "+plan.entry().target()
		}
	}
	wrote := false
	if why != writeNone && waitErr == nil {
		// Like editSecrets: no new version onto a roll that runs now.
		before, err := c.GetService(ctx, cluster)
		if err == nil && rolling(before.Status) {
			if err = waitRollDone(ctx, c, cluster, r.sched.pollInterval); err == nil {
				before, err = c.GetService(ctx, cluster)
			}
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot read the cluster", fmt.Sprintf("Reading service %s before writing secret %s: %v", cluster, secretPath, err))
			save()
			return
		}
		if _, d := r.writeSecret(ctx, c, plan, config); d.HasError() {
			resp.Diagnostics.Append(d...)
			save()
			return
		}
		wrote = true
		applied.ValueWOVersion, applied.Binary = plan.ValueWOVersion, plan.Binary
		waitErr, waited = r.waitRetarget(ctx, c, cluster, before.ConfigID), "the roll for the new value of secret "+secretPath
	} else if why == writeNone {
		applied.ValueWOVersion, applied.Binary = plan.ValueWOVersion, plan.Binary
	}
	readCtx, stop := freshContext(ctx)
	defer stop()
	refresh := r.refreshSecret(readCtx, c, &applied, resp.Private, wrote)
	if waitErr == nil {
		resp.Diagnostics.Append(refresh...)
	}
	save()
	if waitErr != nil {
		detail := "The state holds what the scheduler accepted; the scheduler goes on with the roll."
		if why != writeNone && !wrote {
			detail += " The new value was not written yet: the next apply writes it."
		}
		resp.Diagnostics.AddError("The brokers' roll did not complete",
			fmt.Sprintf("The scheduler accepted the change of binding %s, but %s did not complete within the update timeout (%s). %s %s",
				plan.ID.ValueString(), waited, timeout, detail, explainWait(readCtx, c, cluster, waitErr)))
	}
}

// Delete removes the entry from the cluster's options, waits for the
// brokers' roll, and deletes the secret when the binding wrote it.
func (r *secretBindingResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state secretBindingModel
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
	cluster, secretPath := state.Cluster.ValueString(), state.Path.ValueString()
	_, changed, err := editSecrets(ctx, c, cluster, r.sched.pollInterval, func(o serviceOptions) (bool, error) { return o.removeEntry(secretPath) })
	switch {
	case api.IsNotFound(err):
		// The cluster is gone, and with it the entry.
	case err != nil:
		addBindingError(&resp.Diagnostics, cluster, secretPath, "Removing", err)
		return
	case changed:
		if err := r.waitRoll(ctx, c, cluster); err != nil {
			readCtx, stop := freshContext(ctx)
			defer stop()
			resp.Diagnostics.AddError("The brokers' roll did not complete",
				fmt.Sprintf("Cluster %s no longer delivers secret %s, but its deploy plan did not complete within the delete timeout (%s). "+
					"The binding stays in state so that the next destroy waits again. %s", cluster, secretPath, timeout, explainWait(readCtx, c, cluster, err)))
			return
		}
	}
	if !state.owned() {
		return
	}
	switch err := c.DeleteSecret(ctx, secretPath); {
	case err == nil, api.IsNotFound(err):
	case api.IsConflict(err):
		resp.Diagnostics.AddWarning("Secret kept: other services use it",
			fmt.Sprintf("The binding wrote secret %s, but the scheduler keeps it because other services still use it (%v). "+
				"Delete it with DELETE /v1/secrets/%s once they no longer do.", secretPath, err, secretPath))
	default:
		resp.Diagnostics.AddError("Cannot delete the secret",
			fmt.Sprintf("Cluster %s no longer uses secret %s, but deleting the secret failed: %v. Delete it with DELETE /v1/secrets/%s.", cluster, secretPath, err, secretPath))
	}
}

// ImportState imports "<cluster>/<path>". Both may hold slashes, so the
// scheduler says which split is bound. The value stays unknown to
// Terraform: an imported binding writes value_wo only when the
// configuration's value_wo_version differs (it is unset after an import).
func (r *secretBindingResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	candidates := importCandidates(req.ID)
	if len(candidates) == 0 {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not <cluster>/<path>: import a kafka_secret_binding as terraform import <address> <cluster name>/<secret path>, such as kafka/kafka/sasl-password.", req.ID))
		return
	}
	c, diags := r.sched.client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var tried []string
	for _, cand := range candidates {
		cluster, secretPath := cand[0], cand[1]
		detail, err := c.GetService(ctx, cluster)
		if api.IsNotFound(err) {
			tried = append(tried, fmt.Sprintf("no cluster %q", cluster))
			continue
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot read the cluster", fmt.Sprintf("Reading service %s for the import: %v", cluster, err))
			return
		}
		opts, err := decodeOptions(detail.Options)
		if err != nil {
			resp.Diagnostics.AddError("Unreadable service options", fmt.Sprintf("Reading service %s: %v", cluster, err))
			return
		}
		if _, found, _ := opts.findEntry(secretPath); !found {
			tried = append(tried, fmt.Sprintf("cluster %s does not get secret %q", cluster, secretPath))
			continue
		}
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), bindingID(cluster, secretPath))...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("cluster"), cluster)...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("path"), secretPath)...)
		return
	}
	resp.Diagnostics.AddError("Secret binding not found",
		fmt.Sprintf("Import id %q names no bound secret (%s). The id is <cluster name>/<secret path> of an entry in the cluster's service.secrets.",
			req.ID, strings.Join(slices.Compact(tried), "; ")))
}
