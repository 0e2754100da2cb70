package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// previewEntryChange asks the scheduler's preview what the apply's change
// of the cluster's service.secrets does (the options the apply would send,
// checked as the apply's PUT is and changing nothing): a refusal becomes a
// plan-time error quoting the scheduler's rule, and an accepted change a
// warning naming, in order, the brokers the apply rolls. change says what
// the binding does ("adds secret x as file y"). A cluster that does not
// exist yet (created by the same apply) or a scheduler that cannot be
// asked is left to the apply.
//
// missingOK is true for a create: the apply writes the secret before the
// entry (value_wo), or the plan has warned that it must exist by then, so
// the scheduler's "does not exist" for it is expected, and without other
// problems the preview shows no order.
func previewEntryChange(ctx context.Context, c *api.Client, cluster, secretPath, change string, missingOK bool,
	edit func(serviceOptions) (bool, error), diags *diag.Diagnostics) {
	detail, err := c.GetService(ctx, cluster)
	if err != nil || detail.Uninstalling {
		return
	}
	opts, err := decodeOptions(detail.Options)
	if err != nil {
		return
	}
	changed, err := edit(opts)
	if err != nil {
		diags.AddAttributeError(path.Root("path"), "The cluster cannot take this binding", fmt.Sprintf("Cluster %s: %v.", cluster, err))
		return
	}
	if !changed {
		return
	}
	preview, err := c.PreviewService(ctx, cluster, opts.encode())
	if err != nil {
		problems := api.ProblemsOf(err)
		if len(problems) == 0 {
			diags.AddWarning("No preview from the scheduler", fmt.Sprintf("Asking the scheduler to preview the change of cluster %s: %v. The apply checks again.", cluster, err))
			return
		}
		refused := false
		for _, p := range problems {
			if missingOK && p.Value == secretPath && strings.Contains(p.Rule, "does not exist") {
				continue
			}
			refused = true
			diags.AddAttributeError(bindingAttribute(p.Field), "The scheduler refuses this binding",
				fmt.Sprintf("Cluster %s: %s.", cluster, problemText(p)))
		}
		if !refused {
			diags.AddWarning(fmt.Sprintf("Kafka cluster %s: the apply %s and rolls the brokers", cluster, change),
				fmt.Sprintf("Secret %s does not exist yet, so the scheduler cannot preview the roll; the apply rolls every broker of the cluster "+
					"through the safe rolling restart once the secret is there, and waits for it within the binding's timeouts.", secretPath))
		}
		return
	}
	steps := previewSteps(preview, -1)
	for i := range steps {
		steps[i].changes = shortSecretChanges(steps[i].changes)
	}
	summary, detailText := renderPreview(cluster, previewStrategy(preview), preview.Notes, steps, []string{change})
	diags.AddWarning(summary, detailText)
}

// bindingAttribute is the attribute a problem of a service.secrets field
// points at.
func bindingAttribute(field string) path.Path {
	switch {
	case strings.HasSuffix(field, ".file"):
		return path.Root("file")
	case strings.HasSuffix(field, ".env_key"):
		return path.Root("env_key")
	}
	return path.Root("path")
}

// warnValueWrite says at plan what a new value does: every service that
// uses the secret gets a new configuration and rolls its brokers.
func warnValueWrite(ctx context.Context, c *api.Client, m secretBindingModel, why write, diags *diag.Diagnostics) {
	secretPath, cluster := m.Path.ValueString(), m.Cluster.ValueString()
	users := []string{cluster}
	if c != nil {
		if info, err := c.GetSecret(ctx, secretPath); err == nil {
			users = appendMissing(info.UsedBy, cluster)
		}
	}
	reason := map[write]string{
		writeVersion: "value_wo_version changed",
		writeBinary:  "binary changed",
		writeDrift:   "the stored value is not the one this binding wrote",
	}[why]
	diags.AddWarning(fmt.Sprintf("Secret %s: the apply writes a new value and rolls %s", secretPath, strings.Join(users, ", ")),
		fmt.Sprintf("The apply writes value_wo to secret %s (%s). The scheduler then gives every service that uses it a new configuration "+
			"with the secret's new version, which rolls their brokers through the safe rolling restart: %s. The apply waits for the roll of %s "+
			"within the binding's timeouts.", secretPath, reason, strings.Join(users, ", "), cluster))
}

func appendMissing(list []string, s string) []string {
	for _, x := range list {
		if strings.Trim(x, "/") == strings.Trim(s, "/") {
			return list
		}
	}
	return append(append([]string(nil), list...), s)
}

// shortSecretChanges shortens a broker's change of the whole
// service.secrets list (the preview shows both lists in full) to its name:
// the warning's first line already says what changes in it.
func shortSecretChanges(changes []string) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		if strings.HasPrefix(c, "service.secrets: ") {
			c = "service.secrets"
		}
		out[i] = c
	}
	return out
}
