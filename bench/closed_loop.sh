#!/usr/bin/env bash
# The closed loop (README, "A/B tests"): a synthetic world's users fetch their lists from the app
# and rate what they look at and expect to like, while an A/B test serves half of them the
# model's lists and half the most-popular list.
#
# Starts `movierec serve` on a fresh store without the bundled data, with MOVIEREC_AB_TEST=
# model:1,popular:1 (or AB_TEST), every answer recorded as an impression and a 60-minute
# "liked" window; warms it with WARM ratings streamed from the synthetic world
# (movierec-generate --synthetic), trains and publishes; then runs `movierec-generate --closed-loop` for DURATION at RATE lists/s, with
# the app's timers retraining every 2 minutes. Prints the generator's own tally per arm and the
# app's GET /dashboard/online, and saves its "Served, then liked" card as bench/out/closed_loop.png
# (Debian's chromium, headless) with the JSON beside it.
#
# Usage: [SEED=7] [CHOICE=4] [AB_TEST=model:1,popular:1] bash bench/closed_loop.sh [DURATION] [USERS]
#        [MOVIES] [WARM] [RATE]   (defaults 10m 2000 1500 100000 50; CHOICE is --choice-candidates;
#        AB_TEST is MOVIEREC_AB_TEST, e.g. model:1,rank8(rank=8):1 for an arm of other parameters)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10m}; USERS=${2:-2000}; MOVIES=${3:-1500}; WARM=${4:-100000}; RATE=${5:-50}
SEED=${SEED:-7}
# Movies a synthetic user weighs (drawn by popularity) before rating the one their taste prefers.
CHOICE=${CHOICE:-4}
AB_TEST=${AB_TEST:-model:1,popular:1}
OUT=bench/out; mkdir -p "$OUT"
cargo build --release -q -p movierec -p movierec-generate
STORE=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
env MOVIEREC_STORE="$STORE" MOVIEREC_BOOTSTRAP=false MOVIEREC_LOG=warn \
  MOVIEREC_AB_TEST="$AB_TEST" MOVIEREC_IMPRESSIONS_SAMPLE=1 \
  MOVIEREC_LIKED_WITHIN_MINUTES=60 MOVIEREC_DASHBOARD_CACHE_SECONDS=5 \
  MOVIEREC_RETRAIN_SCHEDULE='0 */2 * * * *' MOVIEREC_RECOMMEND_SCHEDULE='*/15 * * * * *' \
  target/release/movierec serve --port "$PORT" >"$STORE/out" 2>"$STORE/log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$STORE"' EXIT
until curl -fs "$URL/healthz" >/dev/null; do
  kill -0 $PID 2>/dev/null || { cat "$STORE/log"; exit 1; }
  sleep 0.3
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); command: CHOICE=$CHOICE SEED=$SEED AB_TEST='$AB_TEST' bash bench/closed_loop.sh $*"
target/release/movierec-generate --synthetic --users "$USERS" --movies "$MOVIES" --count "$WARM" \
  --choice-candidates "$CHOICE" --seed "$SEED" --to "$URL/events"
for job in RetrainModel RecommendAllUsers; do
  curl -fs -X POST -H 'Content-Type: application/json' -d '{}' "$URL/$job" >/dev/null
done
target/release/movierec-generate --synthetic --closed-loop --users "$USERS" --movies "$MOVIES" --choice-candidates "$CHOICE" \
  --seed "$SEED" --duration "$DURATION" --rate "$RATE" --to "$URL/events" --json
sleep 6  # past the dashboard's 5 s cache
curl -fs "$URL/dashboard/online" | tee "$OUT/closed_loop.json" | python3 -m json.tool
# The screenshot: the page's "Served, then liked" card alone (table, chart over time, A/B
# verdict), with the page's own styles, and the whole page beside it.
curl -fs "$URL/dashboard" > "$STORE/page.html"
python3 - "$STORE/page.html" "$STORE/online.html" <<'PY'
import sys
page = open(sys.argv[1]).read()
head = page[: page.index("<main>")]
card = page[page.index('<div class="card wide" id="online">') : page.index("</main>")]
open(sys.argv[2], "w").write(head + "<main>" + card + "</main></body></html>")
PY
if command -v chromium >/dev/null; then
  shot() {
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$(mktemp -d)" --window-size="$1" --screenshot="$2" "$3" 2>/dev/null
  }
  shot 1280,1250 "$OUT/closed_loop.png" "file://$STORE/online.html"
  shot 1280,5000 "$OUT/closed_loop_page.png" "$URL/dashboard"
  echo "screenshots: $OUT/closed_loop.png (the online card), $OUT/closed_loop_page.png (the page)"
fi
