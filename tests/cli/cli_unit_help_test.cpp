// The `mailproto` tool run as a program, without any server: help for every command,
// the man page documenting what the help shows, --json refusals where the output is a
// message, config profiles and their precedence, one-line errors.
#include "cli_runner.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

using cli_test::clean_env;
using cli_test::run;

namespace {

std::string man_source() {
  return cli_test::slurp(std::string(MAILPROTO_SOURCE_DIR) + "/docs/mailproto.1.md");
}

// Every --option named in `text`.
std::set<std::string> options_in(const std::string& text) {
  std::set<std::string> out;
  static const std::regex re("(^|[^A-Za-z0-9-])(--[a-z0-9][a-z0-9-]*)");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    out.insert((*it)[2].str());
  return out;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

}  // namespace

TEST_CASE("cli help: the overview lists every command and the common options", "[cli][help]") {
  const auto r = run({"help"});
  REQUIRE(r.status == 0);
  for (const char* c : {"probe", "compose", "parse", "send", "pop3", "imap", "config", "help"})
    CHECK(r.out.find("\n  " + std::string(c) + " ") != std::string::npos);
  for (const char* o : {"--server", "--port", "--tls", "--cafile", "--insecure", "--user",
                        "--profile", "--timeout", "--trace", "--json", "--version"})
    CHECK(r.out.find(o) != std::string::npos);
  for (const char* e : {"MAILPROTO_SERVER", "MAILPROTO_PORT", "MAILPROTO_TLS", "MAILPROTO_USER",
                        "MAILPROTO_CAFILE", "MAILPROTO_PASSWORD", "MAILPROTO_PROGRESS"})
    CHECK(r.out.find(e) != std::string::npos);
  CHECK(run({"--help"}).out == r.out);
  // No command: the overview on stderr, status 2.
  const auto none = run({});
  CHECK(none.status == 2);
  CHECK(none.err == r.out);
}

TEST_CASE("cli help: each command's help names its subcommands and options", "[cli][help]") {
  struct expect {
    std::string command;
    std::vector<std::string> words;
  };
  const std::vector<expect> all = {
      {"probe", {"--protocol", "--json", "smtp", "pop3", "imap"}},
      {"compose",
       {"--from", "--to", "--cc", "--bcc", "--reply-to", "--subject", "--text", "--html",
        "--attach", "--inline", "--header", "--8bitmime", "--smtputf8"}},
      {"parse", {"--json", "--save-attachments"}},
      {"send",
       {"--message", "--from", "--to", "--envelope-from", "--rcpt", "--all-or-nothing",
        "--transfer", "--json", "\"delivered\""}},
      {"pop3",
       {"stat", "list", "uidl", "retr N", "top N LINES", "dele N", "--out", "--parse", "--json",
        "[{\"number\": 1, \"size\": 498}, ...]"}},
      {"imap",
       {"folders", "status MBOX", "fetch MBOX", "search MBOX", "append MBOX FILE", "move MBOX",
        "idle MBOX", "--uid", "--headers", "--body", "--raw", "--out", "--json", "\"delimiter\"",
        "\"attributes\""}},
      {"config", {"--profile", "--json", "[profile sandbox]"}},
  };
  for (const auto& e : all) {
    INFO("mailproto help " << e.command);
    const auto r = run({"help", e.command});
    REQUIRE(r.status == 0);
    CHECK(r.out.rfind("mailproto " + e.command + " — ", 0) == 0);
    CHECK(r.out.find("usage: mailproto " + e.command) != std::string::npos);
    for (const auto& w : e.words) {
      INFO(w);
      CHECK(r.out.find(w) != std::string::npos);
    }
    // `mailproto CMD --help` is the same text.
    CHECK(run({e.command, "--help"}).out == r.out);
  }
  const auto bad = run({"help", "nosuch"});
  CHECK(bad.status == 2);
  CHECK(bad.err == "mailproto: no command named 'nosuch' (see mailproto help)\n");
}

TEST_CASE("cli help: the man page documents every command and every option the help shows",
          "[cli][help][man]") {
  const std::string man = man_source();
  REQUIRE_FALSE(man.empty());
  std::set<std::string> opts = options_in(run({"help"}).out);
  for (const char* c : {"probe", "compose", "parse", "send", "pop3", "imap", "config"}) {
    CHECK(man.find("## " + std::string(c) + "\n") != std::string::npos);
    for (auto& o : options_in(run({"help", c}).out)) opts.insert(o);
  }
  REQUIRE(opts.size() > 30);
  for (const auto& o : opts) {
    INFO(o);
    CHECK(man.find(o) != std::string::npos);
  }
  // The subcommands too.
  for (const char* s : {"`stat`", "`list`", "`uidl`", "`retr N`", "`top N LINES`", "`dele N`",
                        "`folders`", "`status MBOX`", "`fetch MBOX SET`", "`search MBOX KEY...`",
                        "`append MBOX FILE`", "`move MBOX SET DEST`", "`idle MBOX`"}) {
    INFO(s);
    CHECK(man.find(s) != std::string::npos);
  }
}

TEST_CASE("cli: --json is refused where the output is a message, not data", "[cli][json]") {
  auto refused = [](std::vector<std::string> args) {
    auto env = clean_env();
    env["MAILPROTO_PASSWORD"] = "x";
    const auto r = run(args, env);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(cli_test::lines(r.err) == 1);
    return r.err;
  };
  CHECK(refused({"compose", "--json", "--from", "a@b.test", "--to", "c@d.test", "--subject", "s"})
            .find("no JSON form") != std::string::npos);
  CHECK(refused({"pop3", "retr", "1", "--json", "--server", "127.0.0.1", "--user", "u"})
            .find("--parse --json") != std::string::npos);
  CHECK(refused({"pop3", "top", "1", "5", "--json", "--server", "127.0.0.1", "--user", "u"})
            .find("raw message") != std::string::npos);
  CHECK(refused({"imap", "fetch", "INBOX", "1", "--raw", "--json", "--server", "127.0.0.1",
                 "--user", "u"})
            .find("raw message bytes") != std::string::npos);
}

TEST_CASE("cli: usage errors are one line naming the help to read", "[cli][errors]") {
  auto env = clean_env();
  env["MAILPROTO_PASSWORD"] = "x";
  for (const auto& args : std::vector<std::vector<std::string>>{{"pop3"},
                                                                {"pop3", "frobnicate"},
                                                                {"pop3", "retr"},
                                                                {"pop3", "list", "--bogus"},
                                                                {"imap"},
                                                                {"imap", "frobnicate"},
                                                                {"send", "--bogus", "x"},
                                                                {"parse"},
                                                                {"parse", "--bogus", "f"}}) {
    const auto r = run(args, env);
    INFO(args[0] << " " << (args.size() > 1 ? args[1] : ""));
    CHECK(r.status == 2);
    CHECK(cli_test::lines(r.err) == 1);
    CHECK(r.err.find("mailproto help " + args[0]) != std::string::npos);
  }
  const auto pw = run({"pop3", "list", "--password", "x"});
  CHECK(pw.status == 2);
  CHECK(pw.err.find("never taken from the command line") != std::string::npos);
}

TEST_CASE("cli config: flags > environment > profile, and where each value came from",
          "[cli][config]") {
  const std::string dir = cli_test::scratch_dir("config");
  REQUIRE_FALSE(dir.empty());
  std::system(("mkdir -p '" + dir + "/mailproto'").c_str());
  write_file(dir + "/mailproto/config",
             "# test profiles\n"
             "[profile sbx]\n"
             "server = profile.example.test\n"
             "port = 2587\n"
             "tls = implicit\n"
             "user = alice\n"
             "cafile = /profile/ca.pem\n"
             "[profile other]\n"
             "server = other.example.test\n");
  auto env = clean_env();
  env["XDG_CONFIG_HOME"] = dir;

  SECTION("the profile alone") {
    const auto r = run({"config", "--profile", "sbx", "--json"}, env);
    REQUIRE(r.status == 0);
    CHECK(r.out ==
          "{\"profile\": \"sbx\", \"config_file\": \"" + dir +
              "/mailproto/config\", \"server\": {\"value\": \"profile.example.test\", "
              "\"from\": \"profile sbx\"}, \"port\": {\"value\": 2587, \"from\": "
              "\"profile sbx\"}, \"tls\": {\"value\": \"implicit\", \"from\": \"profile "
              "sbx\"}, \"user\": {\"value\": \"alice\", \"from\": \"profile sbx\"}, "
              "\"cafile\": {\"value\": \"/profile/ca.pem\", \"from\": \"profile sbx\"}}\n");
  }
  SECTION("the environment overrides the profile, flags override both") {
    env["MAILPROTO_SERVER"] = "env.example.test";
    env["MAILPROTO_PORT"] = "3587";
    env["MAILPROTO_USER"] = "bob";
    env["MAILPROTO_TLS"] = "starttls";
    const auto r = run({"--profile=sbx", "config", "--port", "4587", "--user=carol"}, env);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("server   env.example.test  (MAILPROTO_SERVER)\n") != std::string::npos);
    CHECK(r.out.find("port     4587  (--port)\n") != std::string::npos);
    CHECK(r.out.find("tls      starttls  (MAILPROTO_TLS)\n") != std::string::npos);
    CHECK(r.out.find("user     carol  (--user)\n") != std::string::npos);
    CHECK(r.out.find("cafile   /profile/ca.pem  (profile sbx)\n") != std::string::npos);
  }
  SECTION("MAILPROTO_HOST (what scripts/sandbox env prints) names the server too") {
    env["MAILPROTO_HOST"] = "127.0.0.1";
    auto r = run({"config"}, env);
    CHECK(r.out.find("server   127.0.0.1  (MAILPROTO_HOST)\n") != std::string::npos);
    env["MAILPROTO_SERVER"] = "server.example.test";
    r = run({"config"}, env);
    CHECK(r.out.find("server   server.example.test  (MAILPROTO_SERVER)\n") != std::string::npos);
  }
  SECTION("MAILPROTO_PROFILE picks the profile; --profile wins") {
    env["MAILPROTO_PROFILE"] = "other";
    auto r = run({"config"}, env);
    CHECK(r.out.find("server   other.example.test  (profile other)\n") != std::string::npos);
    r = run({"config", "--profile", "sbx"}, env);
    CHECK(r.out.find("server   profile.example.test  (profile sbx)\n") != std::string::npos);
  }
  SECTION("nothing set: every value unset") {
    const auto r = run({"config", "--json"}, env);
    CHECK(r.out ==
          "{\"profile\": null, \"config_file\": null, \"server\": {\"value\": null, "
          "\"from\": null}, \"port\": {\"value\": null, \"from\": null}, \"tls\": "
          "{\"value\": null, \"from\": null}, \"user\": {\"value\": null, \"from\": "
          "null}, \"cafile\": {\"value\": null, \"from\": null}}\n");
  }
  SECTION("the profile reaches the commands: pop3 uses its server and refuses no --user") {
    // A port where nothing listens: the error names the server from the profile.
    write_file(dir + "/mailproto/config",
               "[profile dead]\nserver = 127.0.0.1\nport = 1\ntls = implicit\nuser = u\n");
    env["MAILPROTO_PASSWORD"] = "x";
    const auto r = run({"pop3", "stat", "--profile", "dead"}, env);
    CHECK(r.status == 1);
    CHECK(cli_test::lines(r.err) == 1);
    CHECK(r.err.find("nothing listens there") != std::string::npos);
  }
  SECTION("HOME/.config is used without XDG_CONFIG_HOME") {
    env["XDG_CONFIG_HOME"] = std::nullopt;
    std::system(("mkdir -p '" + dir + "/home/.config/mailproto' && cp '" + dir +
                 "/mailproto/config' '" + dir + "/home/.config/mailproto/config'")
                    .c_str());
    env["HOME"] = dir + "/home";
    const auto r = run({"config", "--profile", "other"}, env);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("(" + dir + "/home/.config/mailproto/config)") != std::string::npos);
  }
}

TEST_CASE("cli config: bad profiles and values are one-line usage errors", "[cli][config]") {
  const std::string dir = cli_test::scratch_dir("config-bad");
  REQUIRE_FALSE(dir.empty());
  std::system(("mkdir -p '" + dir + "/mailproto'").c_str());
  auto env = clean_env();
  env["XDG_CONFIG_HOME"] = dir;
  auto fails = [&](std::vector<std::string> args, const std::string& text) {
    const auto r = run(args, env);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(cli_test::lines(r.err) == 1);
    CHECK(r.err.find(text) != std::string::npos);
  };
  fails({"config", "--profile", "x"}, "cannot read the config file " + dir + "/mailproto/config");
  write_file(dir + "/mailproto/config", "[profile a]\nserver = s\npassword = secret-pw\n");
  fails({"config", "--profile", "a"}, "passwords are never read from the config file");
  {
    const auto r = run({"config", "--profile", "a"}, env);
    CHECK(r.err.find("secret-pw") == std::string::npos);
  }
  write_file(dir + "/mailproto/config", "[profile a]\nserver = s\n[profile b]\n");
  fails({"config", "--profile", "c"},
        "no [profile c] in " + dir + "/mailproto/config (it has: a, b)");
  write_file(dir + "/mailproto/config", "[profile a]\nport = 99999\n");
  fails({"config", "--profile", "a"}, "profile a: port must be a number from 1 to 65535");
  write_file(dir + "/mailproto/config", "[profile a]\ntls = maybe\n");
  fails({"config", "--profile", "a"}, "profile a: tls must be implicit, starttls");
  env["MAILPROTO_PORT"] = "http";
  fails({"config"}, "MAILPROTO_PORT must be a number from 1 to 65535, not 'http'");
  env["MAILPROTO_PORT"] = std::nullopt;
  env["MAILPROTO_TLS"] = "ssl";
  fails({"config"}, "MAILPROTO_TLS must be implicit, starttls, starttls-if-available or none");
  // A bad value in the environment does not matter when a flag overrides it.
  CHECK(run({"config", "--tls", "none"}, env).status == 0);
}
