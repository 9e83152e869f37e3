#!/usr/bin/env bash
# build-large: peak memory while building a message with one large attachment file and
# streaming it to /dev/null: mailproto::mime::message_builder vs GMime 3 (stream mode).
#   BUILD_LARGE_MIB   attachment size in MiB (default 200)
#   BUILD_LARGE_ROUNDS rounds, programs interleaved (default 3); the median is reported.
# Prints `RESULT build-large-rss <tool> <MiB> MiB` (peak RSS, getrusage ru_maxrss) and
# `RESULT build-large-time <tool> <s> s`. The target is a flat peak (< 16 MiB) for mailproto.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
MIB=${BUILD_LARGE_MIB:-200}
ROUNDS=${BUILD_LARGE_ROUNDS:-3}
bin=$BENCH_BUILD/bench
mp=$bin/bench_build_large
gm=$bin/bench_gmime_build_large
[ -x "$mp" ] || { echo "build-large: $mp not built (run bench/run)" >&2; exit 1; }

mkdir -p "$BENCH_DATA"
data=$BENCH_DATA/build-large-${MIB}MiB.bin
if [ ! -s "$data" ]; then
  python3 - "$data" "$MIB" <<'PY'
import random, sys
rng = random.Random(20261128)  # deterministic content
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2])):
        f.write(rng.randbytes(1 << 20))
PY
fi

declare -A rss=() secs=()
run() {  # run NAME COMMAND...
  local name=$1; shift
  local line
  line=$("$@")
  rss[$name]+="$(awk '{print $2}' <<<"$line") "
  secs[$name]+="$(awk '{print $4}' <<<"$line") "
}
tools=(mailproto)
[ -x "$gm" ] && tools+=(gmime)
for ((r = 0; r < ROUNDS; r++)); do
  run mailproto "$mp" "$data"
  [ -x "$gm" ] && run gmime "$gm" "$data"
done
for t in "${tools[@]}"; do
  # shellcheck disable=SC2086
  echo "RESULT build-large-rss $t $(bench_median ${rss[$t]}) MiB"
  # shellcheck disable=SC2086
  echo "RESULT build-large-time $t $(bench_median ${secs[$t]}) s"
done
[ -x "$gm" ] || echo "build-large: GMime anchor not built (libgmime-3.0-dev missing?)" >&2
