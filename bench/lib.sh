# Shared helpers for bench jobs: sourced, not run.
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${MAILPROTO_BENCH_BUILD:-$BENCH_ROOT/build/bench}
BENCH_DATA=${MAILPROTO_BENCH_DATA:-$BENCH_BUILD/data}

# bench_need_pkgs PKG...: apt-get install the Debian packages that are missing.
bench_need_pkgs() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# bench_build: configure and build every bench program (Release) once.
bench_build() {
  bench_need_pkgs cmake g++ pkg-config libasio-dev libssl-dev libgmime-3.0-dev libetpan-dev python3 curl
  cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DMAILPROTO_BUILD_BENCH=ON \
    -DMAILPROTO_BUILD_TESTS=OFF -DMAILPROTO_BUILD_EXAMPLES=OFF -DMAILPROTO_BUILD_APPS=ON >/dev/null
  cmake --build "$BENCH_BUILD" -j2 >/dev/null
  mkdir -p "$BENCH_DATA"
}

# bench_median V...: the median of the numbers given.
bench_median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
