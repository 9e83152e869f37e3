#include <mailproto/imap/response_parser.hpp>

#include <mailproto/net/errc.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mailproto;
using namespace mailproto::imap;
using namespace std::string_literals;

namespace {

// A flat rendering of a value tree, so responses parsed in different ways can be compared.
std::string show(const value& v) {
  switch (v.type) {
    case value::kind::atom:
      return v.text;
    case value::kind::nil:
      return "NIL";
    case value::kind::string:
      return (v.literal ? "{" : "\"") + v.text + (v.literal ? "}" : "\"");
    case value::kind::streamed:
      return "<streamed " + std::to_string(v.size) + ">";
    case value::kind::list: {
      std::string s = "(";
      for (std::size_t i = 0; i < v.list.size(); ++i) s += (i ? " " : "") + show(v.list[i]);
      return s + ")";
    }
  }
  return "?";
}

std::string show(const response& r) {
  std::string s;
  s += r.type == response::kind::tagged     ? "T:" + r.tag
       : r.type == response::kind::untagged ? std::string("*")
                                            : std::string("+");
  if (r.number) s += " #" + std::to_string(*r.number);
  if (!r.name.empty()) s += " " + r.name;
  if (!r.code.empty()) {
    s += " [" + r.code;
    for (const auto& a : r.code_args) s += " " + show(a);
    s += "]";
  }
  for (const auto& a : r.args) s += " " + show(a);
  if (r.is_status() || r.type == response::kind::continuation) s += " |" + r.text;
  return s;
}

struct outcome {
  std::vector<std::string> events;
  std::error_code ec;
};

// Feed `bytes` in pieces of `step` bytes (0 = whole), or split at `at`.
outcome run(std::string_view bytes, std::size_t step, parser_limits lim = {},
            std::size_t threshold = SIZE_MAX) {
  response_parser p(lim);
  if (threshold != SIZE_MAX) p.set_stream_threshold(threshold);
  outcome o;
  std::string chunked;
  auto drain = [&] {
    for (;;) {
      auto ev = p.next(o.ec);
      if (o.ec) return false;
      switch (ev.kind) {
        case parser_event::type::need_more:
          return true;
        case parser_event::type::response:
          if (!chunked.empty()) o.events.push_back("chunks:" + chunked), chunked.clear();
          o.events.push_back(show(p.get()));
          break;
        case parser_event::type::literal_begin:
          o.events.push_back("begin " + std::to_string(ev.size) + " " + std::string(ev.item) +
                             " #" + std::to_string(ev.number.value_or(0)));
          break;
        case parser_event::type::literal_chunk:
          chunked += ev.chunk;
          break;
        case parser_event::type::literal_end:
          o.events.push_back("chunks:" + chunked);
          chunked.clear();
          o.events.push_back("end");
          break;
      }
    }
  };
  if (step == 0) {
    p.feed(bytes);
    drain();
    return o;
  }
  for (std::size_t i = 0; i < bytes.size(); i += step) {
    p.feed(bytes.substr(i, step));
    if (!drain()) return o;
  }
  return o;
}

// Whole, bytewise and every two-way split give the same events.
outcome grind(std::string_view bytes, parser_limits lim = {}, std::size_t threshold = SIZE_MAX) {
  outcome whole = run(bytes, 0, lim, threshold);
  outcome bytewise = run(bytes, 1, lim, threshold);
  INFO(std::string(bytes));
  REQUIRE(whole.ec == bytewise.ec);
  REQUIRE(whole.events == bytewise.events);
  for (std::size_t k = 1; k < bytes.size(); ++k) {
    response_parser p(lim);
    if (threshold != SIZE_MAX) p.set_stream_threshold(threshold);
    outcome o;
    std::string chunked;
    std::vector<std::string> evs;
    for (auto piece : {bytes.substr(0, k), bytes.substr(k)}) {
      p.feed(piece);
      for (;;) {
        auto ev = p.next(o.ec);
        if (o.ec || ev.kind == parser_event::type::need_more) break;
        if (ev.kind == parser_event::type::response) evs.push_back(show(p.get()));
      }
      if (o.ec) break;
    }
    REQUIRE(o.ec == whole.ec);
    std::vector<std::string> expect;
    for (auto& e : whole.events)
      if (e.rfind("chunks:", 0) != 0 && e.rfind("begin", 0) != 0 && e != "end") expect.push_back(e);
    REQUIRE(evs == expect);
  }
  return whole;
}

}  // namespace

TEST_CASE("imap parser: tagged, untagged and continuation responses", "[imap][parser]") {
  auto o = grind(
      "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] Dovecot ready.\r\n"
      "+ idling\r\n"
      "+\r\n"
      "a1 NO [TRYCREATE] No such mailbox\r\n"
      "* 23 EXISTS\r\n"
      "* BYE logging out\r\n"
      "a2 bad what?\r\n");
  REQUIRE(!o.ec);
  REQUIRE(o.events == std::vector<std::string>{
                          "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] |Dovecot ready.",
                          "+ |idling",
                          "+ |",
                          "T:a1 NO [TRYCREATE] |No such mailbox",
                          "* #23 EXISTS",
                          "* BYE |logging out",
                          "T:a2 BAD |what?",
                      });
}

TEST_CASE("imap parser: response codes with arguments", "[imap][parser]") {
  auto o = grind(
      "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
      "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
      "a3 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"
      "a4 OK [APPENDUID 38505 3955] APPEND completed\r\n"
      "a5 OK [READ-WRITE] SELECT completed\r\n"
      "* OK [X-UNKNOWN-CODE some \"odd stuff] text\r\n"
      "* NO [BADCHARSET (UTF-8 \"x y\")] nope\r\n"
      "* OK [ALERT] System shutdown in 10 minutes\r\n"
      "* OK [unclosed code text\r\n");
  REQUIRE(!o.ec);
  REQUIRE(o.events == std::vector<std::string>{
                          "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] |Limited",
                          "* OK [UIDVALIDITY 3857529045] |UIDs valid",
                          "T:a3 OK [COPYUID 38505 304,319:320 3956:3958] |Done",
                          "T:a4 OK [APPENDUID 38505 3955] |APPEND completed",
                          "T:a5 OK [READ-WRITE] |SELECT completed",
                          "* OK [X-UNKNOWN-CODE] |text",
                          "* NO [BADCHARSET (UTF-8 \"x y\")] |nope",
                          "* OK [ALERT] |System shutdown in 10 minutes",
                          "* OK |[unclosed code text",
                      });
}

TEST_CASE("imap parser: unknown code keeps its raw text", "[imap][parser]") {
  response_parser p;
  p.feed("* OK [X-WEIRD a \"b] c\r\n");
  std::error_code ec;
  auto ev = p.next(ec);
  REQUIRE(!ec);
  REQUIRE(ev.kind == parser_event::type::response);
  CHECK(p.get().code == "X-WEIRD");
  CHECK(p.get().code_raw == "a \"b");
  CHECK(p.get().code_args.empty());
}

TEST_CASE("imap parser: quoted strings, NIL, nested lists, section atoms", "[imap][parser]") {
  auto o = grind(
      "* 12 FETCH (FLAGS (\\Seen $Forwarded) BODY[HEADER.FIELDS (FROM TO)]<0> \"a\\\"b\\\\c\" "
      "X NIL (((1) 2) nil) RFC822.SIZE 44827)\r\n"
      "* LIST (\\HasNoChildren) \"/\" \"Sent Items\"\r\n"
      "* SEARCH\r\n"
      "* SEARCH 2 84 882\r\n");
  REQUIRE(!o.ec);
  REQUIRE(o.events == std::vector<std::string>{
                          "* #12 FETCH (FLAGS (\\Seen $Forwarded) BODY[HEADER.FIELDS (FROM TO)]<0> "
                          "\"a\"b\\c\" X NIL (((1) 2) NIL) RFC822.SIZE 44827)",
                          "* LIST (\\HasNoChildren) \"/\" \"Sent Items\"",
                          "* SEARCH",
                          "* SEARCH 2 84 882",
                      });
}

TEST_CASE("imap parser: literals in every position", "[imap][parser]") {
  auto o = grind(
      std::string(
          "* LIST (\\HasNoChildren) \"/\" {9}\r\nDrafts 01\r\n"
          "* 1 FETCH (BODY[] {12}\r\nhello\r\nworld ENVELOPE ({5}\r\ndate! {0}\r\n NIL NIL NIL NIL "
          "NIL NIL NIL NIL NIL) UID 7)\r\n") +
      "* 2 FETCH (BINARY[1] ~{3}\r\na\0b FLAGS ())\r\n"s +
      "* 3 FETCH (BODY[TEXT] {4+}\r\n(((( UID 9)\r\n");
  REQUIRE(!o.ec);
  REQUIRE(o.events.size() == 4);
  CHECK(o.events[0] == "* LIST (\\HasNoChildren) \"/\" {Drafts 01}");
  CHECK(o.events[1] ==
        "* #1 FETCH (BODY[] {hello\r\nworld} ENVELOPE ({date!} {} NIL NIL NIL NIL NIL NIL NIL "
        "NIL NIL) UID 7)");
  CHECK(o.events[2] == "* #2 FETCH (BINARY[1] {a\0b} FLAGS ())"s);
  CHECK(o.events[3] == "* #3 FETCH (BODY[TEXT] {((((} UID 9)");
}

TEST_CASE("imap parser: large literals stream as events", "[imap][parser]") {
  const std::string body(100, 'x');
  const std::string wire =
      "* 5 FETCH (UID 9 BODY[] {100}\r\n" + body + " FLAGS (\\Seen))\r\na1 OK done\r\n";
  auto o = grind(wire, {}, 10);
  REQUIRE(!o.ec);
  REQUIRE(o.events == std::vector<std::string>{
                          "begin 100 BODY[] #5",
                          "chunks:" + body,
                          "end",
                          "* #5 FETCH (UID 9 BODY[] <streamed 100> FLAGS (\\Seen))",
                          "T:a1 OK |done",
                      });
}

TEST_CASE("imap parser: limits", "[imap][parser]") {
  SECTION("literal announced larger than the limit") {
    parser_limits lim;
    lim.max_literal = 1000;
    auto o = run("* 1 FETCH (BODY[] {1001}\r\n", 0, lim);
    CHECK(o.ec == errc::literal_too_large);
    auto o2 = run("* 1 FETCH (BODY[] {99999999999999999999999}\r\n", 1);
    CHECK(o2.ec == errc::literal_too_large);
  }
  SECTION("nesting past the depth limit") {
    parser_limits lim;
    lim.max_depth = 3;
    CHECK(!run("* X (((a)))\r\n", 0, lim).ec);
    CHECK(run("* X ((((a))))\r\n", 0, lim).ec == errc::nesting_too_deep);
    CHECK(run("* X ((((a))))\r\n", 1, lim).ec == errc::nesting_too_deep);
  }
  SECTION("line too long") {
    parser_limits lim;
    lim.max_line = 50;
    CHECK(run("* OK " + std::string(100, 'a') + "\r\n", 1, lim).ec == net::errc::line_too_long);
  }
  SECTION("too many values") {
    parser_limits lim;
    lim.max_values = 10;
    CHECK(run("* SEARCH 1 2 3 4 5 6 7 8 9 10 11\r\n", 0, lim).ec == errc::response_too_large);
  }
  SECTION("response bytes") {
    parser_limits lim;
    lim.max_response_bytes = 64;
    CHECK(run("* 1 FETCH (BODY[] {100}\r\n", 0, lim).ec == errc::response_too_large);
  }
}

TEST_CASE("imap parser: malformed responses", "[imap][parser]") {
  for (const char* bad :
       {"* X (a\r\n", "* X a)\r\n", "* X \"unterminated\r\n", "* X {12 \r\n", "* X {5} junk\r\n",
        "a1 FETCH (x)\r\n", "\r\n", "* 1x EXISTS\r\n", "* X BODY[unclosed\r\n", "* X {}\r\n"}) {
    INFO(bad);
    CHECK(run(bad, 0).ec == errc::bad_response);
    CHECK(run(bad, 1).ec == errc::bad_response);
  }
  // After an error the parser stays failed.
  response_parser p;
  p.feed("* X (a\r\n* OK fine\r\n");
  std::error_code ec;
  p.next(ec);
  REQUIRE(ec);
  ec.clear();
  p.next(ec);
  CHECK(ec == errc::bad_response);
}

TEST_CASE("imap parser: tolerated deviations", "[imap][parser]") {
  // bare LF, extra spaces, lower-case names
  auto o = grind("* 3   exists\n* list  (\\Noselect)  \".\"  foo\r\n");
  REQUIRE(!o.ec);
  CHECK(o.events == std::vector<std::string>{"* #3 EXISTS", "* LIST (\\Noselect) \".\" foo"});
}

TEST_CASE("imap parser: value helpers", "[imap][parser]") {
  value v;
  v.text = "18446744073709551615";
  CHECK(v.number() == UINT64_MAX);
  v.text = "18446744073709551616";
  CHECK(!v.number());
  v.text = "12a";
  CHECK(!v.number());
  v.text = "FeTcH";
  CHECK(v.atom_is("FETCH"));
  response_parser p;
  CHECK(!p.has_buffered());
  p.feed("* OK x\r\nleft");
  std::error_code ec;
  CHECK(p.next(ec).kind == parser_event::type::response);
  CHECK(p.has_buffered());
}

TEST_CASE("imap parser: quoted strings, every stop position", "[imap][parser]") {
  // The quoted-string scan looks at eight bytes at a time: a '"' or '\' in each position
  // of a word, before and after the first eight bytes, is found, and escapes are removed.
  for (std::size_t n = 0; n < 20; ++n) {
    const std::string plain(n, 'x');
    auto o = run("* 1 FETCH (X \"" + plain + "\" Y)\r\n", 0);
    REQUIRE(!o.ec);
    CHECK(o.events == std::vector<std::string>{"* #1 FETCH (X \"" + plain + "\" Y)"});
    for (std::size_t k = 0; k <= n; ++k) {
      std::string esc = plain;
      esc.insert(k, "\\\"");
      std::string want = plain;
      want.insert(k, "\"");
      auto e = run("* 1 FETCH (X \"" + esc + "\" Y)\r\n", 0);
      REQUIRE(!e.ec);
      CHECK(e.events == std::vector<std::string>{"* #1 FETCH (X \"" + want + "\" Y)"});
      std::string bs = plain;
      bs.insert(k, "\\\\");
      want = plain;
      want.insert(k, "\\");
      auto b = run("* 1 FETCH (X \"" + bs + "\"" + plain + ")\r\n", 0);
      REQUIRE(!b.ec);
      CHECK(b.events == std::vector<std::string>{"* #1 FETCH (X \"" + want + "\"" +
                                                 (n ? " " + plain : "") + ")"});
    }
    // Unterminated, and a backslash as the last byte of the line.
    CHECK(run("* 1 FETCH (X \"" + plain + "\r\n", 0).ec == errc::bad_response);
    CHECK(run("* 1 FETCH (X \"" + plain + "\\\r\n", 0).ec == errc::bad_response);
  }
  // A quote in the last byte of the line, and a string right after another.
  auto o = grind("* 2 FETCH (X \"a\\\\\"\"b\" \"0123456789abcdef\\\"\")\r\n");
  REQUIRE(!o.ec);
  CHECK(o.events ==
        std::vector<std::string>{"* #2 FETCH (X \"a\\\" \"b\" \"0123456789abcdef\"\")"});
}

TEST_CASE("imap parser: node reuse across responses of different shapes", "[imap][parser]") {
  // The value nodes of one response are overwritten by the next: lists that shrink, grow,
  // turn into atoms or NIL and back show only the new response's items.
  const std::string wire =
      "* 1 FETCH (A (1 2 (3 4) \"x\") B NIL C \"s\")\r\n"
      "* 2 FETCH (A NIL B (\"q\" (r s t) u) C ())\r\n"
      "a1 OK done\r\n"
      "* 3 FETCH (A (1) B x)\r\n"
      "* 4 FETCH (A ((((deep)))) B (1 2 3 4 5 6 7 8 9 10) C {3}\r\nlit D \"\")\r\n"
      "* 5 FETCH (A (1 2 (3 4) \"x\") B NIL C \"s\")\r\n";
  auto o = grind(wire);
  REQUIRE(!o.ec);
  CHECK(o.events == std::vector<std::string>{
                        "* #1 FETCH (A (1 2 (3 4) \"x\") B NIL C \"s\")",
                        "* #2 FETCH (A NIL B (\"q\" (r s t) u) C ())",
                        "T:a1 OK |done",
                        "* #3 FETCH (A (1) B x)",
                        "* #4 FETCH (A ((((deep)))) B (1 2 3 4 5 6 7 8 9 10) C {lit} D \"\")",
                        "* #5 FETCH (A (1 2 (3 4) \"x\") B NIL C \"s\")",
                    });
}

TEST_CASE("imap parser: numbers of every length", "[imap][parser]") {
  value v;
  std::string digits;
  std::uint64_t n = 0;
  for (int k = 1; k <= 19; ++k) {
    digits += char('0' + k % 10);
    n = n * 10 + std::uint64_t(k % 10);
    v.text = digits;
    CHECK(v.number() == n);
    v.text = digits + "x";
    CHECK(!v.number());
    v.text = "-" + digits;
    CHECK(!v.number());
  }
  v.text = "99999999999999999999";  // 20 digits, above UINT64_MAX
  CHECK(!v.number());
  v.text = "09";
  CHECK(v.number() == 9u);
  v.text = "";
  CHECK(!v.number());
  v.type = value::kind::string;
  v.text = "12";
  CHECK(!v.number());
}
