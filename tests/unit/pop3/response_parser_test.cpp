// Unit tests of the POP3 response parser and grammar helpers (RFC 1939, RFC 2449 §8).
#include <mailproto/net/errc.hpp>
#include <mailproto/pop3/protocol.hpp>
#include <mailproto/pop3/response_parser.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mailproto;
using pop3::response;
using pop3::response_parser;

namespace {

// Feeds `wire` in pieces cut at `cuts` and records every event as text, so that any two
// ways of delivering the same bytes can be compared. `multiline` says, per response in
// order, whether "+OK" starts a multi-line response.
std::vector<std::string> events(std::string_view wire, const std::vector<std::size_t>& cuts,
                                const std::vector<bool>& multiline, std::error_code& ec,
                                pop3::parser_limits limits = {}) {
  response_parser p(limits);
  std::vector<std::string> out;
  std::size_t idx = 0, pos = 0;
  auto drain = [&] {
    for (;;) {
      if (!p.in_data()) p.expect(idx < multiline.size() && multiline[idx]);
      p.count_lines(true);
      const auto ev = p.next(ec);
      if (ec || ev == response_parser::event::need_more) return;
      switch (ev) {
        case response_parser::event::status:
          out.push_back("status " + p.status().to_reply().to_string());
          if (!p.in_data()) ++idx;
          break;
        case response_parser::event::data_line:
          out.push_back("line " + std::string(p.data()));
          break;
        case response_parser::event::end_of_data:
          out.push_back("end");
          ++idx;
          break;
        default:
          break;
      }
    }
  };
  for (std::size_t cut : cuts) {
    p.feed(wire.substr(pos, cut - pos));
    pos = cut;
    drain();
    if (ec) return out;
  }
  p.feed(wire.substr(pos));
  drain();
  return out;
}

const std::string k_wire =
    "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
    "-ERR [IN-USE] Do you have another POP session running?\r\n"
    "+OK 2 messages\r\n"
    "1 120\r\n"
    "2 200\r\n"
    ".\r\n"
    "+OK\r\n"
    "..leading\r\n"
    "..\r\n"
    "\r\n"
    ".\r\n"
    "+OK [SYS/TEMP] maybe\r\n";
const std::vector<bool> k_multi = {false, true, true, true, false};

}  // namespace

TEST_CASE("pop3 status lines and RFC 2449 response codes", "[pop3][parser]") {
  response r;
  REQUIRE(pop3::parse_status_line("+OK", false, r));
  CHECK(r.type == response::kind::ok);
  CHECK(r.text.empty());
  REQUIRE(pop3::parse_status_line("-ERR [IN-USE] locked", false, r));
  CHECK(r.type == response::kind::err);
  CHECK(r.code == "IN-USE");
  CHECK(r.text == "locked");
  REQUIRE(pop3::parse_status_line("-ERR [SYS/TEMP] later", false, r));
  CHECK(r.code == "SYS/TEMP");
  REQUIRE(pop3::parse_status_line("-ERR [not a code] x", false, r));
  CHECK(r.code.empty());
  CHECK(r.text == "[not a code] x");
  REQUIRE(pop3::parse_status_line("-ERR [] x", false, r));
  CHECK(r.code.empty());
  CHECK_FALSE(pop3::parse_status_line("+OKAY", false, r));
  CHECK_FALSE(pop3::parse_status_line("OK", false, r));
  CHECK_FALSE(pop3::parse_status_line("+ abc", false, r));
  REQUIRE(pop3::parse_status_line("+ abc=", true, r));
  CHECK(r.type == response::kind::continuation);
  CHECK(r.text == "abc=");
  REQUIRE(pop3::parse_status_line("+ ", true, r));
  CHECK(r.text.empty());
  const auto reply = response{response::kind::err, "IN-USE", "locked"}.to_reply();
  CHECK(reply.status == "-ERR");
  CHECK(reply.enhanced == "IN-USE");
  CHECK(reply.to_string() == "-ERR [IN-USE] locked");
}

TEST_CASE("pop3 parser: multi-line responses, dot-unstuffing", "[pop3][parser]") {
  std::error_code ec;
  const auto ev = events(k_wire, {}, k_multi, ec);
  REQUIRE_FALSE(ec);
  const std::vector<std::string> expected = {
      "status +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
      "status -ERR [IN-USE] Do you have another POP session running?",
      "status +OK 2 messages",
      "line 1 120",
      "line 2 200",
      "end",
      "status +OK",
      "line .leading",
      "line .",
      "line ",
      "end",
      "status +OK [SYS/TEMP] maybe",
  };
  CHECK(ev == expected);
}

TEST_CASE("pop3 parser: same events for every split and byte by byte", "[pop3][parser]") {
  std::error_code ec;
  const auto whole = events(k_wire, {}, k_multi, ec);
  REQUIRE_FALSE(ec);
  for (std::size_t k = 1; k < k_wire.size(); ++k) {
    INFO("split at " << k);
    const auto split = events(k_wire, {k}, k_multi, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(split == whole);
  }
  std::vector<std::size_t> every;
  for (std::size_t k = 1; k < k_wire.size(); ++k) every.push_back(k);
  CHECK(events(k_wire, every, k_multi, ec) == whole);
  CHECK_FALSE(ec);
}

TEST_CASE("pop3 parser: the terminator split across reads is found", "[pop3][parser]") {
  const std::string wire = "+OK\r\nbody\r\n.\r\n";
  std::error_code ec;
  // Cut inside ".\r\n": after "." and after ".\r".
  for (std::size_t cut : {wire.size() - 3, wire.size() - 2, wire.size() - 1}) {
    const auto ev = events(wire, {cut}, {true}, ec);
    REQUIRE_FALSE(ec);
    CHECK(ev == std::vector<std::string>{"status +OK", "line body", "end"});
  }
  // ".." at the start of a read is a stuffed line, not the terminator.
  const auto ev = events("+OK\r\n..\r\n.\r\n", {5, 6}, {true}, ec);
  CHECK(ev == std::vector<std::string>{"status +OK", "line .", "end"});
}

TEST_CASE("pop3 parser: bounds and malformed input", "[pop3][parser]") {
  std::error_code ec;
  events("+OK " + std::string(200, 'x') + "\r\n", {}, {false}, ec, {.max_line = 100});
  CHECK(ec == net::errc::line_too_long);
  ec.clear();
  // Without a line end, the bound trips as soon as that many bytes are buffered.
  events(std::string(500, 'x'), {}, {false}, ec, {.max_line = 100});
  CHECK(ec == net::errc::line_too_long);
  ec.clear();
  events("+OK\r\n1 1\r\n2 2\r\n3 3\r\n.\r\n", {}, {true}, ec, {.max_line = 100, .max_lines = 2});
  CHECK(ec == pop3::errc::response_too_large);
  ec.clear();
  events("HTTP/1.1 400 Bad Request\r\n", {}, {false}, ec);
  CHECK(ec == pop3::errc::bad_response);
  CHECK(ec == condition::protocol_violation);
  CHECK(is_fatal(ec));
}

TEST_CASE("pop3 grammar helpers", "[pop3][parser]") {
  pop3::message_info m;
  CHECK(pop3::parse_list_line("1 120", m));
  CHECK((m.number == 1 && m.size == 120));
  CHECK_FALSE(pop3::parse_list_line("0 120", m));
  CHECK_FALSE(pop3::parse_list_line("1 -5", m));
  CHECK_FALSE(pop3::parse_list_line("1", m));
  CHECK_FALSE(pop3::parse_list_line("99999999999 1", m));
  pop3::message_uid u;
  CHECK(pop3::parse_uidl_line("2 QhdPYR:00WBw1Ph7x7", u));
  CHECK(u.uid == "QhdPYR:00WBw1Ph7x7");
  CHECK_FALSE(pop3::parse_uidl_line("2 " + std::string(71, 'a'), u));
  CHECK_FALSE(pop3::parse_uidl_line("2 caf\xc3\xa9", u));
  pop3::mailbox_stat s;
  CHECK(pop3::parse_stat("2 320", s));
  CHECK((s.count == 2 && s.size == 320));
  CHECK_FALSE(pop3::parse_stat("two 320", s));

  // RFC 1939 §7 example.
  CHECK(pop3::apop_timestamp("POP3 server ready <1896.697170952@dbc.mtview.ca.us>") ==
        "<1896.697170952@dbc.mtview.ca.us>");
  CHECK(pop3::apop_timestamp("POP3 server ready").empty());
  CHECK(pop3::apop_timestamp("ready <a b>").empty());
  CHECK(pop3::apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf") ==
        "c4c9334bac560ecc979e58001b3e22fb");

  const auto caps = pop3::capabilities::parse(
      {"TOP", "user", "SASL PLAIN SCRAM-SHA-256", "PIPELINING", "STLS", "IMPLEMENTATION x y"});
  CHECK(caps.known);
  CHECK(caps.top);
  CHECK(caps.user);
  CHECK(caps.pipelining);
  CHECK(caps.stls);
  CHECK_FALSE(caps.uidl);
  CHECK(caps.sasl == std::vector<std::string>{"PLAIN", "SCRAM-SHA-256"});
  CHECK(caps.implementation == "x y");
  CHECK(caps.has("sasl"));
}

TEST_CASE("pop3 errors map to conditions", "[pop3][errc]") {
  CHECK(std::error_code(pop3::errc::temporarily_rejected) == condition::transient);
  CHECK(std::error_code(pop3::errc::rejected) == condition::permanent);
  CHECK(std::error_code(pop3::errc::authentication_failed) == condition::auth_failed);
  CHECK_FALSE(is_fatal(pop3::errc::rejected));
  CHECK(is_fatal(pop3::errc::bad_response));
}

TEST_CASE("pop3 parser bulk mode: same bytes for every split", "[pop3][parser]") {
  const std::string wire =
      "+OK\r\nSubject: x\r\n\r\n..stuffed\r\nbare lf\nplain line\r\n..\r\nlast\r\n.\r\n+OK\r\n";
  const std::string expected =
      "Subject: x\r\n\r\n.stuffed\r\nbare lf\r\nplain line\r\n.\r\nlast\r\n";
  auto run = [&](const std::vector<std::size_t>& cuts) {
    response_parser p;
    std::string body;
    std::vector<std::string> ev;
    std::size_t pos = 0, bulk_events = 0;
    std::error_code ec;
    auto drain = [&] {
      for (;;) {
        if (!p.in_data()) p.expect(ev.empty());
        p.bulk(true);
        const auto e = p.next(ec);
        REQUIRE_FALSE(ec);
        if (e == response_parser::event::need_more) return;
        if (e == response_parser::event::data_line) body.append(p.data()).append("\r\n");
        if (e == response_parser::event::data_bytes) {
          body.append(p.data());
          ++bulk_events;
        }
        if (e == response_parser::event::status) ev.push_back(p.status().to_reply().to_string());
        if (e == response_parser::event::end_of_data) ev.push_back("end");
      }
    };
    for (std::size_t c : cuts) {
      p.feed(std::string_view(wire).substr(pos, c - pos));
      pos = c;
      drain();
    }
    p.feed(std::string_view(wire).substr(pos));
    drain();
    CHECK(body == expected);
    CHECK(ev == std::vector<std::string>{"+OK", "end", "+OK"});
    return bulk_events;
  };
  CHECK(run({}) > 0);  // the whole buffer does use runs
  for (std::size_t k = 1; k < wire.size(); ++k) {
    INFO("split at " << k);
    run({k});
  }
  std::vector<std::size_t> every;
  for (std::size_t k = 1; k < wire.size(); ++k) every.push_back(k);
  run(every);
}

// The bulk scan checks 16 bytes at a time (SSE2): line ends at every offset of a block, at
// block edges, dot-stuffed lines, bare LFs and a too-long line must give exactly what the
// line-by-line path gives.
TEST_CASE("pop3 parser bulk mode agrees with line mode on many line shapes", "[pop3][parser]") {
  std::string wire = "+OK\r\n";
  unsigned seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  for (int i = 0; i < 400; ++i) {
    const std::size_t len = next() % 41;
    std::string line;
    if (next() % 7 == 0) line = "..";  // a stuffed line
    while (line.size() < len) line += static_cast<char>('a' + next() % 26);
    wire += line;
    wire += (next() % 53 == 0) ? "\n" : "\r\n";  // now and then a bare LF
  }
  wire += ".\r\n";
  auto run = [&](bool bulk, std::size_t piece, std::size_t max_line, std::error_code& ec) {
    response_parser p({.max_line = max_line, .max_lines = 100000});
    std::string body;
    bool status_seen = false;
    for (std::size_t pos = 0; pos < wire.size() && !ec; pos += piece) {
      p.feed(std::string_view(wire).substr(pos, piece));
      for (;;) {
        if (!p.in_data() && !status_seen) p.expect(true);
        p.bulk(bulk);
        const auto e = p.next(ec);
        if (ec || e == response_parser::event::need_more) break;
        if (e == response_parser::event::status) status_seen = true;
        if (e == response_parser::event::data_line) body.append(p.data()).append("\r\n");
        if (e == response_parser::event::data_bytes) body.append(p.data());
        if (e == response_parser::event::end_of_data) body += "<end>";
      }
    }
    return body;
  };
  for (const std::size_t piece : {wire.size(), std::size_t(1), std::size_t(7), std::size_t(16),
                                  std::size_t(17), std::size_t(64), std::size_t(1000)}) {
    std::error_code e1, e2;
    const std::string lines = run(false, piece, 1000, e1);
    const std::string runs = run(true, piece, 1000, e2);
    INFO("pieces of " << piece);
    REQUIRE_FALSE(e1);
    REQUIRE_FALSE(e2);
    CHECK(runs == lines);
    CHECK(runs.size() > 400);
    // A bound of 30 bytes: some generated lines (up to 42 bytes) are too long, and both
    // paths must report it.
    std::error_code e3, e4;
    (void)run(false, piece, 30, e3);
    (void)run(true, piece, 30, e4);
    CHECK(e3 == net::errc::line_too_long);
    CHECK(e4 == e3);
  }
}
