#!/usr/bin/env bash
# The main job, end to end, on the embedded default: starts `kafka-scheduler
# dev`, talks to its REST API, and stops it cleanly. It grows with the
# scheduler core (see the README status table).
set -euo pipefail

bin=${1:?usage: demo.sh <bin folder>}
work=$(mktemp -d)
out="$work/dev.out"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "starting kafka-scheduler dev (embedded state in $work)"
"$bin/kafka-scheduler" dev --listen 127.0.0.1:0 --data-dir "$work/data" >"$out" 2>"$work/dev.log" &
pid=$!

url="" token=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^API: //p' "$out")
  token=$(sed -n 's/^API token: //p' "$out")
  [ -n "$url" ] && [ -n "$token" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/dev.log" >&2; echo "demo: kafka-scheduler dev exited early" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "demo: kafka-scheduler dev printed no API URL" >&2; exit 1; }
echo "API at $url"

step "GET $url/v1/health"
curl -fsS "$url/v1/health"; echo

step "GET $url/v1/services (with the API token)"
curl -fsS -H "Authorization: token=$token" "$url/v1/services"; echo

step "the same call without the token is refused"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/services")
echo "HTTP $code"
[ "$code" = 401 ]

step "stopping kafka-scheduler dev"
kill -TERM "$pid"
wait "$pid"
echo "stopped cleanly (exit 0)"
