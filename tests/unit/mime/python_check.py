#!/usr/bin/env python3
"""Independent reader for messages built by mailproto's message_builder.

Usage: python_check.py MESSAGE.eml EXPECT.json

Parses MESSAGE with Python's `email` package (policy=default, the modern parser) and
compares what it sees with EXPECT (written by tests/unit/mime/builder_test.cpp):

  subject        str      decoded Subject
  from, to, cc   list     [[display name, addr-spec], ...] (missing key: not checked)
  absent         list     header names that must not be present (e.g. "Bcc")
  tree           str      part tree, e.g. "multipart/mixed(text/plain,application/vnd.rar)"
  text, html     str      decoded text/plain and text/html bodies (line ends normalised)
  parts          list     {"filename", "content_type", "data_file", "cid", "inner_subject"}
                          for every non-text leaf, in order; data_file holds the bytes the
                          decoded payload must equal.

Prints every mismatch and exits 1 if any, 0 otherwise; parser defects are mismatches too.
"""
import email
import email.policy
import json
import sys


def tree(part):
    ctype = part.get_content_type()
    if part.is_multipart():
        kids = part.get_payload()
        return ctype + "(" + ",".join(tree(k) for k in kids) + ")"
    return ctype


def norm(text):
    return text.replace("\r\n", "\n").rstrip("\n")


def addresses(msg, name):
    h = msg[name]
    if h is None:
        return None
    return [[a.display_name, a.addr_spec] for a in h.addresses]


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        want = json.load(f)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    errors = []

    def check(what, got, expected):
        if got != expected:
            errors.append(f"{what}: got {got!r}, expected {expected!r}")

    for part in msg.walk():
        for d in part.defects:
            errors.append(f"defect in {part.get_content_type()}: {type(d).__name__}: {d}")
    if "subject" in want:
        check("subject", str(msg["subject"]), want["subject"])
    for name in ("from", "to", "cc", "reply-to", "sender"):
        if name in want:
            check(name, addresses(msg, name), want[name])
    for name in want.get("absent", []):
        check(f"header {name} present", msg[name] is not None, False)
    if "tree" in want:
        check("tree", tree(msg), want["tree"])

    # Leaves in order; a message/rfc822 part is a leaf here (its inside is not ours).
    def walk(part):
        if part.get_content_type() == "message/rfc822" or not part.is_multipart():
            yield part
        else:
            for k in part.get_payload():
                yield from walk(k)

    texts = {}
    leaves = []
    for part in walk(msg):
        ctype = part.get_content_type()
        disp = part.get_content_disposition()
        if ctype in ("text/plain", "text/html") and disp is None:
            texts.setdefault(ctype, part.get_content())
        else:
            leaves.append(part)
    if "text" in want:
        check("text/plain body", norm(texts.get("text/plain", "")), norm(want["text"]))
    if "html" in want:
        check("text/html body", norm(texts.get("text/html", "")), norm(want["html"]))
    if "parts" in want:
        check("number of attachment/inline parts", len(leaves), len(want["parts"]))
        for i, (part, exp) in enumerate(zip(leaves, want["parts"])):
            if "filename" in exp:
                check(f"part {i} filename", part.get_filename(), exp["filename"])
            if "content_type" in exp:
                check(f"part {i} content type", part.get_content_type(), exp["content_type"])
            if "cid" in exp:
                check(f"part {i} Content-ID", str(part["content-id"]), "<" + exp["cid"] + ">")
            if "data_file" in exp and part.get_content_type() != "message/rfc822":
                with open(exp["data_file"], "rb") as f:
                    data = f.read()
                got = part.get_payload(decode=True)
                if got != data:
                    errors.append(f"part {i} ({part.get_filename()}): decoded {len(got or b'')}"
                                  f" bytes differ from the {len(data)} bytes attached")
            if "inner_subject" in exp:
                inner = part.get_payload(0) if part.is_multipart() else None
                got = str(inner["subject"]) if inner is not None else None
                check(f"part {i} inner Subject", got, exp["inner_subject"])

    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
