#include <mailproto/imap/types.hpp>

#include <catch2/catch.hpp>

using namespace mailproto;
using namespace mailproto::imap;

namespace {
response parse_one(std::string_view wire) {
  response_parser p;
  p.feed(wire);
  std::error_code ec;
  auto ev = p.next(ec);
  REQUIRE(!ec);
  REQUIRE(ev.kind == parser_event::type::response);
  return p.take();
}
}  // namespace

TEST_CASE("imap types: sequence sets", "[imap][types]") {
  CHECK(sequence_set::of({5, 1, 2, 3, 9, 3}).to_string() == "1:3,5,9");
  CHECK(sequence_set::all().to_string() == "1:*");
  auto s = sequence_set::parse("1:4,7,9:*");
  REQUIRE(s);
  CHECK(s->to_string() == "1:4,7,9:*");
  CHECK(s->contains(3));
  CHECK(!s->contains(5));
  CHECK(s->contains(12, 12));
  CHECK(s->expand(10) == std::vector<std::uint32_t>{1, 2, 3, 4, 7, 9, 10});
  for (const char* bad : {"", "0", "1,", ",1", "1:", "a", "01", "4294967296", "1::2"}) {
    INFO(bad);
    CHECK(!sequence_set::parse(bad));
  }
}

TEST_CASE("imap types: modified UTF-7 (RFC 3501 §5.1.3)", "[imap][types]") {
  std::error_code ec;
  // RFC 3501's example: "~peter/mail/台北/日本語"
  const std::string utf8 =
      "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
  CHECK(encode_mailbox_utf7(utf8, ec) == "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  CHECK(!ec);
  CHECK(decode_mailbox_utf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-", ec) == utf8);
  CHECK(!ec);
  CHECK(encode_mailbox_utf7("A&B", ec) == "A&-B");
  CHECK(decode_mailbox_utf7("A&-B", ec) == "A&B");
  // "Thư đã gửi" round trip, and an astral character (surrogate pair)
  for (std::string s : {std::string("Th\xc6\xb0 \xc4\x91\xc3\xa3 g\xe1\xbb\xad"
                                    "i"),
                        std::string("\xf0\x9f\x98\x80 smile"), std::string("caf\xc3\xa9")}) {
    std::error_code e1, e2;
    auto enc = encode_mailbox_utf7(s, e1);
    REQUIRE(!e1);
    for (char c : enc) CHECK(static_cast<unsigned char>(c) < 0x80);
    CHECK(decode_mailbox_utf7(enc, e2) == s);
    CHECK(!e2);
  }
  for (const char* bad : {"&Jjo", "&Jjo!-", "&2D3-", "&AGE"}) {
    std::error_code e;
    INFO(bad);
    CHECK(decode_mailbox_utf7(bad, e) == bad);
    CHECK(e);
  }
  std::error_code e;
  encode_mailbox_utf7("\xc0\x80", e);  // overlong NUL
  CHECK(e == errc::invalid_argument);
}

TEST_CASE("imap types: LIST and STATUS", "[imap][types]") {
  std::error_code ec;
  auto e = decode_list(
      parse_one("* LIST (\\HasNoChildren \\Sent) \"/\" \"Th&AbA- &AREA4w- g&Hu0-i\"\r\n"), false,
      ec);
  REQUIRE(!ec);
  CHECK(e.name ==
        "Th\xc6\xb0 \xc4\x91\xc3\xa3 g\xe1\xbb\xad"
        "i");
  CHECK(e.delimiter == "/");
  CHECK(e.has_attribute("\\sent"));
  auto e2 = decode_list(parse_one("* LIST (\\Noselect) NIL inbox\r\n"), false, ec);
  CHECK(e2.name == "INBOX");
  CHECK(e2.delimiter.empty());
  auto s = decode_status(parse_one("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292 SIZE 9)\r\n"),
                         false, ec);
  REQUIRE(!ec);
  CHECK(s.mailbox == "blurdybloop");
  CHECK(s.messages == 231u);
  CHECK(s.uidnext == 44292u);
  CHECK(s.size == 9u);
  CHECK(!s.unseen);
  decode_list(parse_one("* LIST (\\X) \"/\"\r\n"), false, ec);
  CHECK(ec == errc::bad_response);
}

TEST_CASE("imap types: FETCH with ENVELOPE and BODYSTRUCTURE", "[imap][types]") {
  // RFC 3501 §8 example, plus a nested multipart with message/rfc822 and extension data.
  const char* wire =
      "* 12 FETCH (UID 42 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
      "RFC822.SIZE 4286 MODSEQ (12121) ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
      "\"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" "
      "\"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
      "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" "
      "\"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\") (\"John Klensin\" "
      "NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") "
      "BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23 "
      "NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL \"<id@x>\" \"forwarded\" \"7BIT\" 500 (NIL "
      "\"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") "
      "NIL "
      "NIL \"BASE64\" 300 \"md5sum\" (\"attachment\" (\"FILENAME\" \"a.pdf\")) (\"en\" \"de\") "
      "\"http://x\" 99 (1 2)) 20 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") (\"inline\" NIL) "
      "\"fr\" NIL) BODY[HEADER] {9}\r\nSubject:\n BODY[1]<0> NIL X-GM-LABELS (\\Inbox))\r\n";
  std::error_code ec;
  auto m = decode_fetch(parse_one(wire), ec);
  REQUIRE(!ec);
  CHECK(m.seq == 12);
  CHECK(m.uid == 42u);
  CHECK(*m.flags == std::vector<std::string>{"\\Seen"});
  CHECK(m.internal_date == "17-Jul-1996 02:44:25 -0700");
  CHECK(m.size == 4286u);
  CHECK(m.modseq == 12121u);
  REQUIRE(m.envelope);
  CHECK(m.envelope->subject == "IMAP4rev1 WG mtg summary and minutes");
  REQUIRE(m.envelope->from.size() == 1);
  CHECK(m.envelope->from[0].email() == "gray@cac.washington.edu");
  CHECK(m.envelope->from[0].name == "Terry Gray");
  CHECK(m.envelope->cc.size() == 2);
  CHECK(m.envelope->bcc.empty());
  CHECK(!m.envelope->in_reply_to);
  CHECK(m.envelope->message_id == "<B27397-0100000@cac.washington.edu>");
  REQUIRE(m.body);
  const auto& b = *m.body;
  CHECK(b.is_multipart());
  CHECK(b.subtype == "MIXED");
  REQUIRE(b.params.size() == 1);
  CHECK(b.params[0].second == "b1");
  CHECK(b.disposition == "inline");
  CHECK(b.language == std::vector<std::string>{"fr"});
  CHECK(!b.location);
  REQUIRE(b.parts.size() == 2);
  CHECK(b.parts[0].type == "TEXT");
  CHECK(b.parts[0].size == 1152);
  CHECK(b.parts[0].lines == 23u);
  const auto& msg = b.parts[1];
  CHECK(msg.type == "MESSAGE");
  CHECK(msg.id == "<id@x>");
  CHECK(msg.description == "forwarded");
  REQUIRE(msg.envelope);
  CHECK(msg.envelope->subject == "inner");
  CHECK(msg.lines == 20u);
  REQUIRE(msg.parts.size() == 1);
  const auto& pdf = msg.parts[0];
  CHECK(pdf.subtype == "PDF");
  CHECK(pdf.encoding == "BASE64");
  CHECK(pdf.md5 == "md5sum");
  CHECK(pdf.disposition == "attachment");
  REQUIRE(pdf.disposition_params.size() == 1);
  CHECK(pdf.disposition_params[0].second == "a.pdf");
  CHECK(pdf.language == std::vector<std::string>{"en", "de"});
  CHECK(pdf.location == "http://x");
  CHECK(pdf.extensions.size() == 2);
  CHECK(m.section("BODY[HEADER]") == "Subject:\n");
  REQUIRE(m.sections.count("BODY[1]<0>"));
  CHECK(!m.sections.at("BODY[1]<0>"));
  REQUIRE(m.other.size() == 1);
  CHECK(m.other[0].first == "X-GM-LABELS");
}

TEST_CASE("imap types: malformed FETCH data", "[imap][types]") {
  for (const char* bad :
       {"* 1 FETCH (UID)\r\n", "* 1 FETCH (UID x)\r\n", "* 1 FETCH (ENVELOPE (NIL))\r\n",
        "* 1 FETCH (BODYSTRUCTURE (\"A\"))\r\n", "* 1 FETCH UID 4\r\n", "* FETCH (UID 4)\r\n",
        "* 1 FETCH (FLAGS (\"x\"))\r\n"}) {
    std::error_code ec;
    INFO(bad);
    decode_fetch(parse_one(bad), ec);
    CHECK(ec == errc::bad_response);
  }
}

TEST_CASE("imap types: ESEARCH ALL is bounded before it is expanded", "[imap][types]") {
  // Found by fuzz_imap_response: "ALL 7,10:*" expanded to 16M numbers per decode.
  for (const char* line :
       {"* ESEARCH (TAG \"a3\") UID ALL 7,10:*\r\n", "* ESEARCH (TAG \"a3\") ALL 1:4194305\r\n",
        "* ESEARCH ALL 1:3000000 ALL 3000001:4194305\r\n"}) {
    std::error_code ec;
    search_result r;
    decode_search(parse_one(line), r, ec);
    CHECK(ec == errc::bad_response);
  }
  std::error_code ec;
  search_result r;
  decode_search(parse_one("* ESEARCH ALL 1:4194304\r\n"), r, ec);
  REQUIRE(!ec);
  CHECK(r.ids.size() == 4194304u);
  CHECK(r.ids.back() == 4194304u);
}

TEST_CASE("imap types: SEARCH, ESEARCH, NAMESPACE, ID, VANISHED", "[imap][types]") {
  std::error_code ec;
  search_result r;
  decode_search(parse_one("* SEARCH 2 3 6 (MODSEQ 917162500)\r\n"), r, ec);
  REQUIRE(!ec);
  CHECK(r.ids == std::vector<std::uint32_t>{2, 3, 6});
  CHECK(r.modseq == 917162500u);
  search_result e;
  decode_search(parse_one("* ESEARCH (TAG \"a1\") UID MIN 2 MAX 9 COUNT 4 ALL 2:4,9\r\n"), e, ec);
  REQUIRE(!ec);
  CHECK(e.uid);
  CHECK(e.min == 2u);
  CHECK(e.max == 9u);
  CHECK(e.count == 4u);
  CHECK(e.ids == std::vector<std::uint32_t>{2, 3, 4, 9});
  auto n = decode_namespace(parse_one("* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) NIL\r\n"), ec);
  REQUIRE(!ec);
  REQUIRE(n.personal.size() == 1);
  CHECK(n.personal[0].delimiter == "/");
  CHECK(n.other_users[0].prefix == "~");
  CHECK(n.shared.empty());
  auto id = decode_id(parse_one("* ID (\"name\" \"Dovecot\" \"vendor\" NIL)\r\n"), ec);
  REQUIRE(id.size() == 2);
  CHECK(id[0].second == "Dovecot");
  CHECK(!id[1].second);
  bool earlier = false;
  auto v = decode_vanished(parse_one("* VANISHED (EARLIER) 300:302,405\r\n"), earlier, ec);
  REQUIRE(!ec);
  CHECK(earlier);
  CHECK(v.expand() == std::vector<std::uint32_t>{300, 301, 302, 405});
}

TEST_CASE("imap types: capabilities and search keys", "[imap][types]") {
  auto c = decode_capability(
      parse_one("* CAPABILITY IMAP4rev1 AUTH=PLAIN auth=scram-sha-256 IDLE\r\n").args);
  CHECK(c.has("idle"));
  CHECK(!c.has("MOVE"));
  CHECK(c.auth_mechanisms() == std::vector<std::string>{"PLAIN", "scram-sha-256"});
  auto k = search_key::header("X-Spam", "yes").and_(search_key::larger(100));
  REQUIRE(k.tokens().size() == 5);
  CHECK(k.tokens()[1].type == search_key::token::kind::string);
}

namespace {
// A flat rendering of what decode_fetch fills in, to compare two decodes of one response.
std::string show_opt(const std::optional<std::string>& s) {
  return s ? "\"" + *s + "\"" : std::string("NIL");
}
std::string show_addrs(const std::vector<address>& v) {
  std::string s = "(";
  for (const auto& a : v)
    s += "(" + show_opt(a.name) + " " + show_opt(a.adl) + " " + show_opt(a.mailbox) + " " +
         show_opt(a.host) + ")";
  return s + ")";
}
std::string show_body(const body_structure& b) {
  std::string s = "[" + b.type + "/" + b.subtype;
  for (const auto& [k, v] : b.params) s += " " + k + "=" + v;
  s += " " + show_opt(b.id) + " " + show_opt(b.description) + " " + b.encoding + " " +
       std::to_string(b.size) + " " + (b.lines ? std::to_string(*b.lines) : "-") + " " +
       show_opt(b.md5) + " " + show_opt(b.disposition);
  for (const auto& [k, v] : b.disposition_params) s += " " + k + "=" + v;
  for (const auto& l : b.language) s += " lang:" + l;
  s += " " + show_opt(b.location) + " ext:" + std::to_string(b.extensions.size());
  if (b.envelope) s += " env:" + show_opt(b.envelope->subject);
  for (const auto& p : b.parts) s += " " + show_body(p);
  return s + "]";
}
std::string show_fetch(const fetch_message& m) {
  std::string s = std::to_string(m.seq);
  s += " uid:" + (m.uid ? std::to_string(*m.uid) : std::string("-"));
  s += " flags:";
  if (m.flags)
    for (const auto& f : *m.flags) s += f + ",";
  s += " size:" + (m.size ? std::to_string(*m.size) : std::string("-"));
  s += " date:" + (m.internal_date ? *m.internal_date : std::string("-"));
  if (m.envelope) {
    const auto& e = *m.envelope;
    s += " env:" + show_opt(e.date) + show_opt(e.subject) + show_addrs(e.from) +
         show_addrs(e.sender) + show_addrs(e.reply_to) + show_addrs(e.to) + show_addrs(e.cc) +
         show_addrs(e.bcc) + show_opt(e.in_reply_to) + show_opt(e.message_id);
  }
  if (m.body) s += " body:" + show_body(*m.body);
  for (const auto& [k, v] : m.sections) s += " " + k + "=" + show_opt(v);
  for (const auto& o : m.other) s += " other:" + o.first;
  return s;
}
}  // namespace

TEST_CASE("imap types: FETCH decoded again into one message equals a fresh decode",
          "[imap][types]") {
  // decode_fetch(r, m, ec) reuses m's strings and vectors; whatever m held before (longer or
  // shorter texts, more or fewer addresses, parts, flags), the result is the fresh one.
  const char* wires[] = {
      "* 1 FETCH (UID 7 FLAGS (\\Seen \\Flagged $Label1) RFC822.SIZE 1234 ENVELOPE (\"Tue, 3 "
      "Feb 2026 10:11:00 +0000\" \"a rather long subject line here\" ((\"Alice Example\" NIL "
      "\"alice\" \"mail.example.net\")) NIL NIL ((NIL NIL \"b\" \"x.org\")(\"C\" NIL \"c\" "
      "\"example.test\")(\"Dave\" NIL \"dave\" \"example.org\")) ((\"E\" NIL \"e\" \"e.org\")) "
      "NIL \"<irt@x>\" \"<id-1@example.org>\") BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" "
      "\"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 100 5 NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" "
      "(\"NAME\" \"report-1.pdf\") \"<cid>\" \"a description\" \"BASE64\" 9000 NIL "
      "(\"attachment\" (\"FILENAME\" \"report.pdf\")) (\"en\" \"de\") \"loc\") \"MIXED\" "
      "(\"BOUNDARY\" \"b1\") NIL NIL NIL))\r\n",
      "* 2 FETCH (UID 8 FLAGS () RFC822.SIZE 12 ENVELOPE (NIL \"s\" ((NIL NIL \"a\" \"b\")) "
      "NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 3 "
      "1))\r\n",
      "* 3 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" BODY[] {3}\r\nabc "
      "BODYSTRUCTURE (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 40 (NIL \"inner\" NIL NIL NIL "
      "NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 2 1) 3))\r\n",
  };
  fetch_message reused;
  for (int round = 0; round < 3; ++round) {
    for (const char* w : wires) {
      INFO(w);
      const response r = parse_one(w);
      std::error_code ec1, ec2;
      const fetch_message fresh = decode_fetch(r, ec1);
      decode_fetch(r, reused, ec2);
      REQUIRE(!ec1);
      REQUIRE(!ec2);
      CHECK(show_fetch(reused) == show_fetch(fresh));
    }
  }
}
