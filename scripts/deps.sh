#!/usr/bin/env bash
# Installs what the test suite needs when it is missing, and is quiet and fast
# when everything is present:
#   - a Java runtime and Debian's ZooKeeper server (for the real-ZooKeeper tests);
#   - a terraform CLI (for the provider's acceptance tests and the example
#     module's `terraform test`): the one on PATH if it is 1.11 or later,
#     otherwise terraform v$TERRAFORM_VERSION built from its source on the Go
#     module proxy into the project-local $TOOLS/bin (which the GNUmakefile
#     puts first on PATH). CI reaches only the module proxy, Debian and npm,
#     so neither releases.hashicorp.com nor GitHub is used.
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

# The provider's write-only attributes (value_wo) need terraform 1.11 or later.
min_terraform=1.11.0
terraform_version() {
  terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9][0-9.]*\).*/\1/p' | head -n 1
}
have=""
if command -v terraform >/dev/null 2>&1; then
  have=$(terraform_version)
fi
if [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$min_terraform" "$have" | sort -V | head -n 1)" = "$min_terraform" ]; then
  exit 0
fi

# `go install github.com/hashicorp/terraform@v1.11+` fails: terraform's go.mod
# replaces its remote-state backends (azure, consul, cos, gcs, kubernetes, oss,
# pg, s3) and internal/legacy with local folders that are not in the module
# zip. So the script takes the module's source from the proxy, copies it to a
# scratch folder and builds it without those modules:
#   - drops their require and replace lines from go.mod (internal/legacy is
#     imported only by a test, never by the terraform binary);
#   - drops the eight backends' imports and registrations from
#     internal/backend/init/init.go, the only non-test file importing them.
# The local, http, inmem, remote and cloud backends stay; the tests use local
# state. A config naming a dropped backend gets terraform's own
# "Unsupported backend type" error. The build is reproducible: go.mod and
# go.sum pin every module (-mod=readonly refuses any change), the Go release
# is terraform's own .go-version, and -trimpath keeps the scratch path out of
# the binary.
echo "deps: ${have:+terraform $have is older than $min_terraform; }building terraform v$TERRAFORM_VERSION from the Go module proxy into $TOOLS/bin (one-off, several minutes)"

dropped_modules="backend/remote-state/azure backend/remote-state/consul backend/remote-state/cos
  backend/remote-state/gcs backend/remote-state/kubernetes backend/remote-state/oss
  backend/remote-state/pg backend/remote-state/s3 legacy"
dropped_backends='Azure|Consul|Cos|GCS|Kubernetes|OSS|Pg|S3'

scratch=$(mktemp -d "${TMPDIR:-/tmp}/terraform-build.XXXXXX")
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
log="$scratch/build.log"

build_terraform() {
  export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0
  cd "$scratch"
  local src
  src=$(go mod download -json "github.com/hashicorp/terraform@v$TERRAFORM_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": *"\(.*\)",*$/\1/p')
  [ -n "$src" ] && [ -f "$src/go.mod" ] || { echo "no source folder for terraform v$TERRAFORM_VERSION"; return 1; }
  cp -R "$src" "$scratch/terraform"
  chmod -R u+w "$scratch/terraform"
  cd "$scratch/terraform"
  # The Go release terraform names in .go-version (fetched from the module
  # proxy like any toolchain): newer Go refuses its go.mod (Go 1.26 no longer
  # knows its `godebug tlskyber=0`), and a pinned compiler keeps the build
  # the same whatever Go the machine has.
  if [ -f .go-version ]; then
    export GOTOOLCHAIN="go$(tr -d '[:space:]' <.go-version)"
  fi

  local edits=() m
  for m in $dropped_modules; do
    edits+=("-droprequire=github.com/hashicorp/terraform/internal/$m" "-dropreplace=github.com/hashicorp/terraform/internal/$m")
  done
  go mod edit "${edits[@]}"

  local init=internal/backend/init/init.go
  sed -i -E "/\<backend($dropped_backends)\>/d" "$init"
  if grep -q 'remote-state/\(azure\|consul\|cos\|gcs\|kubernetes\|oss\|pg\|s3\)"' "$init"; then
    echo "$init still imports a dropped backend: the patch no longer fits terraform v$TERRAFORM_VERSION"
    return 1
  fi

  go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" \
    -o "$TOOLS/bin/terraform.new" .
  mv "$TOOLS/bin/terraform.new" "$TOOLS/bin/terraform"
}

# errexit is off in an `if` or `||` condition, so the subshell runs outside one.
mkdir -p "$TOOLS/bin"
TOOLS=$(cd "$TOOLS" && pwd)
set +e
(
  set -e
  build_terraform
) >"$log" 2>&1
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "deps: building terraform v$TERRAFORM_VERSION failed:" >&2
  cat "$log" >&2
  exit 1
fi
built=$("$TOOLS/bin/terraform" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p' | head -n 1)
if [ "$built" != "$TERRAFORM_VERSION" ]; then
  echo "deps: the terraform built into $TOOLS/bin reports version '$built', not $TERRAFORM_VERSION" >&2
  exit 1
fi
