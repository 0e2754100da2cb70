#!/usr/bin/env bash
# The main job, end to end, as a platform team runs it: Terraform against
# `kafka-scheduler dev` (scheduler + local Mesos + embedded state + dev
# Kafka, all stand-ins on this machine).
#
#   1. start kafka-scheduler dev in the background (dev start) and take its
#      endpoint and token from what it prints;
#   2. terraform apply of examples/quickstart (3 brokers and two
#      kafka_topic resources), with the provider built into bin/ through
#      dev_overrides: no registry, no init;
#   3. produce and consume a record through the cluster's bootstrap_servers,
#      on the topic that Terraform created;
#   4. change brokers.mem: show the plan's preview of the rolling restart,
#      apply it, and read the record again;
#   5. terraform destroy, and show that the local Mesos holds no reservation
#      of the cluster any more;
#   6. stop kafka-scheduler dev cleanly (dev stop).
set -euo pipefail

bin=${1:?usage: demo.sh <bin folder>}
bin=$(cd "$bin" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
data="$work/dev"
started=""
cleanup() {
  if [ -n "$started" ]; then "$bin/kafka-scheduler" dev stop --data-dir "$data" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
democheck() { "$work/democheck" "$@"; }
go build -o "$work/democheck" "$root/scripts/democheck"

step "kafka-scheduler dev start (state, agents and brokers in $data)"
"$bin/kafka-scheduler" dev start --listen 127.0.0.1:0 --data-dir "$data" >"$work/dev.env"
started=yes
cat "$work/dev.env" | sed 's/^\(KAFKA_SCHEDULER_TOKEN=\).*/\1(hidden)/'
set -a
# shellcheck disable=SC1091
. "$work/dev.env"
set +a
mesos_state=$KAFKA_SCHEDULER_DEV_MESOS_STATE_URL

step "terraform with dev_overrides: the provider from $bin, nothing from a registry"
cat >"$work/dev.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/kafka-on-mesos/kafka" = "$bin"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$work/dev.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cp -r "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"
terraform version

step "terraform apply: a 3-broker cluster and its topics (examples/quickstart)"
start=$(date +%s)
terraform apply -auto-approve -no-color -compact-warnings | grep -v '^\s*$' | tail -n 12
echo "(apply took $(( $(date +%s) - start ))s: install, then the scheduler's deploy plan)"
bootstrap=$(terraform output -raw bootstrap_servers)
echo "bootstrap_servers = $bootstrap"
topic=$(terraform output -raw demo_topic)
echo "demo_topic = $topic (a kafka_topic resource)"

step "produce and consume through bootstrap_servers (Kafka protocol)"
democheck produce "$bootstrap" "$topic" | tee "$work/produced"
value=$(tail -n 1 "$work/produced")
democheck consume "$bootstrap" "$topic" "$value"
if command -v kcat >/dev/null 2>&1; then
  step "kcat, a Kafka client of its own, reads the same record"
  kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -q
fi

step "terraform plan -var broker_mem=1536: the scheduler's preview of the rolling restart"
terraform plan -no-color -var broker_mem=1536 -out "$work/mem.plan" | sed -n '/will be updated in-place/,$p'

step "terraform apply of that plan: the brokers roll one at a time"
start=$(date +%s)
terraform apply -no-color -compact-warnings "$work/mem.plan" | grep -v '^\s*$' | tail -n 4
echo "(rolling update took $(( $(date +%s) - start ))s)"
bootstrap=$(terraform output -raw bootstrap_servers)

step "the record written before the update is still there"
democheck consume "$bootstrap" "$topic" "$value"

step "terraform plan: nothing left to do"
set +e
terraform plan -no-color -detailed-exitcode -var broker_mem=1536 >"$work/noop.plan"
code=$?
set -e
tail -n 3 "$work/noop.plan"
[ "$code" = 0 ] || { cat "$work/noop.plan" >&2; echo "demo: the plan after the update is not empty (exit $code)" >&2; exit 1; }

step "reservations of quickstart-role in the local Mesos before the destroy"
curl -fsS "$mesos_state" | democheck reservations quickstart-role

step "terraform destroy: uninstall, wait until the service is gone"
terraform destroy -auto-approve -no-color -compact-warnings -var broker_mem=1536 | grep -v '^\s*$' | tail -n 2

step "reservations of quickstart-role in the local Mesos after the destroy"
curl -fsS "$mesos_state" | democheck no-reservations quickstart-role

step "kafka-scheduler dev stop"
"$bin/kafka-scheduler" dev stop --data-dir "$data"
started=""
