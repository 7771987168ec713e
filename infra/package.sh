#!/usr/bin/env bash
# Builds the Linux x86_64 release binary and lays out what the Functions host
# runs: dist/app (host.json, one folder per function with its function.json,
# the movierec executable) and dist/movierec.zip (the same, for Azure).
#
#   bash infra/package.sh
#
# The binary is statically linked (x86_64-unknown-linux-musl) where the
# toolchain has that target and a musl C compiler (the bundled SQLite and
# mimalloc are C): it then runs on whatever glibc the host's image has. Else
# it is the glibc build, which infra/check_glibc.sh refuses if it needs a
# newer glibc than the Functions images carry (README, Deploy to Azure).
set -euo pipefail
cd "$(dirname "$0")/.."
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl &&
  command -v musl-gcc >/dev/null; then
  target=x86_64-unknown-linux-musl
else
  target=x86_64-unknown-linux-gnu
  echo "package: building for glibc (for a static binary: rustup target add x86_64-unknown-linux-musl; apt-get install musl-tools)" >&2
fi
cargo build --release -p movierec --target "$target"
binary="target/$target/release/movierec"
bash infra/check_glibc.sh "$binary"
"$binary" package --binary "$binary" --out dist/app --zip dist/movierec.zip
