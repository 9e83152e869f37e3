#include <mailproto/imap/command_writer.hpp>

#include <mailproto/imap/response_parser.hpp>
#include <mailproto/net/errc.hpp>

#include <catch2/catch.hpp>

using namespace mailproto;
using namespace mailproto::imap;

TEST_CASE("imap writer: atoms, astrings, quoted strings", "[imap][writer]") {
  command_writer w;
  w.begin("a1", "LOGIN").astring("bob").astring_secret("p a\"s\\s");
  REQUIRE(!w.finish());
  REQUIRE(w.parts().size() == 1);
  CHECK(w.str() == "a1 LOGIN bob \"p a\\\"s\\\\s\"\r\n");
  // the secret span covers the escaped password inside the quotes
  const auto& sp = w.parts()[0].secrets;
  REQUIRE(sp.size() == 1);
  CHECK(w.parts()[0].bytes.substr(sp[0].offset, sp[0].length) == "p a\\\"s\\\\s");

  command_writer w2;
  w2.begin("a2", "SELECT").astring("NIL").astring("").astring("x]y");
  REQUIRE(!w2.finish());
  CHECK(w2.str() == "a2 SELECT \"NIL\" \"\" x]y\r\n");
}

TEST_CASE("imap writer: literals as the content requires", "[imap][writer]") {
  const std::string eight = "caf\xc3\xa9";
  SECTION("synchronising literal splits the command") {
    command_writer w(literal_mode::synchronizing, false);
    w.begin("a3", "SEARCH").raw("SUBJECT").string(eight);
    REQUIRE(!w.finish());
    REQUIRE(w.parts().size() == 2);
    CHECK(w.parts()[0].bytes == "a3 SEARCH SUBJECT {5}\r\n");
    CHECK(w.parts()[0].wait_continuation);
    CHECK(w.parts()[1].bytes == eight + "\r\n");
    CHECK(!w.parts()[1].wait_continuation);
  }
  SECTION("LITERAL+") {
    command_writer w(literal_mode::plus, false);
    w.begin("a3", "SEARCH").raw("SUBJECT").string(eight);
    REQUIRE(!w.finish());
    REQUIRE(w.parts().size() == 1);
    CHECK(w.str() == "a3 SEARCH SUBJECT {5+}\r\n" + eight + "\r\n");
  }
  SECTION("LITERAL- only up to 4096") {
    command_writer w(literal_mode::minus, false);
    std::string big(5000, 'a');
    big[0] = '\x80';
    w.begin("a3", "X").string(eight).string(big);
    REQUIRE(!w.finish());
    REQUIRE(w.parts().size() == 2);
    CHECK(w.parts()[0].bytes.find("{5+}") != std::string::npos);
    CHECK(w.parts()[0].bytes.find("{5000}") != std::string::npos);
  }
  SECTION("UTF-8 quoted under UTF8=ACCEPT") {
    command_writer w(literal_mode::synchronizing, true);
    w.begin("a3", "SEARCH").raw("SUBJECT").string(eight);
    REQUIRE(!w.finish());
    CHECK(w.str() == "a3 SEARCH SUBJECT \"" + eight + "\"\r\n");
  }
  SECTION("a secret literal is marked") {
    command_writer w(literal_mode::plus, false);
    w.begin("a1", "LOGIN").astring("bob").astring_secret("p\xc3\xa4ss");
    REQUIRE(!w.finish());
    const auto& p = w.parts()[0];
    REQUIRE(p.secrets.size() == 1);
    CHECK(p.bytes.substr(p.secrets[0].offset, p.secrets[0].length) == "p\xc3\xa4ss");
  }
}

TEST_CASE("imap writer: CR, LF, NUL are refused before anything is built", "[imap][writer]") {
  for (std::string bad : {std::string("a\r\nb"), std::string("a\nb"), std::string("a\0b", 3)}) {
    command_writer w;
    w.begin("a1", "LOGIN").astring(bad).astring("x");
    CHECK(w.finish() == net::errc::unsafe_argument);
    command_writer w2;
    w2.begin("a1", "CREATE").mailbox(bad);
    CHECK(w2.finish() == net::errc::unsafe_argument);
    command_writer w3;
    w3.begin("a1", "SEARCH").search(search_key::subject(bad));
    CHECK(w3.finish() == net::errc::unsafe_argument);
    command_writer w4;
    w4.begin("a1", "STORE").flag_list({bad});
    CHECK(w4.finish() == net::errc::unsafe_argument);
  }
  command_writer w;
  w.begin("a1", "X").literal(std::string("a\0b", 3));
  CHECK(w.finish() == net::errc::unsafe_argument);
}

TEST_CASE("imap writer: grammar errors", "[imap][writer]") {
  command_writer w;
  w.begin("a1", "X").atom("has space");
  CHECK(w.finish() == errc::invalid_argument);
  command_writer w2;
  w2.begin("a1", "STORE").flag_list({"\\Seen", "bad flag"});
  CHECK(w2.finish() == errc::invalid_argument);
  command_writer w3;
  w3.begin("a1", "FETCH").sequence(sequence_set{});
  CHECK(w3.finish() == errc::invalid_argument);
  command_writer w4;
  w4.begin("a1", "APPEND").date_time("yesterday");
  CHECK(w4.finish() == errc::invalid_argument);
  command_writer w5;
  w5.begin("a+1", "NOOP");
  CHECK(w5.finish() == errc::invalid_argument);
}

TEST_CASE("imap writer: mailbox names", "[imap][writer]") {
  command_writer w;
  w.begin("a1", "CREATE")
      .mailbox(
          "Th\xc6\xb0 \xc4\x91\xc3\xa3 g\xe1\xbb\xad"
          "i");
  REQUIRE(!w.finish());
  CHECK(w.str() == "a1 CREATE \"Th&AbA- &AREA4w- g&Hu0-i\"\r\n");
  command_writer w2;
  w2.begin("a1", "SELECT").mailbox("inbox");
  REQUIRE(!w2.finish());
  CHECK(w2.str() == "a1 SELECT INBOX\r\n");
  command_writer w3(literal_mode::synchronizing, true);
  w3.begin("a1", "CREATE").mailbox("Th\xc6\xb0");
  REQUIRE(!w3.finish());
  CHECK(w3.str() == "a1 CREATE \"Th\xc6\xb0\"\r\n");
  command_writer w4;
  w4.begin("a1", "LIST").quoted("").list_pattern("Arch*");
  REQUIRE(!w4.finish());
  CHECK(w4.str() == "a1 LIST \"\" Arch*\r\n");
  command_writer w5;
  w5.begin("a1", "CREATE").mailbox("bad \xff utf8");
  CHECK(w5.finish() == errc::invalid_argument);
}

TEST_CASE("imap writer: fetch items, flags, search keys", "[imap][writer]") {
  command_writer w;
  w.begin("a5", "UID FETCH")
      .sequence(sequence_set::of({1, 2, 3, 7, 9, 10}))
      .fetch_atts(fetch_items{}.uid().flags().body_section("HEADER.FIELDS (FROM SUBJECT)", true,
                                                           std::make_pair(0, 1024)));
  REQUIRE(!w.finish());
  CHECK(w.str() ==
        "a5 UID FETCH 1:3,7,9:10 (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]<0.1024>)\r\n");
  command_writer w2;
  w2.begin("a6", "STORE")
      .sequence(sequence_set::range(1, 0))
      .raw("+FLAGS.SILENT")
      .flag_list({"\\Seen", "$Label1"});
  REQUIRE(!w2.finish());
  CHECK(w2.str() == "a6 STORE 1:* +FLAGS.SILENT (\\Seen $Label1)\r\n");
  command_writer w3;
  w3.begin("a7", "SEARCH")
      .search(
          search_key::or_(search_key::from("alice@example.org"), search_key::subject("hi there"))
              .and_(search_key::not_(search_key::seen()))
              .and_(search_key::since("1-Feb-2026"))
              .and_(search_key::uid(sequence_set::range(5, 0))));
  REQUIRE(!w3.finish());
  CHECK(w3.str() ==
        "a7 SEARCH OR (FROM \"alice@example.org\") (SUBJECT \"hi there\") NOT (SEEN) SINCE "
        "1-Feb-2026 "
        "UID 5:*\r\n");
}

TEST_CASE("imap writer: round trip through the parser", "[imap][writer]") {
  // What the writer produces as a string comes back from the parser as the same bytes.
  const std::vector<std::string> values = {
      "plain",   "with space", "quote\"and\\backslash", "",         "NIL", "caf\xc3\xa9",
      "(paren)", "{5}",        std::string(2000, 'z'),  "tab\there"};
  for (const auto& v : values) {
    command_writer w(literal_mode::plus, false);
    w.begin("a1", "X").string(v);
    REQUIRE(!w.finish());
    const std::string wire = "*" + w.str().substr(2);  // the same bytes, untagged
    response_parser p;
    p.feed(wire);
    std::error_code ec;
    auto ev = p.next(ec);
    INFO(w.str());
    REQUIRE(!ec);
    REQUIRE(ev.kind == parser_event::type::response);
    REQUIRE(p.get().args.size() == 1);
    CHECK(p.get().args[0].is_string());
    CHECK(p.get().args[0].text == v);
  }
}
