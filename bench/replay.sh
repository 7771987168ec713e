#!/usr/bin/env bash
# The promotion gate replayed: the bundled ml-latest-small in timestamp order in 10 growing
# steps, a retrain with the app's default settings after each, and a broken candidate (rank 1)
# beside it. Prints the table for the README; exits 1 if a same-settings retrain is rejected
# or the broken candidate is promoted (handlers/app/benches/replay.rs says why).
#
# Usage: bash bench/replay.sh [--steps N] [--ratings FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD)"
cargo bench -q -p movierec --bench replay -- "$@" | tee bench/out/replay.txt
