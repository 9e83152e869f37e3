#!/usr/bin/env bash
# smtp-send: client CPU per message for COUNT (1000) small messages (about 1 kB) over one
# plain SMTP connection to a local sink on 127.0.0.1: mailproto (bench_smtp_send) against
# Python's smtplib and curl, side by side, interleaved, ROUNDS rounds; the median is printed.
# All of them: the same sink, the same message, plain TCP (no TLS for anyone), one connection.
# Measured: user+system CPU of the client process (getrusage), startup excluded for all:
#   mailproto, smtplib: from after the connect (greeting + EHLO) to after QUIT, / COUNT;
#   curl: one process sends every message over one reused connection (--next); its CPU
#     minus that of the same command with one message (startup, connect, EHLO, QUIT), over
#     COUNT - 1 messages.
# Sink: aiosmtpd (Debian python3-aiosmtpd) discarding the data, else a tiny asyncio sink,
# each on a free loopback port chosen at run time (so parallel runs do not collide).
# The sink advertises PIPELINING (RFC 2920) as every production MTA does (Postfix, Exim,
# Sendmail, Exchange; aiosmtpd alone does not, so its EHLO hook adds it), and, like them,
# sends the replies to a pipelined group together (RFC 2920 §3.2; see start_sink): a client
# that pipelines (mailproto) needs fewer round trips and fewer wake-ups per message than one
# that does not (smtplib, curl); that is part of what is compared. smtplib and curl send one
# command at a time, so for them every reply still goes out at once, exactly as from plain
# aiosmtpd.
# The lines (all in the same run, interleaved):
#   mailproto              the COUNT messages in one client::send_batch call: how a user of
#                          the library sends many messages (docs/smtp.md, "Several
#                          messages"), in its streamed form (each message supplied by a
#                          callback when the batch is ready for it, each result handed to a
#                          callback as soon as it is known; constant memory). With PIPELINING
#                          the end of each message's data goes in the same write as the next
#                          message's MAIL/RCPT/DATA (RFC 2920 §3.1): one write, one round trip
#                          and (grouped replies) one wake-up per message.
#   mailproto-vector       the same batch through send_batch's vector form: a batch_message
#                          per message built up front, a batch_result per message returned.
#                          It keeps ~0.5 kB per message, and on this VM (PVM) every first touch
#                          of a page costs ~14 us of system time, which is most of the
#                          difference to the streamed form.
#   python-smtplib, curl   the anchors, one sendmail()/one --next transfer per message; they
#                          do not pipeline: four round trips per message (MAIL, RCPT, DATA,
#                          data).
#   mailproto-one-by-one   COUNT calls of client::send (one message each: MAIL/RCPT/DATA in
#                          one write, then the data; two round trips per message).
#   mailproto-no-pipelining  send_batch against a sink without PIPELINING: nothing can be
#                          grouped, four round trips per message as for the anchors.
#   mailproto-ungrouped-replies  send_batch against plain aiosmtpd with PIPELINING, which
#                          writes each reply in its own segment (what this job measured
#                          before): still one write per message, but the client is woken
#                          for each of the four replies of a round trip.
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

work=$(mktemp -d /tmp/mailproto-bench-smtp.XXXXXX)
sink_pids=()
cleanup() {
  for p in "${sink_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start_sink PIPELINING(1|0) [GROUPED(1|0), default 1]: start a sink on a free loopback port,
# chosen now; it must then be ours (checked by its banner and PID below), never another
# program that listens there. Sets PORT and sink.
# GROUPED=1: the sink sends the replies to a pipelined group together, as RFC 2920 §3.2 asks
# of a PIPELINING server ((2) "SHOULD elect to store responses to grouped RSET, MAIL FROM,
# ... RCPT TO commands in an internal buffer so they can sent as a unit"; (7) "MUST send all
# pending responses immediately whenever the local TCP input buffer is emptied") and as
# Postfix does: replies are held while another complete command is already buffered, and
# sent as soon as the input holds none. A client that sends one command at a time (smtplib,
# curl) sees no difference: its input is always empty after a command, so each reply goes
# out at once. Plain aiosmtpd (GROUPED=0) writes every reply in its own segment, so a
# pipelining client is woken once per reply.
start_sink() {
  local pipelining=$1 grouped=${2:-1} pid
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if "$SYSPY" -c 'import aiosmtpd' 2>/dev/null; then
    "$SYSPY" - "$PORT" "$pipelining" "$grouped" <<'PY' &
import asyncio, sys
from aiosmtpd.smtp import SMTP
port, pipelining, grouped = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] == "1"
class Sink:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # the hook's duty (aiosmtpd docs)
        if pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
class GroupingSMTP(SMTP):
    # RFC 2920 §3.2 (2), (7): hold replies while a complete command is buffered; send them
    # all when the input is empty (before waiting for more) and before closing.
    def connection_made(self, transport):
        super().connection_made(transport)
        if not grouped:
            return
        reader, writer, pending = self._reader, self._writer, []
        def flush():
            if pending:
                data = b"".join(pending)
                pending.clear()
                transport.write(data)
        def write(data):
            pending.append(bytes(data))
        read_until, read_line, close = reader.readuntil, reader.readline, transport.close
        async def readuntil(separator=b"\n"):
            if separator not in reader._buffer:
                flush()
            return await read_until(separator)
        async def readline():
            if b"\n" not in reader._buffer:
                flush()
            return await read_line()
        def close_flushed():
            flush()
            close()
        writer.write, reader.readuntil, reader.readline = write, readuntil, readline
        transport.close = close_flushed
loop = asyncio.new_event_loop()
server = loop.run_until_complete(loop.create_server(
    lambda: GroupingSMTP(Sink(), hostname="sink.example.test"), "127.0.0.1", port))
loop.run_forever()
PY
    pid=$!
    sink=aiosmtpd
    banner="Python SMTP"
  else
    # A minimal RFC 5321 sink: EHLO/MAIL/RCPT/DATA/RSET/NOOP/QUIT, discards the data;
    # replies grouped as above when GROUPED=1.
    python3 - "$PORT" "$pipelining" "$grouped" <<'PY' &
import asyncio, sys
grouped = sys.argv[3] == "1"
async def handle(r, w):
    pending = []
    async def reply(data, flush=False):
        pending.append(data)
        if flush or not grouped or b"\n" not in r._buffer:
            w.write(b"".join(pending))
            pending.clear()
            await w.drain()
    await reply(b"220 sink ESMTP\r\n", True)
    while True:
        line = await r.readline()
        if not line: break
        cmd = line[:4].upper()
        if cmd == b"EHLO":
            await reply(b"250-sink\r\n250-8BITMIME\r\n" +
                        (b"250 PIPELINING\r\n" if sys.argv[2] == "1" else b"250 HELP\r\n"), True)
        elif cmd == b"DATA":
            await reply(b"354 go\r\n", True)
            while (await r.readline()) not in (b".\r\n", b""): pass
            await reply(b"250 ok\r\n")
        elif cmd == b"QUIT": await reply(b"221 bye\r\n", True); break
        else: await reply(b"250 ok\r\n")
    w.close()
async def main():
    s = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with s: await s.serve_forever()
asyncio.run(main())
PY
    pid=$!
    sink=asyncio-sink
    banner="220 sink ESMTP"
  fi
  sink_pids+=("$pid")
  local ok=0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    if python3 - "$PORT" "$banner" "$pipelining" <<'PY' 2>/dev/null; then ok=1; break; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
f = s.makefile("rb")
line = f.readline().decode(errors="replace")
s.sendall(b"EHLO check.example.test\r\n")
ehlo = b""
while True:
    l = f.readline()
    ehlo += l
    if not l or l[3:4] != b"-": break
s.sendall(b"QUIT\r\n")
ok = sys.argv[2] in line and (b"PIPELINING" in ehlo) == (sys.argv[3] == "1")
sys.exit(0 if ok else 1)
PY
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && [ "$ok" = 1 ] || { echo "smtp-send: the sink did not start on port $PORT" >&2; exit 1; }
}
start_sink 0
PORT_PLAIN=$PORT
start_sink 1 0
PORT_UNGROUPED=$PORT
start_sink 1

# The same ~1 kB message for every tool.
python3 - "$work/msg.eml" <<'PY'
import sys
msg = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: bench\r\n\r\n"
while len(msg) < 1000: msg += "The quick brown fox jumps over the lazy dog, again and again.\r\n"
open(sys.argv[1], "w", newline="").write(msg)
PY
# curl_cfg N FILE: one curl config sending N messages over one connection.
curl_cfg() {
  for i in $(seq "$1"); do
    [ "$i" -gt 1 ] && echo "next"
    printf 'url = "smtp://127.0.0.1:%s/bench.example.test"\nmail-from = "alice@example.test"\nmail-rcpt = "bob@example.test"\nupload-file = "%s"\nsilent\n' "$PORT" "$work/msg.eml"
  done >"$2"
}
curl_cfg "$COUNT" "$work/curl.cfg"
curl_cfg 1 "$work/curl1.cfg"

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
  python3 - "$work/curl.cfg" "$work/curl1.cfg" "$COUNT" <<'PY'
import resource, subprocess, sys
cfg, cfg1, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(c):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["curl", "-K", c], check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e6
one = min(run(cfg1) for _ in range(3))  # startup + connect + EHLO + one message + QUIT
many = run(cfg)
print(f"RESULT smtp-send curl {max(many - one, 0) / (count - 1):.1f} us/msg")
PY
}

declare -a mpv mvv mov mnv muv pyv cuv
for round in $(seq "$ROUNDS"); do
  mpv+=("$("$mp" 127.0.0.1 "$PORT" "$COUNT" | awk '/^RESULT/ {print $4}')")
  pyv+=("$(py_send | awk '/^RESULT/ {print $4}')")
  cuv+=("$(curl_send | awk '/^RESULT/ {print $4}')")
  mvv+=("$("$mp" 127.0.0.1 "$PORT" "$COUNT" 1000 --vector | awk '/^RESULT/ {print $4}')")
  mov+=("$("$mp" 127.0.0.1 "$PORT" "$COUNT" 1000 --one-by-one | awk '/^RESULT/ {print $4}')")
  mnv+=("$("$mp" 127.0.0.1 "$PORT_PLAIN" "$COUNT" | awk '/^RESULT/ {print $4}')")
  muv+=("$("$mp" 127.0.0.1 "$PORT_UNGROUPED" "$COUNT" | awk '/^RESULT/ {print $4}')")
  echo "round $round: mailproto ${mpv[-1]} smtplib ${pyv[-1]} curl ${cuv[-1]} us/msg;" \
    "mailproto vector form ${mvv[-1]}, one by one ${mov[-1]}, without PIPELINING ${mnv[-1]}," \
    "replies not grouped ${muv[-1]} us/msg ($sink)" >&2
done
m=$(bench_median "${mpv[@]}")
py=$(bench_median "${pyv[@]}")
cu=$(bench_median "${cuv[@]}")
echo "RESULT smtp-send mailproto $m us/msg"
echo "RESULT smtp-send python-smtplib $py us/msg"
echo "RESULT smtp-send curl $cu us/msg"
echo "RESULT smtp-send mailproto-vector $(bench_median "${mvv[@]}") us/msg"
echo "RESULT smtp-send mailproto-one-by-one $(bench_median "${mov[@]}") us/msg"
echo "RESULT smtp-send mailproto-no-pipelining $(bench_median "${mnv[@]}") us/msg"
echo "RESULT smtp-send mailproto-ungrouped-replies $(bench_median "${muv[@]}") us/msg"
awk -v m="$m" -v p="$py" -v c="$cu" 'BEGIN { if (m > 0) printf "ratio: smtplib %.1fx, curl %.1fx the CPU per message of mailproto (target >= 5x both)\n", p / m, c / m }'
