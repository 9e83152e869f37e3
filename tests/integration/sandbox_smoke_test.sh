#!/usr/bin/env bash
# tests/integration/sandbox_smoke_test.sh — checks the sandbox servers with third-party
# clients (swaks, Python's smtplib/poplib/imaplib), independent of mailproto's own code.
#
#   eval "$(scripts/sandbox env)"; tests/integration/sandbox_smoke_test.sh
#
# Without MAILPROTO_HOST it starts nothing and exits 77 (skip), or 1 when
# MAILPROTO_REQUIRE_SANDBOX=1. Every check verifies the server certificate against
# MAILPROTO_CAFILE with host-name checking on.
set -euo pipefail
me=sandbox_smoke_test

if [[ -z ${MAILPROTO_HOST:-} ]]; then
  if [[ ${MAILPROTO_REQUIRE_SANDBOX:-0} == 1 ]]; then
    echo "$me: sandbox env missing: run scripts/sandbox start and eval \$(scripts/sandbox env)" >&2
    exit 1
  fi
  echo "$me: no sandbox (MAILPROTO_HOST unset): skipped"
  exit 77
fi
for t in swaks python3; do
  command -v "$t" >/dev/null || {
    echo "$me: $t missing (run scripts/setup)" >&2
    exit 1
  }
done

fail=0
check() { # check NAME COMMAND...: run, report
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    echo "$me: ok   $name"
  else
    echo "$me: FAIL $name"
    printf '%s\n' "$out" | tail -n 30 | sed 's/^/    /'
    fail=1
  fi
}

check_verbose() { # like check, but also shows the output of a passing command
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    echo "$me: ok   $name"
    printf '%s\n' "$out" | sed 's/^/    /'
  else
    echo "$me: FAIL $name"
    printf '%s\n' "$out" | tail -n 30 | sed 's/^/    /'
    fail=1
  fi
}

marker="smoke-$$-$(date +%s%N)"
swaks_common=(--server "$MAILPROTO_HOST" --tls-verify --tls-ca-path "$MAILPROTO_CAFILE"
  --from "$MAILPROTO_ALICE_ADDRESS" --auth-user "$MAILPROTO_ALICE_USER"
  --auth-password "$MAILPROTO_ALICE_PASSWORD")

check "swaks submission STARTTLS + AUTH PLAIN, alice -> bob" \
  swaks "${swaks_common[@]}" --port "$MAILPROTO_SMTP_PORT" --tls --auth PLAIN \
  --to "$MAILPROTO_BOB_ADDRESS" --header "Subject: $marker starttls"
check "swaks submissions implicit TLS + AUTH CRAM-MD5, alice -> bob" \
  swaks "${swaks_common[@]}" --port "$MAILPROTO_SMTPS_PORT" --tlsc --auth CRAM-MD5 \
  --to "$MAILPROTO_BOB_ADDRESS" --header "Subject: $marker implicit"

# expect_refusal CODE SWAKS-ARGS...: swaks must fail and the transcript must show CODE.
expect_refusal() {
  local code="$1" out
  shift
  if out="$(swaks "$@" 2>&1)"; then
    echo "swaks unexpectedly succeeded"
    return 1
  fi
  grep -qE "^ *<.* $code" <<<"$out" || {
    printf '%s\n' "$out"
    echo "expected a $code reply"
    return 1
  }
}
check "authenticated RCPT to a foreign domain is refused with 550 5.1.1" \
  expect_refusal '550 5.1.1' "${swaks_common[@]}" --port "$MAILPROTO_SMTP_PORT" --tls \
  --auth PLAIN --to someone@example.com --quit-after RCPT
check "unauthenticated submission is refused" \
  expect_refusal '554 5.7.1' --server "$MAILPROTO_HOST" --port "$MAILPROTO_SMTP_PORT" --tls \
  --tls-verify --tls-ca-path "$MAILPROTO_CAFILE" --from "$MAILPROTO_ALICE_ADDRESS" \
  --to "$MAILPROTO_BOB_ADDRESS" --quit-after RCPT
check "submission without STARTTLS refuses MAIL (TLS required)" \
  expect_refusal '530 5.7.0' --server "$MAILPROTO_HOST" --port "$MAILPROTO_SMTP_PORT" \
  --from "$MAILPROTO_ALICE_ADDRESS" --to "$MAILPROTO_BOB_ADDRESS" --quit-after RCPT

check_verbose "python: delivery, POP3/POP3S/IMAP/IMAPS, SMTPUTF8, mechanisms, fast auth failure" \
  python3 - "$marker" <<'PY'
import email, email.policy, imaplib, os, poplib, smtplib, ssl, sys, time, glob, base64

marker = sys.argv[1]
E = os.environ
host = E["MAILPROTO_HOST"]
ctx = ssl.create_default_context(cafile=E["MAILPROTO_CAFILE"])
assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
users = {u: (E[f"MAILPROTO_{u.upper()}_USER"], E[f"MAILPROTO_{u.upper()}_PASSWORD"])
         for u in ("alice", "bob", "carol")}

def wait_maildir(text, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for f in glob.glob(os.path.join(E["MAILPROTO_BOB_MAILDIR"], "*", "*")):
            try:
                if text.encode() in open(f, "rb").read():
                    return f
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"no mail with {text!r} in bob's Maildir")

wait_maildir(marker + " starttls")
wait_maildir(marker + " implicit")
print("delivered to bob's Maildir")

# SMTPUTF8: UTF-8 subject and body, sent with the SMTPUTF8 parameter.
subject = f"{marker} utf8 Tiêu đề: Lập trình mạng ✉"
msg = (f"From: {E['MAILPROTO_ALICE_ADDRESS']}\r\nTo: {E['MAILPROTO_BOB_ADDRESS']}\r\n"
       f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
       "Xin chào Bob — ünïcødé body.\r\n").encode("utf-8")
with smtplib.SMTP(host, int(E["MAILPROTO_SMTP_PORT"]), local_hostname="client.example.test", timeout=10) as s:
    s.ehlo()
    s.starttls(context=ctx)
    s.ehlo()
    assert s.has_extn("smtputf8"), "SMTPUTF8 not offered"
    s.login(*users["alice"])
    refused = s.sendmail(E["MAILPROTO_ALICE_ADDRESS"], [E["MAILPROTO_BOB_ADDRESS"]], msg,
                         mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert not refused, refused
f = wait_maildir(subject)
print("SMTPUTF8 mail delivered:", os.path.basename(f))

# carol (space, quote, backslash, UTF-8 in the password) over submissions, AUTH PLAIN.
with smtplib.SMTP_SSL(host, int(E["MAILPROTO_SMTPS_PORT"]), context=ctx, timeout=10) as s:
    s.ehlo()
    u, pw = users["carol"]  # smtplib's login() only sends ASCII: AUTH PLAIN by hand
    ir = base64.b64encode(b"\0" + u.encode() + b"\0" + pw.encode("utf-8")).decode()
    code, resp = s.docmd("AUTH", "PLAIN " + ir)
    assert code == 235, (code, resp)
    s.sendmail(E["MAILPROTO_CAROL_ADDRESS"], [E["MAILPROTO_BOB_ADDRESS"]],
               f"Subject: {marker} from carol\r\n\r\nhi\r\n".encode())
wait_maildir(marker + " from carol")
print("carol authenticated over submissions")

# POP3S with host-name check; POP3 + STLS; APOP.
p = poplib.POP3_SSL(host, int(E["MAILPROTO_POP3S_PORT"]), context=ctx, timeout=10)
p.user(users["bob"][0]); p.pass_(users["bob"][1])
n, _ = p.stat()
found = False
for i in range(1, n + 1):
    lines = p.top(i, 0)[1]
    if any(marker.encode() in l and b"starttls" in l for l in lines):
        found = True
uidl = p.uidl()[1]
assert all(len(x.split()[1]) == 16 for x in uidl), uidl  # %08Xu%08Xv
p.quit()
assert found, "POP3S: marker mail not listed"
print(f"POP3S: bob has {n} messages, marker found, UIDL format ok")

p = poplib.POP3(host, int(E["MAILPROTO_POP3_PORT"]), timeout=10)
assert "STLS" in p.capa()
p.stls(context=ctx)
p.user(users["carol"][0]); p.pass_(users["carol"][1])
p.quit()
print("POP3 STLS + USER/PASS carol ok")

p = poplib.POP3_SSL(host, int(E["MAILPROTO_POP3S_PORT"]), context=ctx, timeout=10)
p.apop(*users["alice"])
p.quit()
print("POP3S APOP alice ok")

# IMAP STARTTLS: capabilities, CRAM-MD5, SPECIAL-USE folders, search for the mails.
m = imaplib.IMAP4(host, int(E["MAILPROTO_IMAP_PORT"]), timeout=10)
m.starttls(ssl_context=ctx)
caps = m.capabilities
for mech in ("AUTH=PLAIN", "AUTH=LOGIN", "AUTH=CRAM-MD5", "AUTH=SCRAM-SHA-256"):
    assert mech in caps, (mech, caps)
m.login_cram_md5(*users["bob"])
typ, boxes = m.list()
specials = b" ".join(boxes)
for su in (b"\\Drafts", b"\\Sent", b"\\Trash", b"\\Junk", b"\\Archive"):
    assert su in specials, (su, boxes)
assert b'"/"' in boxes[0], boxes
m.select("INBOX")
typ, data = m.search(None, "SUBJECT", f'"{marker}"')
assert len(data[0].split()) >= 4, data
typ, caps2 = m.capability()
for c in (b"SPECIAL-USE", b"QUOTA", b"COMPRESS=DEFLATE", b"METADATA", b"MOVE", b"CONDSTORE"):
    assert c in caps2[0], (c, caps2)
m.logout()
print("IMAP STARTTLS: AUTH=CRAM-MD5 AUTH=SCRAM-SHA-256 offered, CRAM-MD5 login, SPECIAL-USE, search ok")

# IMAPS: carol via AUTHENTICATE PLAIN (imaplib's LOGIN cannot send UTF-8).
m = imaplib.IMAP4_SSL(host, int(E["MAILPROTO_IMAPS_PORT"]), ssl_context=ctx, timeout=10)
u, pw = users["carol"]
m.authenticate("PLAIN", lambda _: b"\0" + u.encode() + b"\0" + pw.encode("utf-8"))
m.logout()
print("IMAPS AUTHENTICATE PLAIN carol ok")

# SCRAM-SHA-256 (RFC 5802/7677) for carol, verifying the server signature too.
import hashlib, hmac, secrets
def scram(user, password):
    nonce = base64.b64encode(secrets.token_bytes(18)).decode()
    first_bare = f"n={user},r={nonce}"
    state = {}
    def mech(challenge):
        if not state.get("sent_first"):
            state["sent_first"] = True
            return ("n,," + first_bare).encode()
        if "server_first" not in state:
            sf = challenge.decode()
            state["server_first"] = sf
            a = dict(kv.split("=", 1) for kv in sf.split(","))
            assert a["r"].startswith(nonce)
            salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                                         base64.b64decode(a["s"]), int(a["i"]))
            ck = hmac.digest(salted, b"Client Key", "sha256")
            final_bare = f"c=biws,r={a['r']}"
            auth_msg = f"{first_bare},{sf},{final_bare}".encode()
            sig = hmac.digest(hashlib.sha256(ck).digest(), auth_msg, "sha256")
            proof = bytes(x ^ y for x, y in zip(ck, sig))
            sk = hmac.digest(salted, b"Server Key", "sha256")
            state["expect"] = base64.b64encode(hmac.digest(sk, auth_msg, "sha256")).decode()
            return f"{final_bare},p={base64.b64encode(proof).decode()}".encode()
        assert challenge.decode() == "v=" + state["expect"], "bad server signature"
        state["verified"] = True
        return b""
    return mech, state
m = imaplib.IMAP4_SSL(host, int(E["MAILPROTO_IMAPS_PORT"]), ssl_context=ctx, timeout=10)
mech, st = scram(*users["carol"])
m.authenticate("SCRAM-SHA-256", mech)
assert st.get("verified"), st
m.logout()
print("IMAPS AUTHENTICATE SCRAM-SHA-256 carol ok (server signature verified)")

# Wrong passwords fail fast (auth_failure_delay = 0, no anvil penalty).
t0 = time.time()
for _ in range(5):
    m = imaplib.IMAP4_SSL(host, int(E["MAILPROTO_IMAPS_PORT"]), ssl_context=ctx, timeout=10)
    try:
        m.login(users["alice"][0], "wrong password")
        raise AssertionError("wrong password accepted")
    except imaplib.IMAP4.error:
        pass
    m.logout()
dt = time.time() - t0
assert dt < 4.5, f"5 failed logins took {dt:.1f} s"
print(f"5 failed IMAP logins (no growing penalty) in {dt:.2f} s")

# Host-name checking is real: a wrong name must fail verification.
bad = ssl.create_default_context(cafile=E["MAILPROTO_CAFILE"])
try:
    imaplib.IMAP4_SSL(host, int(E["MAILPROTO_IMAPS_PORT"]), ssl_context=bad, timeout=10,
                      ).sock.close()
except Exception:
    raise AssertionError("IP address should verify")
import socket
s = socket.create_connection((host, int(E["MAILPROTO_IMAPS_PORT"])), timeout=10)
try:
    bad.wrap_socket(s, server_hostname="mail.example.com")
    raise AssertionError("wrong host name verified")
except ssl.SSLCertVerificationError:
    pass
finally:
    s.close()
print("certificate: verified for 127.0.0.1/localhost, refused for another name")
PY

if ((fail)); then
  echo "$me: FAILED"
  exit 1
fi
echo "$me: all checks passed"
