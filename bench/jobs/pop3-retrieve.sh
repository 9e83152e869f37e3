#!/usr/bin/env bash
# pop3-retrieve: retrieve 2000 messages (about 100 MB) from the sandbox's Dovecot over one
# POP3S connection: mailproto (bench_pop3_retrieve, fetch() in keep mode with PIPELINING)
# against Python's poplib (RETR per message), side by side, interleaved, ROUNDS rounds.
# Reported: client CPU time (user+system, getrusage of each tool's own process, from login
# to QUIT) per MB of message data (10^6 bytes as delivered, CRLF lines): the median.
# Target: mailproto at least 5x less CPU per MB than poplib.
#
# Uses the sandbox named by MAILPROTO_* variables when they are set (eval "$(scripts/sandbox
# env)"), else starts its own in POP3_BENCH_SANDBOX_DIR (port base POP3_BENCH_PORT_BASE)
# and stops it at the end. WARNING: it empties bob's mailbox of that sandbox first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
ROUNDS=${POP3_BENCH_ROUNDS:-3}
COUNT=${POP3_BENCH_MESSAGES:-2000}
mp=$BENCH_BUILD/bench/bench_pop3_retrieve
[ -x "$mp" ] || { echo "pop3-retrieve: $mp not built (run bench/run)" >&2; exit 1; }

sandbox=$BENCH_ROOT/scripts/sandbox
started=0
if [ -z "${MAILPROTO_POP3S_PORT:-}" ]; then
  export MAILPROTO_SANDBOX_DIR=${POP3_BENCH_SANDBOX_DIR:-/tmp/mailproto-bench-pop3}
  export MAILPROTO_SANDBOX_PORT_BASE=${POP3_BENCH_PORT_BASE:-29000}
  "$sandbox" start >&2
  started=1
  eval "$("$sandbox" env)"
fi
cleanup() { if [ "$started" = 1 ]; then "$sandbox" stop >&2 || true; fi; }
trap cleanup EXIT

# A fresh mailbox of COUNT deterministic messages (about 50 kB each, 76-column lines, some
# beginning with "." so dot-stuffing is exercised), delivered into bob's Maildir new/.
"$sandbox" reset >&2
python3 - "$MAILPROTO_BOB_MAILDIR" "$COUNT" <<'PY'
import os, pwd, random, sys
maildir, count = sys.argv[1], int(sys.argv[2])
try:
    vm = pwd.getpwnam("vmail")
except KeyError:
    vm = None
for sub in ("", "tmp", "new", "cur"):
    d = os.path.join(maildir, sub)
    os.makedirs(d, exist_ok=True)
    if vm: os.chown(d, vm.pw_uid, vm.pw_gid)
rnd = random.Random(20261128)
alphabet = "abcdefghijklmnopqrstuvwxyz     ABCDEFGHIJ.,0123456789"
for i in range(count):
    lines = [f"From: alice@example.test", f"To: bob@example.test",
             f"Subject: bench message {i}", f"Message-ID: <bench-{i}@example.test>", ""]
    size = 0
    while size < 50_000:
        l = "".join(rnd.choices(alphabet, k=76))
        if rnd.random() < 0.02: l = "." + l[1:]
        lines.append(l)
        size += len(l) + 2
    name = f"1700000000.B{i}.bench"
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    if vm: os.chown(tmp, vm.pw_uid, vm.pw_gid)
    os.rename(tmp, os.path.join(maildir, "new", name))
PY

export MAILPROTO_PASSWORD=$MAILPROTO_BOB_PASSWORD
py_retrieve() {
  python3 - "$MAILPROTO_HOST" "$MAILPROTO_POP3S_PORT" "$MAILPROTO_CAFILE" "$MAILPROTO_BOB_USER" <<'PY'
import os, poplib, resource, ssl, sys
host, port, cafile, user = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
p = poplib.POP3_SSL(host, port, context=ctx)  # connect + handshake: not measured
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1e3
t0 = cpu()
p.user(user)
p.pass_(os.environ["MAILPROTO_PASSWORD"])
count, _ = p.stat()
total = 0
for n in range(1, count + 1):
    _, lines, _ = p.retr(n)
    total += sum(len(l) + 2 for l in lines)
p.quit()
t1 = cpu()
print(f"RESULT pop3-retrieve python-poplib {(t1 - t0) / (total / 1e6):.3f} ms/MB")
print(f"messages {count} bytes {total}")
PY
}

declare -A vals=()
declare -A sizes=()
for ((r = 1; r <= ROUNDS; r++)); do
  for tool in mailproto python-poplib; do
    if [ "$tool" = mailproto ]; then
      out=$("$mp" "$MAILPROTO_HOST" "$MAILPROTO_POP3S_PORT" "$MAILPROTO_CAFILE" "$MAILPROTO_BOB_USER")
    else
      out=$(py_retrieve)
    fi
    vals[$tool]+="$(awk '/^RESULT/ {print $4}' <<<"$out") "
    sizes[$tool]=$(grep '^messages' <<<"$out")
    echo "round $r $tool: $(grep -E '^RESULT' <<<"$out" | awk '{print $4, $5}'), ${sizes[$tool]}" >&2
  done
done
if [ "${sizes[mailproto]}" != "${sizes[python-poplib]}" ]; then
  echo "pop3-retrieve: the tools disagree: mailproto '${sizes[mailproto]}', python '${sizes[python-poplib]}'" >&2
  exit 1
fi
mpv=$(bench_median ${vals[mailproto]})
pyv=$(bench_median ${vals[python-poplib]})
echo "RESULT pop3-retrieve mailproto $mpv ms/MB"
echo "RESULT pop3-retrieve python-poplib $pyv ms/MB"
awk -v a="$mpv" -v b="$pyv" 'BEGIN { if (a > 0) printf "ratio: poplib uses %.1fx the CPU per MB of mailproto (target >= 5x)\n", b / a }'
