#!/usr/bin/env bash
# Starts the local Cosmos DB server for the tests (shim.js in front of
# @vercel/cosmosdb-server) on 127.0.0.1, installing its pinned npm packages
# first if needed (npm ci, from package-lock.json).
#
#   bash testsupport/cosmos/start.sh [PORT]      (default 8082)
#
# Prints the line to export, e.g.
#   export MOVIEREC_TEST_COSMOS_ENDPOINT=http://127.0.0.1:8082/
# and records the server's pid in testsupport/cosmos/server.pid; stop.sh stops it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${1:-8082}"
cd "$here"
if [ ! -d node_modules/@vercel/cosmosdb-server ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ -f server.pid ] && kill -0 "$(cat server.pid)" 2>/dev/null; then
  echo "a local Cosmos DB server is already running (pid $(cat server.pid)); run stop.sh first" >&2
  exit 1
fi
node shim.js --port "$port" > server.log 2>&1 &
echo $! > server.pid
for _ in $(seq 1 100); do
  if grep -q "ready on" server.log 2>/dev/null; then
    echo "export MOVIEREC_TEST_COSMOS_ENDPOINT=http://127.0.0.1:${port}/"
    exit 0
  fi
  if ! kill -0 "$(cat server.pid)" 2>/dev/null; then
    echo "the local Cosmos DB server failed to start:" >&2
    cat server.log >&2
    rm -f server.pid
    exit 1
  fi
  sleep 0.1
done
echo "the local Cosmos DB server did not get ready in 10 s; its log:" >&2
cat server.log >&2
exit 1
