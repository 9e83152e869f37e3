#!/usr/bin/env bash
# smtp-send: client CPU per message for COUNT (1000) small messages (about 1 kB) over one
# plain SMTP connection to a local sink on 127.0.0.1: mailproto (bench_smtp_send) against
# Python's smtplib and curl, side by side, interleaved, ROUNDS rounds; the median is printed.
# Measured: user+system CPU of the client process (getrusage) from after the connect to QUIT
# for mailproto and smtplib; for curl, the whole process (one curl run sends every message
# over one reused connection with --next; its startup is included, noted as such).
# Sink: aiosmtpd (Debian python3-aiosmtpd, handler Sink), else a tiny asyncio sink below.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
ROUNDS=${SMTP_BENCH_ROUNDS:-3}
COUNT=${SMTP_BENCH_MESSAGES:-1000}
mp=$BENCH_BUILD/bench/bench_smtp_send
[ -x "$mp" ] || { echo "smtp-send: $mp not built (run bench/run)" >&2; exit 1; }
bench_need_pkgs python3 curl
bench_need_pkgs python3-aiosmtpd || true
# aiosmtpd is a Debian package: it lives in the system python, which may not be the first
# python3 on PATH.
SYSPY=/usr/bin/python3

# A free loopback port, chosen now; the sink must then be ours (checked by its banner and
# PID below), never another program that happens to listen there.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

work=$(mktemp -d /tmp/mailproto-bench-smtp.XXXXXX)
sink_pid=
cleanup() {
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if "$SYSPY" -c 'import aiosmtpd' 2>/dev/null; then
  "$SYSPY" -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l "127.0.0.1:$PORT" &
  sink_pid=$!
  sink=aiosmtpd
  banner="Python SMTP"
else
  # A minimal RFC 5321 sink: EHLO/MAIL/RCPT/DATA/RSET/NOOP/QUIT, discards the data.
  python3 - "$PORT" <<'PY' &
import asyncio, sys
async def handle(r, w):
    w.write(b"220 sink ESMTP\r\n"); await w.drain()
    while True:
        line = await r.readline()
        if not line: break
        cmd = line[:4].upper()
        if cmd == b"EHLO": w.write(b"250-sink\r\n250-8BITMIME\r\n250 PIPELINING\r\n")
        elif cmd == b"DATA":
            w.write(b"354 go\r\n"); await w.drain()
            while (await r.readline()) not in (b".\r\n", b""): pass
            w.write(b"250 ok\r\n")
        elif cmd == b"QUIT": w.write(b"221 bye\r\n"); await w.drain(); break
        else: w.write(b"250 ok\r\n")
        await w.drain()
    w.close()
async def main():
    s = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with s: await s.serve_forever()
asyncio.run(main())
PY
  sink_pid=$!
  sink=asyncio-sink
  banner="220 sink ESMTP"
fi
ok=0
for _ in $(seq 100); do
  kill -0 "$sink_pid" 2>/dev/null || break
  if python3 - "$PORT" "$banner" <<'PY' 2>/dev/null; then ok=1; break; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
line = s.makefile("rb").readline().decode(errors="replace")
s.sendall(b"QUIT\r\n")
sys.exit(0 if sys.argv[2] in line else 1)
PY
  sleep 0.1
done
kill -0 "$sink_pid" 2>/dev/null && [ "$ok" = 1 ] || { echo "smtp-send: the sink did not start on port $PORT" >&2; exit 1; }

# The same ~1 kB message for every tool.
python3 - "$work/msg.eml" <<'PY'
import sys
msg = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: bench\r\n\r\n"
while len(msg) < 1000: msg += "The quick brown fox jumps over the lazy dog, again and again.\r\n"
open(sys.argv[1], "w", newline="").write(msg)
PY
{
  for i in $(seq "$COUNT"); do
    [ "$i" -gt 1 ] && echo "next"
    printf 'url = "smtp://127.0.0.1:%s/bench.example.test"\nmail-from = "alice@example.test"\nmail-rcpt = "bob@example.test"\nupload-file = "%s"\nsilent\n' "$PORT" "$work/msg.eml"
  done
} >"$work/curl.cfg"

py_send() {
  python3 - "$PORT" "$COUNT" "$work/msg.eml" <<'PY'
import resource, smtplib, sys
port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
msg = open(path, "rb").read()
s = smtplib.SMTP("127.0.0.1", port, local_hostname="bench.example.test")
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1e6
t0 = cpu()
for _ in range(count):
    s.sendmail("alice@example.test", ["bob@example.test"], msg)
s.quit()
print(f"RESULT smtp-send python-smtplib {(cpu() - t0) / count:.1f} us/msg")
PY
}
curl_send() {
  python3 - "$work/curl.cfg" "$COUNT" <<'PY'
import resource, subprocess, sys
cfg, count = sys.argv[1], int(sys.argv[2])
subprocess.run(["curl", "-K", cfg], check=True, stdout=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"RESULT smtp-send curl {(r.ru_utime + r.ru_stime) * 1e6 / count:.1f} us/msg")
PY
}

declare -a mpv pyv cuv
for round in $(seq "$ROUNDS"); do
  mpv+=("$("$mp" 127.0.0.1 "$PORT" "$COUNT" | awk '/^RESULT/ {print $4}')")
  pyv+=("$(py_send | awk '/^RESULT/ {print $4}')")
  cuv+=("$(curl_send | awk '/^RESULT/ {print $4}')")
  echo "round $round: mailproto ${mpv[-1]} smtplib ${pyv[-1]} curl ${cuv[-1]} us/msg ($sink)" >&2
done
echo "RESULT smtp-send mailproto $(bench_median "${mpv[@]}") us/msg"
echo "RESULT smtp-send python-smtplib $(bench_median "${pyv[@]}") us/msg"
echo "RESULT smtp-send curl $(bench_median "${cuv[@]}") us/msg (whole process)"
