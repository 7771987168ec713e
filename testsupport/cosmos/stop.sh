#!/usr/bin/env bash
# Stops the local Cosmos DB server started by start.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/server.pid" ]; then
  kill "$(cat "$here/server.pid")" 2>/dev/null || true
  rm -f "$here/server.pid"
fi
