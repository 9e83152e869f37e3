# shellcheck shell=bash
# Shared helpers for the scripts in scripts/ (sourced, never executed).
#
# Every script sets MAILPROTO_SCRIPT to its own name before sourcing this file, so all
# messages are prefixed with it ("sandbox: ...").

# shellcheck disable=SC2034  # used by the scripts that source this file
MAILPROTO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAILPROTO_SCRIPT="${MAILPROTO_SCRIPT:-$(basename "$0")}"

say() { printf '%s: %s\n' "$MAILPROTO_SCRIPT" "$*"; }
warn() { printf '%s: warning: %s\n' "$MAILPROTO_SCRIPT" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$MAILPROTO_SCRIPT" "$*" >&2
  exit 1
}

# as_root CMD...: run CMD as root (directly when we are root, else through sudo).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# now_ms: wall-clock milliseconds, for timing messages.
now_ms() { date +%s%3N; }

# The servers' tools live in sbin directories that a non-login shell may not list.
case ":$PATH:" in
  *:/usr/sbin:*) ;;
  *) PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" ;;
esac
export PATH

# port_listening PORT: something listens on TCP PORT of 127.0.0.1 or of every address
# (read from /proc/net/tcp: no connection is made).
port_listening() {
  local p
  p="$(printf '%04X' "$1")"
  awk -v a="0100007F:$p" -v b="00000000:$p" \
    'NR > 1 && ($2 == a || $2 == b) && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}

# The sandbox's ports are BASE plus these offsets (see scripts/sandbox).
MAILPROTO_PORT_OFFSETS=(25 110 143 465 587 993 995)

# pick_port_base FIRST: the first base FIRST, FIRST+1000, ... whose sandbox ports are all
# free (so parallel runs by several people do not collide).
pick_port_base() {
  local base="$1" off busy
  while ((base + 995 <= 65535)); do
    busy=
    for off in "${MAILPROTO_PORT_OFFSETS[@]}"; do
      if port_listening $((base + off)); then
        busy=1
        break
      fi
    done
    if [[ -z $busy ]]; then
      echo "$base"
      return 0
    fi
    base=$((base + 1000))
  done
  return 1
}
