#!/usr/bin/env bash
# Soak benchmark of `movierec serve` (not a test): for 5 minutes, GETs from 16
# connections, POST /events batches of 100 from 4 connections (a few bad
# events each), and every 60 s POST /RetrainModel then /RecommendAllUsers, on a
# fresh SQLite store; samples the server's RSS and the WAL/DB sizes every 5 s.
# Prints a result block (=== movierec soak === ... === end ===), then details.
# Usage: bash bench/soak.sh [--seconds N] [--connections N] [--ingest-connections N]
#                           [--job-interval S] [--drain-seconds S]
# The output is also kept in bench/out/soak.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
ARGS=("$@")
case " $* " in *" --seconds "*) ;; *) ARGS=(--seconds 300 "${ARGS[@]}") ;; esac
cargo build --release -q -p movierec
cargo bench -q -p movierec --bench soak -- "${ARGS[@]}" | tee bench/out/soak.txt
