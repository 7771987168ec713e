#!/usr/bin/env bash
# Builds the Linux x86_64 release binary and lays out what the Functions host
# runs: dist/app (host.json, one folder per function with its function.json,
# the movierec executable) and dist/movierec.zip (the same, for Azure).
#
#   bash infra/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
cargo build --release -p movierec --target "$target"
"target/$target/release/movierec" package --binary "target/$target/release/movierec" \
  --out dist/app --zip dist/movierec.zip
