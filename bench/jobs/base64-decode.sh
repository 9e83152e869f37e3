#!/usr/bin/env bash
# base64-decode: mailproto's base64 decoder against GMime 3 and OpenSSL.
#   wrapped    64 MiB of random bytes as 76-column CRLF base64 (what mail carries):
#              mailproto::mime::base64_decoder vs g_mime_encoding_base64_decode_step
#   unwrapped  the same bytes as one base64 line:
#              mailproto::mime::base64_decode_simd (and _scalar) vs OpenSSL EVP_DecodeBlock
# MB/s are encoded input megabytes (10^6 bytes) per second: the median over ROUNDS rounds,
# the programs interleaved in each round; each program reports its best of 3 iterations.
# Every program prints a hash of its output; the job fails if they disagree.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
ROUNDS=${BASE64_BENCH_ROUNDS:-5}
bin=$BENCH_BUILD/bench
mp=$bin/bench_base64_decode
gm=$bin/bench_gmime_base64_decode
[ -x "$mp" ] || { echo "base64-decode: $mp not built (run bench/run)" >&2; exit 1; }

mkdir -p "$BENCH_DATA"
wrapped=$BENCH_DATA/base64-64MiB-wrapped.b64
flat=$BENCH_DATA/base64-64MiB-unwrapped.b64
if [ ! -s "$wrapped" ] || [ ! -s "$flat" ]; then
  python3 - "$wrapped" "$flat" <<'PY'
import base64, random, sys
data = random.Random(20261128).randbytes(64 << 20)  # deterministic
enc = base64.b64encode(data)
with open(sys.argv[1], "wb") as f:
    f.write(b"\r\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + b"\r\n")
with open(sys.argv[2], "wb") as f:
    f.write(enc)
PY
fi

declare -A speeds=()
declare -A hashes=()
run() {  # run NAME COMMAND...
  local name=$1; shift
  local line
  line=$("$@")
  speeds[$name]+="$(awk '{print $2}' <<<"$line") "
  hashes[$name]=$(awk '{print $4}' <<<"$line")
}
have_gmime=0
[ -x "$gm" ] && have_gmime=1
for ((r = 0; r < ROUNDS; r++)); do
  run wrapped-mailproto "$mp" wrapped "$wrapped"
  [ $have_gmime = 1 ] && run wrapped-gmime "$gm" "$wrapped"
  run unwrapped-mailproto "$mp" simd "$flat"
  run unwrapped-openssl "$mp" openssl "$flat"
  run unwrapped-scalar "$mp" scalar "$flat"
done

status=0
ref=${hashes[wrapped-mailproto]}
for k in "${!hashes[@]}"; do
  if [ "${hashes[$k]}" != "$ref" ]; then
    echo "base64-decode: $k decoded different bytes (${hashes[$k]} != $ref)" >&2
    status=1
  fi
done
# shellcheck disable=SC2086
{
  echo "RESULT base64-decode-wrapped mailproto $(bench_median ${speeds[wrapped-mailproto]}) MB/s"
  if [ $have_gmime = 1 ]; then
    echo "RESULT base64-decode-wrapped gmime $(bench_median ${speeds[wrapped-gmime]}) MB/s"
  else
    echo "base64-decode: GMime anchor not built (pkg-config gmime-3.0 missing)" >&2
  fi
  echo "RESULT base64-decode-unwrapped mailproto $(bench_median ${speeds[unwrapped-mailproto]}) MB/s"
  echo "RESULT base64-decode-unwrapped openssl $(bench_median ${speeds[unwrapped-openssl]}) MB/s"
  echo "RESULT base64-decode-unwrapped mailproto-scalar $(bench_median ${speeds[unwrapped-scalar]}) MB/s"
}
exit $status
