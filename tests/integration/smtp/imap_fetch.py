#!/usr/bin/env python3
"""Read a message back from the sandbox's Dovecot over IMAPS with Python's imaplib, for the
SMTP integration tests (an independent client checks what mailproto sent).

usage: imap_fetch.py TEST_ID EXPECT_JSON
  Finds bob's message whose X-Test-Id header is TEST_ID (waits up to 60 s for delivery) and
  compares it with EXPECT_JSON: {"subject": str, "body": str (text/plain part, stripped),
  "attachment_name": str, "attachment_hex": str, "absent": [str] (header names that must not
  be present, e.g. "Bcc"), "count": n (how many messages carry TEST_ID)}.
Exit 0 when everything matches; otherwise print what differs and exit 1.
Environment: MAILPROTO_HOST, MAILPROTO_IMAPS_PORT, MAILPROTO_CAFILE, MAILPROTO_BOB_USER,
MAILPROTO_BOB_PASSWORD (from `scripts/sandbox env`).
"""
import email
import email.header
import email.policy
import imaplib
import json
import os
import ssl
import sys
import time


def main():
    test_id, expect = sys.argv[1], json.loads(sys.argv[2])
    ctx = ssl.create_default_context(cafile=os.environ["MAILPROTO_CAFILE"])
    imap = imaplib.IMAP4_SSL(os.environ["MAILPROTO_HOST"], int(os.environ["MAILPROTO_IMAPS_PORT"]),
                             ssl_context=ctx)
    imap.login(os.environ["MAILPROTO_BOB_USER"], os.environ["MAILPROTO_BOB_PASSWORD"])
    want = expect.get("count", 1)
    ids = []
    deadline = time.time() + 60
    while time.time() < deadline:
        imap.select("INBOX")
        typ, data = imap.search(None, "HEADER", "X-Test-Id", test_id)
        ids = data[0].split() if typ == "OK" and data and data[0] else []
        if len(ids) >= want:
            break
        time.sleep(0.3)
    if len(ids) != want:
        print(f"found {len(ids)} messages with X-Test-Id {test_id}, expected {want}")
        return 1
    typ, data = imap.fetch(ids[-1], "(RFC822)")
    raw = data[0][1]
    imap.logout()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    errors = []
    if "subject" in expect and str(msg["Subject"]) != expect["subject"]:
        errors.append(f"subject: {str(msg['Subject'])!r} != {expect['subject']!r}")
    for h in expect.get("absent", []):
        if msg[h] is not None or h.lower().encode() + b":" in raw.lower():
            errors.append(f"header {h} must not be in the message")
    if "body" in expect:
        part = msg.get_body(preferencelist=("plain",))
        body = part.get_content().replace("\r\n", "\n").strip() if part is not None else None
        if body != expect["body"]:
            errors.append(f"body: {body!r} != {expect['body']!r}")
    if "attachment_hex" in expect:
        atts = list(msg.iter_attachments())
        if not atts:
            errors.append("no attachment")
        else:
            a = atts[0]
            if a.get_filename() != expect.get("attachment_name"):
                errors.append(f"attachment name {a.get_filename()!r}")
            got = a.get_payload(decode=True) or b""
            if got.hex() != expect["attachment_hex"]:
                errors.append(f"attachment bytes differ: {got.hex()} != {expect['attachment_hex']}")
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
