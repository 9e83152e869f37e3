#!/usr/bin/env bash
# imap-fetch-headers: fetch the headers of 10k messages from the sandbox's Dovecot over IMAPS
# in ONE command (UID FETCH 1:* (BODY.PEEK[HEADER]): pipelined by the server, no round trip
# per message), three ways, interleaved, ROUNDS rounds, medians:
#
#   server     "the server's own time": bench_imap_fetch_headers server, a minimal raw client
#              (socket + OpenSSL) that sends the same command and only scans for the tagged
#              OK — no parsing, so its wall time is what Dovecot needs to produce and send the
#              bytes over the same TLS loopback connection (measured like the others: from
#              writing the command to reading the tagged completion)
#   mailproto  bench_imap_fetch_headers mailproto: imap::client::fetch with on_message, every
#              FETCH response parsed and decoded
#   imaplib    Python's imaplib.IMAP4_SSL: M.uid("FETCH", "1:*", "(BODY.PEEK[HEADER])")
#
# Reported: wall ms of each, mailproto's wall time as a multiple of the server's (target
# <= 1.2), and client CPU ms (user+system of the client process over the FETCH) of mailproto
# and imaplib side by side.
#
# The mailbox: alice's folder "bench-headers", written straight into her Maildir (10k
# messages with realistic ~1.5 kB headers: Received, DKIM-Signature, List-*, ...) when it
# does not hold COUNT messages yet, then indexed by one warm-up fetch that is not counted.
# Uses the sandbox named by MAILPROTO_* variables when they are set (eval "$(scripts/sandbox
# env)"), else starts its own (IMAP_BENCH_SANDBOX_DIR, port base IMAP_BENCH_PORT_BASE) and
# stops it at the end. Loopback only.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
ROUNDS=${IMAP_BENCH_ROUNDS:-5}
COUNT=${IMAP_BENCH_MESSAGES:-10000}
MAILBOX=bench-headers
prog=$BENCH_BUILD/bench/bench_imap_fetch_headers
[ -x "$prog" ] || { echo "imap-fetch-headers: $prog not built (run bench/run)" >&2; exit 1; }

sandbox=$BENCH_ROOT/scripts/sandbox
started=0
if [ -z "${MAILPROTO_IMAPS_PORT:-}" ]; then
  export MAILPROTO_SANDBOX_DIR=${IMAP_BENCH_SANDBOX_DIR:-/tmp/mailproto-bench-imap}
  export MAILPROTO_SANDBOX_PORT_BASE=${IMAP_BENCH_PORT_BASE:-31000}
  "$sandbox" start >&2
  started=1
  eval "$("$sandbox" env)"
fi
cleanup() { if [ "$started" = 1 ]; then "$sandbox" stop >&2 || true; fi; }
trap cleanup EXIT

# alice's Maildir sits beside bob's (scripts/sandbox: MAIL_DIR/<user>/Maildir, Maildir++).
folder="$(dirname "$(dirname "$MAILPROTO_BOB_MAILDIR")")/alice/Maildir/.$MAILBOX"
python3 - "$folder" "$COUNT" <<'PY'
import os, random, shutil, sys
folder, count = sys.argv[1], int(sys.argv[2])
have = sum(len(os.listdir(os.path.join(folder, d))) for d in ("new", "cur")
           if os.path.isdir(os.path.join(folder, d)))
if have == count:
    sys.exit(0)
shutil.rmtree(folder, ignore_errors=True)
maildir = os.path.dirname(folder)
owner = os.stat(os.path.dirname(maildir))  # the user's home: vmail
for d in [maildir] + [os.path.join(maildir, s) for s in ("tmp", "new", "cur")] + \
         [os.path.join(folder, s) for s in ("", "tmp", "new", "cur")]:
    os.makedirs(d, exist_ok=True)
    os.chown(d, owner.st_uid, owner.st_gid)
rnd = random.Random(20261128)
words = "quarterly report numbers meeting agenda update review draft budget plan".split()
for i in range(count):
    subj = " ".join(rnd.choice(words) for _ in range(6))
    h = [
        f"Return-Path: <sender{i % 97}@example.org>",
        f"Received: from mail{i % 7}.example.org (mail{i % 7}.example.org [192.0.2.{i % 250}])"
        f"\n\tby mx.example.test (Postfix) with ESMTPS id {i:08X}\n\tfor <alice@example.test>;"
        f" Tue, 3 Feb 2026 10:{i % 60:02d}:00 +0000 (UTC)",
        f"Received: from [198.51.100.{i % 200}] by mail{i % 7}.example.org with ESMTPSA id"
        f" {rnd.getrandbits(64):016x}\n\tfor <alice@example.test>; Tue, 3 Feb 2026 10:00:00 +0000",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;"
        "\n\th=from:to:subject:date:message-id; bh="
        + "".join(rnd.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=44))
        + ";\n\tb=" + "".join(rnd.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=200)),
        f"From: \"Sender {i % 97}\" <sender{i % 97}@example.org>",
        "To: Alice <alice@example.test>",
        f"Cc: team{i % 5}@example.org",
        f"Subject: [list] {subj} #{i}",
        f"Date: Tue, 3 Feb 2026 10:{i % 60:02d}:00 +0000",
        f"Message-ID: <bench-{i}.{rnd.getrandbits(32)}@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"List-Id: <list{i % 3}.example.org>",
        f"List-Unsubscribe: <mailto:leave-list{i % 3}@example.org>",
    ]
    body = "Hello Alice,\n\n" + ("see the numbers.\n" * 20)
    name = f"1700000000.B{i}.bench"
    tmp = os.path.join(folder, "tmp", name)
    with open(tmp, "w") as f:
        f.write("\n".join(h) + "\n\n" + body)
    os.chown(tmp, owner.st_uid, owner.st_gid)
    os.rename(tmp, os.path.join(folder, "new", name))
PY

# Warm-up (Dovecot indexes the new folder on first access): not counted.
"$prog" server "$MAILBOX" >/dev/null

imaplib_run() {
  python3 - "$MAILBOX" <<'PY'
import imaplib, os, ssl, sys, time
ctx = ssl.create_default_context(cafile=os.environ["MAILPROTO_CAFILE"])
M = imaplib.IMAP4_SSL(os.environ["MAILPROTO_HOST"], int(os.environ["MAILPROTO_IMAPS_PORT"]),
                      ssl_context=ctx)
M.login(os.environ["MAILPROTO_ALICE_USER"], os.environ["MAILPROTO_ALICE_PASSWORD"])
M.select(sys.argv[1], readonly=True)
w0, c0 = time.perf_counter(), time.process_time()
typ, data = M.uid("FETCH", "1:*", "(BODY.PEEK[HEADER])")
w1, c1 = time.perf_counter(), time.process_time()
assert typ == "OK"
n = sum(1 for d in data if isinstance(d, tuple))
b = sum(len(d[1]) for d in data if isinstance(d, tuple))
M.logout()
print(f"TIME {(w1 - w0) * 1e3:.2f} {(c1 - c0) * 1e3:.2f} {n} {b}")
PY
}

sw=() mw=() mc=() pw=() pc=()
for r in $(seq 1 "$ROUNDS"); do
  read -r _ w c _ _ < <("$prog" server "$MAILBOX")
  sw+=("$w")
  read -r _ w c n b < <("$prog" mailproto "$MAILBOX")
  mw+=("$w") mc+=("$c")
  [ "$n" = "$COUNT" ] || { echo "imap-fetch-headers: mailproto saw $n messages, not $COUNT" >&2; exit 1; }
  read -r _ w c n2 b2 < <(imaplib_run)
  pw+=("$w") pc+=("$c")
  [ "$n2" = "$COUNT" ] && [ "$b2" = "$b" ] ||
    { echo "imap-fetch-headers: imaplib saw $n2 messages / $b2 bytes, mailproto $n / $b" >&2; exit 1; }
done
s=$(bench_median "${sw[@]}") m=$(bench_median "${mw[@]}") p=$(bench_median "${pw[@]}")
echo "RESULT imap-fetch-headers server $s ms"
echo "RESULT imap-fetch-headers mailproto $m ms"
echo "RESULT imap-fetch-headers imaplib $p ms"
echo "RESULT imap-fetch-headers-vs-server mailproto $(awk -v a="$m" -v b="$s" 'BEGIN {printf "%.2f", a / b}') x"
echo "RESULT imap-fetch-headers-cpu mailproto $(bench_median "${mc[@]}") ms"
echo "RESULT imap-fetch-headers-cpu imaplib $(bench_median "${pc[@]}") ms"
echo "# $COUNT messages, $b header bytes, median of $ROUNDS interleaved rounds (target: mailproto <= 1.2x server wall time)"
