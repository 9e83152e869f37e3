#!/usr/bin/env python3
"""Deterministic MIME corpus for bench/jobs/mime-parse.sh.

gen_corpus.py corpus DIR [COUNT]
    COUNT messages (default 2000, about 100-120 MB in all) as DIR/NNNNN.eml, CRLF:
    plain text, multipart/alternative, multipart/mixed with base64 attachments of
    1 KB .. 2 MB (log-uniform), quoted-printable text, RFC 2047 encoded-word headers and
    nested message/rfc822 parts. The same arguments always give the same bytes.
gen_corpus.py big FILE [MIB]
    One message with a single base64 attachment of MIB MiB (default 200) for the
    streaming/RSS benchmark, written in chunks (the generator's memory stays small).
"""
import base64
import os
import random
import sys

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua những tiếng việt café naïve "
         "über straße réunion").split()


def text(rng, n):
    out, size = [], 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12)))
        out.append(line)
        size += len(line.encode()) + 2
    return "\r\n".join(out) + "\r\n"


def qp(s):
    out = []
    for line in s.encode().split(b"\r\n"):
        enc, col = [], 0
        for b in line:
            t = chr(b) if 33 <= b <= 126 and b != 61 else ("=%02X" % b if b != 32 else " ")
            if col + len(t) > 75:
                enc.append("=\r\n")
                col = 0
            enc.append(t)
            col += len(t)
        out.append("".join(enc))
    return "\r\n".join(out)


def ew(s):
    return "=?UTF-8?B?" + base64.b64encode(s.encode()).decode() + "?="


def b64(data):
    e = base64.b64encode(data).decode()
    return "\r\n".join(e[i:i + 76] for i in range(0, len(e), 76)) + "\r\n"


def headers(rng, i, ctype):
    subj = " ".join(rng.choice(WORDS) for _ in range(5))
    return ("From: " + ew("Nguyễn Văn A") + " <a%d@example.org>\r\n" % i +
            "To: Bob <bob@example.net>, " + ew("Đỗ Thị B") + " <b@example.net>\r\n" +
            "Subject: " + ew(subj) + "\r\n" +
            "Date: Tue, 1 Jul 2003 10:52:%02d +0200\r\n" % (i % 60) +
            "Message-ID: <%d.bench@example.org>\r\n" % i +
            "MIME-Version: 1.0\r\n" + "Content-Type: " + ctype + "\r\n")


def attachment(rng):
    size = int(2 ** rng.uniform(10, 21))  # 1 KB .. 2 MB, log-uniform
    data = rng.randbytes(size)
    name = "file-%d.bin" % rng.randint(0, 10 ** 6)
    return ("Content-Type: application/octet-stream; name=\"%s\"\r\n" % name +
            "Content-Disposition: attachment; filename*=UTF-8''B%C3%A1o-" + name + "\r\n" +
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64(data))


def message(rng, i, depth=0):
    kind = rng.random()
    b = "=_b%d_%d" % (i, depth)
    if kind < 0.35 or depth > 0:
        return headers(rng, i, "text/plain; charset=utf-8") + \
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + text(rng, rng.randint(500, 8000))
    if kind < 0.5:
        return headers(rng, i, "text/plain; charset=utf-8") + \
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(text(rng, rng.randint(500, 20000)))
    if kind < 0.88:
        t = text(rng, rng.randint(500, 10000))
        return (headers(rng, i, "multipart/alternative; boundary=\"%s\"" % b) + "\r\n" +
                "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n" % (b, qp(t)) +
                "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s" % (b, b64(("<p>" + t + "</p>").encode())) +
                "--%s--\r\n" % b)
    parts = ["--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s" % (b, text(rng, 2000))]
    for _ in range(1 if rng.random() < 0.9 else 2):
        parts.append("--%s\r\n%s" % (b, attachment(rng)))
    if kind > 0.95:
        parts.append("--%s\r\nContent-Type: message/rfc822\r\n\r\n%s" % (b, message(rng, i, depth + 1)))
    return (headers(rng, i, "multipart/mixed; boundary=\"%s\"" % b) + "\r\nThis is MIME.\r\n" +
            "".join(parts) + "--%s--\r\n" % b)


def corpus(out, count):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20260501)
    total = 0
    for i in range(count):
        m = message(rng, i).encode()
        total += len(m)
        with open(os.path.join(out, "%05d.eml" % i), "wb") as f:
            f.write(m)
    print("generated %d messages, %.1f MB in %s" % (count, total / 1e6, out), file=sys.stderr)


def big(path, mib):
    rng = random.Random(7)
    with open(path, "wb") as f:
        f.write(headers(rng, 0, "multipart/mixed; boundary=\"big\"").encode() + b"\r\n--big\r\n" +
                b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
                b"filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
        chunk = rng.randbytes(57 * 1024 * 16)  # a whole number of 57-byte lines
        enc = b64(chunk).encode()
        for _ in range(mib * 1024 * 1024 // len(chunk)):
            f.write(enc)
        f.write(b"--big--\r\n")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "corpus":
        corpus(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2000)
    elif len(sys.argv) >= 3 and sys.argv[1] == "big":
        big(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 200)
    else:
        sys.exit(__doc__)
