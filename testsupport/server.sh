#!/usr/bin/env bash
# Starts or stops one of the local servers the tests use, on 127.0.0.1,
# installing its pinned npm packages first when needed (npm ci, from its
# package-lock.json):
#   cosmos     Cosmos DB (NoSQL API): @vercel/cosmosdb-server behind cosmos/shim.js
#   eventhubs  an AMQP 1.0 Event Hubs stand-in: eventhubs/server.js (rhea)
#   blob       Azure Blob Storage: Azurite's Blob service alone, blob/server.js
#              (account devstoreaccount1, data in a fresh temporary directory)
#
#   bash testsupport/server.sh start cosmos [PORT]     (default 8082)
#   bash testsupport/server.sh start eventhubs [PORT]  (default 5672)
#   bash testsupport/server.sh start blob [PORT]       (default 10000)
#   bash testsupport/server.sh stop cosmos|eventhubs|blob
#
# `start` prints the line to export, e.g.
#   export MOVIEREC_TEST_COSMOS_ENDPOINT=http://127.0.0.1:8082/
# and keeps the server's pid in testsupport/<name>/server.pid.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
action="${1:-}"
name="${2:-}"
case "$name" in
  cosmos) entry=shim.js; port="${3:-8082}"; variable=MOVIEREC_TEST_COSMOS_ENDPOINT; url="http://127.0.0.1:${port}/" ;;
  eventhubs) entry=server.js; port="${3:-5672}"; variable=MOVIEREC_TEST_EVENTHUBS_ENDPOINT; url="amqp://127.0.0.1:${port}" ;;
  blob) entry=server.js; port="${3:-10000}"; variable=MOVIEREC_TEST_BLOB_ENDPOINT; url="http://127.0.0.1:${port}/devstoreaccount1" ;;
  *) echo "usage: $0 start|stop cosmos|eventhubs|blob [PORT]" >&2; exit 2 ;;
esac
dir="$here/$name"
pidfile="$dir/server.pid"
case "$action" in
  stop)
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop cosmos|eventhubs|blob [PORT]" >&2; exit 2 ;;
esac
cd "$dir"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "the $name test server is already running (pid $(cat "$pidfile")); stop it first" >&2
  exit 1
fi
# node itself, not npx, so the recorded pid is the server's
node "$entry" --port "$port" > server.log 2>&1 &
echo $! > "$pidfile"
for _ in $(seq 1 300); do
  if grep -q "ready on" server.log 2>/dev/null; then
    echo "export $variable=$url"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "the $name test server failed to start:" >&2
    cat server.log >&2
    rm -f "$pidfile"
    exit 1
  fi
  sleep 0.1
done
echo "the $name test server did not get ready in 30 s; its log:" >&2
cat server.log >&2
exit 1
