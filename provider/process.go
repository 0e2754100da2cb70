package provider

import (
	"os"
	"runtime/debug"
)

// Terraform reads a provider's logs from its stderr: the plugin SDK
// writes every log line as JSON there (trace level unless an environment
// variable says otherwise), and terraform parses each line and drops it
// unless TF_LOG or TF_LOG_PROVIDER asks for provider logs. With thousands
// of resources the SDK's trace lines (several per RPC, each with its
// fields) were most of the provider's CPU time and much of terraform's, to
// produce output nobody reads.

// terraformLogVars are the variables with which terraform itself keeps
// provider logs; sdkLogVars the plugin SDK's own levels.
var (
	terraformLogVars = []string{"TF_LOG", "TF_LOG_PROVIDER"}
	sdkLogVars       = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_KAFKA"}
)

// SilenceDiscardedLogs turns the plugin SDK's logging off when terraform
// would discard it anyway (neither TF_LOG nor TF_LOG_PROVIDER is set). A
// level set explicitly (TF_LOG_SDK=TRACE, ...) is kept. The provider binary
// calls it once before serving; it changes only this process's
// environment, which terraform passed down.
func SilenceDiscardedLogs() {
	for _, name := range terraformLogVars {
		if os.Getenv(name) != "" {
			return
		}
	}
	for _, name := range sdkLogVars {
		if os.Getenv(name) == "" {
			os.Setenv(name, "OFF")
		}
	}
}

// gcPercent is the provider binary's GOGC. Its live heap is a few MB, so
// with Go's default of 100 a plan of thousands of resources (each RPC
// decoding and encoding whole objects) collected garbage every few MB:
// about a fifth of its CPU time. 400 trades a few tens of MB for that.
const gcPercent = 400

// TuneGC sets gcPercent unless GOGC says otherwise. The provider binary
// calls it once before serving.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
