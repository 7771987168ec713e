#!/usr/bin/env bash
# Generator throughput: events/s that `movierec-generate` sends (and has
# acknowledged) to the app's POST /events and to the local Event Hubs test
# server. Builds the release binaries, starts `movierec serve` on a fresh
# embedded store without bootstrap, and, unless one is already named by
# MOVIEREC_TEST_EVENTHUBS_ENDPOINT, the Event Hubs test server. Stops what it
# started.
#
#   bash bench/generate.sh [EVENTS]     (default 200000 to the app, half to the hub
#                                       synthetic; the bundled 100,836 replayed by key)
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-200000}"
hub_events=$((events / 2))
cargo build --release -p movierec -p movierec-generate >&2
bin=target/release/movierec
generate=target/release/movierec-generate
work="$(mktemp -d)"
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${started_hub:-}" ] && bash testsupport/server.sh stop eventhubs || true
  rm -rf "$work"
}
trap cleanup EXIT

MOVIEREC_STORE="$work/store" MOVIEREC_BOOTSTRAP=false MOVIEREC_RETRAIN_SCHEDULE="0 0 0 1 1 *" \
  "$bin" serve --port 0 2> "$work/serve.log" &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
url="$(sed -n 's/^movierec listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log")"

summary() {
  tail -1 "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("{:,} events in {:.1f} s: {:,.0f} events/s, {} retries".format(s["sent"], s["seconds"], s["events_per_second"], s["retries"]))'
}

for batch in 100 1000; do
  "$generate" --synthetic --users 10000 --movies 5000 --count "$events" --batch "$batch" \
    --to "$url/events" --json 2> "$work/app.log" > /dev/null
  echo "to the app (POST /events, SQLite), batches of $batch: $(summary "$work/app.log")"
done

if [ -z "${MOVIEREC_TEST_EVENTHUBS_ENDPOINT:-}" ]; then
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  eval "$(bash testsupport/server.sh start eventhubs "$port")"
  started_hub=1
fi
# by hash: synthetic users in random order, batches fill to the size limit
"$generate" --synthetic --users 10000 --movies 5000 --count "$hub_events" --batch 1000 \
  --to eventhub --namespace localhost --hub "bench-hash-$$" --partition-by hash \
  --eventhub-endpoint "$MOVIEREC_TEST_EVENTHUBS_ENDPOINT" --send-timeout 5s --json \
  2> "$work/hub.log" > /dev/null
echo "to the Event Hubs test server, synthetic, --partition-by hash: $(summary "$work/hub.log")"
# by key: the bundled ratings replayed (ordered by user, so one batch per user's run)
"$generate" --from data/ml-latest-small/ratings.csv --batch 1000 \
  --to eventhub --namespace localhost --hub "bench-key-$$" --partition-by key \
  --eventhub-endpoint "$MOVIEREC_TEST_EVENTHUBS_ENDPOINT" --send-timeout 5s --json \
  2> "$work/hub.log" > /dev/null
echo "to the Event Hubs test server, bundled replay, --partition-by key: $(summary "$work/hub.log")"
