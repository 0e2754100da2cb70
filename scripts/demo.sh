#!/usr/bin/env bash
# The main job, end to end, on the embedded default: starts `kafka-scheduler
# dev` (scheduler + local Mesos + embedded state + dev Kafka), installs a
# 3-broker service through the REST API, waits for its deploy plan, prints
# the broker endpoints, produces and consumes a message through them,
# uninstalls the service, shows that the local Mesos holds no reservation of
# it any more, and stops cleanly.
set -euo pipefail

bin=${1:?usage: demo.sh <bin folder>}
work=$(mktemp -d)
out="$work/dev.out"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "starting kafka-scheduler dev (embedded state in $work)"
"$bin/kafka-scheduler" dev --listen 127.0.0.1:0 --data-dir "$work/data" --kafka-dist "$bin/kafka-dev.tgz" >"$out" 2>"$work/dev.log" &
pid=$!

url="" token="" state=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/^API: //p' "$out")
  token=$(sed -n 's/^API token: //p' "$out")
  state=$(sed -n 's/^Mesos: .*state at \(.*\))$/\1/p' "$out")
  [ -n "$url" ] && [ -n "$token" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/dev.log" >&2; echo "demo: kafka-scheduler dev exited early" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "demo: kafka-scheduler dev printed no API URL" >&2; exit 1; }
echo "API at $url"

step "GET $url/v1/health"
curl -fsS "$url/v1/health"

step "GET $url/v1/services (with the API token)"
curl -fsS -H "Authorization: token=$token" "$url/v1/services"

step "the same call without the token is refused"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/services")
echo "HTTP $code"
[ "$code" = 401 ]

api() { curl -fsS -H "Authorization: token=$token" "$@"; }
democheck() { go run ./scripts/democheck "$@"; }
go build -o /dev/null ./scripts/democheck # compile it now, not while timing the deploy

step "PUT $url/v1/services/kafka: install 3 brokers, one per agent"
options='{"brokers": {"count": 3}, "service": {"placement_strategy": "NODE"}}'
echo "$options"
api -X PUT -H 'Content-Type: application/json' -d "$options" "$url/v1/services/kafka"

step "waiting for the deploy plan ($url/service/kafka/v1/plans/deploy answers 200 when COMPLETE)"
for i in $(seq 1 180); do
  code=$(curl -s -o "$work/plan.json" -w '%{http_code}' -H "Authorization: token=$token" "$url/service/kafka/v1/plans/deploy")
  [ "$code" = 200 ] && break
  [ $((i % 5)) = 0 ] && grep -o '"name":"kafka-[0-9]:\[broker\]","message":"[^"]*has status: .[A-Z_]*' "$work/plan.json" | sed 's/.*"name":"\([^"]*\)".*status: ./  \1 /' || true
  sleep 1
done
[ "$code" = 200 ] || { cat "$work/plan.json" >&2; tail -50 "$work/dev.log" >&2; echo "demo: the deploy did not complete" >&2; exit 1; }
echo "deploy plan COMPLETE"

step "GET $url/service/kafka/v1/endpoints/broker"
api "$url/service/kafka/v1/endpoints/broker" | tee "$work/broker.json"
step "GET $url/service/kafka/v1/endpoints/zookeeper"
api "$url/service/kafka/v1/endpoints/zookeeper"; echo

step "producing and consuming one message through the brokers (Kafka protocol)"
democheck roundtrip <"$work/broker.json"

step "GET $url/service/kafka/v1/pod/status"
api "$url/service/kafka/v1/pod/status"

step "reservations of kafka-role in the local Mesos before the uninstall"
curl -fsS "$state" | democheck reservations kafka-role

step "DELETE $url/v1/services/kafka: uninstall"
api -X DELETE "$url/v1/services/kafka"
for _ in $(seq 1 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token=$token" "$url/v1/services/kafka")
  [ "$code" = 404 ] && break
  sleep 1
done
[ "$code" = 404 ] || { tail -50 "$work/dev.log" >&2; echo "demo: the uninstall did not finish" >&2; exit 1; }
echo "service kafka is gone"
api "$url/v1/services"

step "reservations of kafka-role in the local Mesos after the uninstall"
curl -fsS "$state" | democheck no-reservations kafka-role

step "stopping kafka-scheduler dev"
kill -TERM "$pid"
wait "$pid"
echo "stopped cleanly (exit 0)"
