#!/usr/bin/env bash
# examples/run_idle_watch.sh EXAMPLE — the ctest check of example_idle_watch: start it on
# bob's INBOX, deliver a mail with swaks (an independent client) once it is watching, and
# check that it prints the arrival's subject (RFC 2047-encoded on the wire, decoded on print).
#
#   eval "$(scripts/sandbox env)"; examples/run_idle_watch.sh build/docs/examples/example_idle_watch
#
# Exit 77 (ctest: skipped) without the sandbox variables. A mail that Postfix delivers late
# from an earlier test can arrive first; then the attempt is repeated with a new subject.
set -euo pipefail
me=run_idle_watch
example="${1:?usage: $0 PATH/TO/example_idle_watch}"
if [[ -z ${MAILPROTO_HOST:-} ]]; then
  echo "$me: no sandbox (MAILPROTO_HOST unset): skipped"
  exit 77
fi
command -v swaks >/dev/null || { echo "$me: swaks missing (run scripts/setup)" >&2; exit 1; }

work="$(mktemp -d)"
watcher=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n $watcher ]]; then kill "$watcher" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# "Thư mới" (new letter) as an RFC 2047 B-word, then an ASCII marker.
encoded='=?UTF-8?B?VGjGsCBt4bubaQ==?='
for attempt in 1 2 3; do
  marker="idle-$$-$attempt-$RANDOM"
  out="$work/out.$attempt"
  MAILPROTO_EXAMPLE_MAX_EVENTS=1 MAILPROTO_EXAMPLE_TIMEOUT=30 "$example" >"$out" 2>&1 &
  watcher=$!
  for _ in $(seq 200); do # up to 20 s for connect + login + SELECT
    grep -q '^watching INBOX' "$out" && break
    kill -0 "$watcher" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^watching INBOX' "$out"; then
    cat "$out"
    echo "$me: FAIL: the example did not start watching" >&2
    exit 1
  fi
  swaks --server "$MAILPROTO_HOST" --port "$MAILPROTO_SMTP_PORT" --tls --tls-verify \
    --tls-ca-path "$MAILPROTO_CAFILE" --auth PLAIN --auth-user "$MAILPROTO_ALICE_USER" \
    --auth-password "$MAILPROTO_ALICE_PASSWORD" --from "$MAILPROTO_ALICE_ADDRESS" \
    --to "$MAILPROTO_BOB_ADDRESS" --header "Subject: $encoded $marker" >"$work/swaks.log" 2>&1 ||
    { cat "$work/swaks.log"; echo "$me: FAIL: swaks could not send" >&2; exit 1; }
  rc=0
  wait "$watcher" || rc=$?
  watcher=""
  cat "$out"
  if ((rc != 0)); then
    echo "$me: FAIL: example_idle_watch exited $rc" >&2
    exit 1
  fi
  if grep -qE "^new mail [0-9]+: Thư mới $marker\$" "$out"; then
    echo "$me: OK: the arrival was reported with its decoded subject"
    exit 0
  fi
  echo "$me: another message arrived first (attempt $attempt); again"
done
echo "$me: FAIL: the subject 'Thư mới $marker' was never printed" >&2
exit 1
