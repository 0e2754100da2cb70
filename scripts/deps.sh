#!/usr/bin/env bash
# Installs what the test suite needs when it is missing, and is quiet and fast
# when everything is present:
#   - a Java runtime and Debian's ZooKeeper server (for the real-ZooKeeper tests);
#   - a terraform CLI (for the provider's acceptance tests and the example
#     module's `terraform test`): the one on PATH if it is 1.6 or later,
#     otherwise terraform v$TERRAFORM_VERSION built with `go install` into the
#     project-local $TOOLS/bin (which the GNUmakefile puts first on PATH).
set -euo pipefail

: "${TOOLS:?TOOLS must name the project-local tool folder}"
: "${TERRAFORM_VERSION:?TERRAFORM_VERSION must be set}"

zookeeper_jar=/usr/share/java/zookeeper.jar

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "deps: need root to run: $* (re-run 'make deps' as root or install it by hand)" >&2
    return 1
  fi
}

if ! command -v java >/dev/null 2>&1 || [ ! -f "$zookeeper_jar" ] || ! command -v kcat >/dev/null 2>&1; then
  echo "deps: installing Java, ZooKeeper and kcat from Debian packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    default-jre-headless zookeeper kcat >/dev/null
fi

# terraform test (the example module's tests) needs terraform 1.6 or later.
min_terraform=1.6.0
terraform_version() {
  terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9][0-9.]*\).*/\1/p' | head -n 1
}
have=""
if command -v terraform >/dev/null 2>&1; then
  have=$(terraform_version)
fi
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$min_terraform" "$have" | sort -V | head -n 1)" != "$min_terraform" ]; then
  echo "deps: ${have:+terraform $have is older than $min_terraform; }building terraform v$TERRAFORM_VERSION into $TOOLS/bin (one-off, a few minutes)"
  mkdir -p "$TOOLS/bin"
  GOBIN="$TOOLS/bin" GOFLAGS= go install "github.com/hashicorp/terraform@v$TERRAFORM_VERSION"
fi
