#!/usr/bin/env bash
# examples/run_download_attachments.sh EXAMPLE — the ctest check of example_download_attachments:
# swaks (an independent client) sends bob a mail with two attachments — random bytes named
# .rar, and one whose name tries to climb out of the directory ("../../x") — then the example
# fetches the newest messages and must save both, byte for byte, inside its directory.
#
#   eval "$(scripts/sandbox env)"; examples/run_download_attachments.sh build/docs/examples/example_download_attachments
#
# Exit 77 (ctest: skipped) without the sandbox variables.
set -euo pipefail
me=run_download_attachments
example="${1:?usage: $0 PATH/TO/example_download_attachments}"
if [[ -z ${MAILPROTO_HOST:-} ]]; then
  echo "$me: no sandbox (MAILPROTO_HOST unset): skipped"
  exit 77
fi
command -v swaks >/dev/null || { echo "$me: swaks missing (run scripts/setup)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
marker="dl-$$-$RANDOM"
head -c 70000 /dev/urandom >"$work/report.rar" # several base64 chunks, any byte values
printf 'line one\r\nline two: %s\r\n' "$marker" >"$work/notes.txt"

swaks --server "$MAILPROTO_HOST" --port "$MAILPROTO_SMTP_PORT" --tls --tls-verify \
  --tls-ca-path "$MAILPROTO_CAFILE" --auth PLAIN --auth-user "$MAILPROTO_ALICE_USER" \
  --auth-password "$MAILPROTO_ALICE_PASSWORD" --from "$MAILPROTO_ALICE_ADDRESS" \
  --to "$MAILPROTO_BOB_ADDRESS" --header "Subject: attachments $marker" \
  --body "Two attachments." \
  --attach-type application/vnd.rar --attach-name "report-$marker.rar" --attach "@$work/report.rar" \
  --attach-type application/octet-stream --attach-name "../../notes-$marker.txt" \
  --attach "@$work/notes.txt" >"$work/swaks.log" 2>&1 ||
  { cat "$work/swaks.log"; echo "$me: FAIL: swaks could not send" >&2; exit 1; }

# Postfix delivers asynchronously: wait until the message is in bob's Maildir.
for _ in $(seq 300); do
  grep -rqs "attachments $marker" "$MAILPROTO_BOB_MAILDIR"/new "$MAILPROTO_BOB_MAILDIR"/cur && break
  sleep 0.1
done

mkdir "$work/out"
# The newest 3: a late delivery from an earlier test may have come after ours.
rc=0
(cd "$work" && MAILPROTO_EXAMPLE_LAST=3 "$example" out) || rc=$?
((rc == 0)) || { echo "$me: FAIL: the example exited $rc" >&2; exit 1; }

fail=0
check() { # check SAVED-NAME ORIGINAL
  if [[ ! -f "$work/out/$1" ]]; then
    echo "$me: FAIL: $1 was not saved; the directory holds:" >&2
    ls -la "$work/out" >&2
    fail=1
  elif ! cmp "$work/out/$1" "$2"; then
    echo "$me: FAIL: $1 differs from what was sent" >&2
    fail=1
  else
    echo "$me: OK: $1 ($(stat -c %s "$2") bytes) is identical to what was sent"
  fi
}
check "report-$marker.rar" "$work/report.rar"
check "notes-$marker.txt" "$work/notes.txt" # "../../" removed: saved inside the directory
if [[ -e $work/notes-$marker.txt || -e ${work%/*}/notes-$marker.txt ]]; then
  echo "$me: FAIL: a file was written outside the directory" >&2
  fail=1
fi
exit $fail
