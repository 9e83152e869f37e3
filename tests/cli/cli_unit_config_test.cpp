// Config profiles of the `mailproto` tool (apps/mailproto/config.hpp): the parser.
#include "config.hpp"

#include <catch2/catch.hpp>

#include <string>

using cli::config::parse;
using cli::config::profile;

TEST_CASE("config: the named profile's keys, others ignored", "[cli][config]") {
  const std::string text =
      "# comment\n"
      "; another comment\n"
      "[profile work]\n"
      "server = mail.example.test\n"
      "user = someone\n"
      "\n"
      "[profile sandbox]\r\n"
      "  server = 127.0.0.1  \r\n"
      "port=28587\n"
      "tls = starttls\n"
      "user = \"alice\"\n"
      "cafile = /tmp/sbx/tls/ca.pem\n";
  profile p;
  std::string err;
  std::vector<std::string> names;
  REQUIRE(parse(text, "sandbox", p, err, &names));
  CHECK(err.empty());
  CHECK(p.server == "127.0.0.1");
  CHECK(p.port == "28587");
  CHECK(p.tls == "starttls");
  CHECK(p.user == "alice");
  CHECK(p.cafile == "/tmp/sbx/tls/ca.pem");
  CHECK(names == std::vector<std::string>{"work", "sandbox"});

  profile w;
  REQUIRE(parse(text, "work", w, err));
  CHECK(w.server == "mail.example.test");
  CHECK(w.user == "someone");
  CHECK_FALSE(w.port);
  CHECK_FALSE(w.cafile);
}

TEST_CASE("config: a password key is refused, wherever it is", "[cli][config]") {
  profile p;
  std::string err;
  CHECK_FALSE(parse("[profile a]\nserver = x\npassword = hunter2\n", "a", p, err));
  CHECK(err.find("line 3") != std::string::npos);
  CHECK(err.find("MAILPROTO_PASSWORD") != std::string::npos);
  CHECK(err.find("hunter2") == std::string::npos);  // the secret is not echoed
  // Even in another profile than the one asked for.
  CHECK_FALSE(parse("[profile a]\nserver = x\n[profile b]\nPassword=y\n", "a", p, err));
  CHECK(err.find("line 4") != std::string::npos);
}

TEST_CASE("config: malformed files are errors naming the line", "[cli][config]") {
  profile p;
  std::string err;
  CHECK_FALSE(parse("[profile a]\nservre = x\n", "a", p, err));
  CHECK(err.find("line 2: unknown key 'servre'") != std::string::npos);
  CHECK_FALSE(parse("[profile a\n", "a", p, err));
  CHECK(err.find("line 1") != std::string::npos);
  CHECK_FALSE(parse("[default]\nserver = x\n", "a", p, err));
  CHECK(err.find("[profile NAME]") != std::string::npos);
  CHECK_FALSE(parse("[profile a]\njust words\n", "a", p, err));
  CHECK(err.find("key = value") != std::string::npos);
  CHECK_FALSE(parse("[profile ]\n", "a", p, err));
  CHECK_FALSE(
      parse("[profile a]\nuser = a\x01"
            "b\n",
            "a", p, err));
  CHECK(err.find("control character") != std::string::npos);
  std::string with_nul = "[profile a]\nuser = a";
  with_nul += '\0';
  with_nul += "b\n";
  CHECK_FALSE(parse(with_nul, "a", p, err));
  CHECK(err.find("NUL") != std::string::npos);
}

TEST_CASE("config: bounded line length and file size", "[cli][config]") {
  profile p;
  std::string err;
  CHECK_FALSE(parse("[profile a]\nserver = " + std::string(5000, 'x') + "\n", "a", p, err));
  CHECK(err.find("line 2") != std::string::npos);
  std::string big;
  while (big.size() <= cli::config::max_file_size) big += "# filler filler filler filler\n";
  CHECK_FALSE(parse("[profile a]\n" + big, "a", p, err));
  CHECK(err.find("64 KiB") != std::string::npos);
}

TEST_CASE("config: a missing profile is an error", "[cli][config]") {
  profile p;
  std::string err;
  CHECK_FALSE(parse("[profile a]\nserver = x\n", "b", p, err));
  CHECK(err == "no [profile b]");
  CHECK_FALSE(parse("", "b", p, err));
}
