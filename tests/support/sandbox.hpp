// tests/support/sandbox.hpp — where the real local mail servers are, for integration tests.
//
// scripts/sandbox starts Dovecot and Postfix on 127.0.0.1 and prints MAILPROTO_* variables;
// a test reads them through sandbox():
//
//   $ scripts/sandbox start && eval "$(scripts/sandbox env)"
//
//   #include <catch2/catch.hpp>
//   #include "support/sandbox.hpp"
//
//   TEST_CASE("alice mails bob", "[integration]") {
//     MAILPROTO_REQUIRE_SANDBOX(env);   // declares `env`, or fails / skips the test
//     connect(env.host, env.smtp_port, env.cafile, env.alice.user, env.alice.password);
//   }
//
// Without the variables a test is skipped with a WARN, unless MAILPROTO_REQUIRE_SANDBOX=1
// (set by scripts/test and CI), where it fails: integration tests must not pass silently
// when the servers are missing.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace mailproto::test_support {

/// The sandbox's coordinates, from the environment printed by `scripts/sandbox env`.
struct sandbox_env {
  std::string host;    ///< MAILPROTO_HOST, 127.0.0.1
  std::string domain;  ///< MAILPROTO_DOMAIN, example.test
  std::string cafile;  ///< MAILPROTO_CAFILE: the throw-away CA that signed the servers' certificate
  std::uint16_t smtp_port = 0;   ///< MAILPROTO_SMTP_PORT: submission, STARTTLS required
  std::uint16_t smtps_port = 0;  ///< MAILPROTO_SMTPS_PORT: submissions, implicit TLS
  std::uint16_t imap_port = 0;   ///< MAILPROTO_IMAP_PORT: IMAP with STARTTLS
  std::uint16_t imaps_port = 0;  ///< MAILPROTO_IMAPS_PORT: implicit TLS
  std::uint16_t pop3_port = 0;   ///< MAILPROTO_POP3_PORT: POP3 with STLS
  std::uint16_t pop3s_port = 0;  ///< MAILPROTO_POP3S_PORT: implicit TLS
  /// MAILPROTO_SMTP_PLAIN_PORT: a port-25-style smtpd (STARTTLS optional), 0 if absent.
  std::uint16_t smtp_plain_port = 0;

  /// A mailbox owner: login name, password (carol's holds a space, `"`, `\` and UTF-8),
  /// and mail address.
  struct user {
    std::string user, password, address;
  };
  user alice, bob, carol;

  std::string
      bob_maildir;  ///< MAILPROTO_BOB_MAILDIR: bob's Maildir (new/, cur/), for delivery checks
  std::string dir;  ///< MAILPROTO_SANDBOX_DIR (logs are in dir + "/log"), may be empty
};

namespace detail {

inline std::optional<std::string> env_string(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return std::string(v);
}

inline std::optional<std::uint16_t> env_port(const char* name) {
  const auto s = env_string(name);
  if (!s) {
    return std::nullopt;
  }
  unsigned value = 0;
  const char* end = s->data() + s->size();
  const auto [ptr, ec] = std::from_chars(s->data(), end, value);
  if (ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace detail

/// The sandbox described by the MAILPROTO_* variables; nullopt when MAILPROTO_HOST is unset,
/// or when any other required variable is missing or malformed (then the environment is
/// not usable either: re-run `eval "$(scripts/sandbox env)"`).
inline std::optional<sandbox_env> sandbox() {
  using detail::env_port;
  using detail::env_string;
  sandbox_env e;
  auto host = env_string("MAILPROTO_HOST");
  if (!host) {
    return std::nullopt;
  }
  e.host = std::move(*host);
  auto str = [](const char* name, std::string& out) {
    auto v = env_string(name);
    if (v) {
      out = std::move(*v);
    }
    return v.has_value();
  };
  auto port = [](const char* name, std::uint16_t& out) {
    const auto v = env_port(name);
    if (v) {
      out = *v;
    }
    return v.has_value();
  };
  auto person = [&](const char* prefix, sandbox_env::user& u) {
    const std::string p = std::string("MAILPROTO_") + prefix;
    return str((p + "_USER").c_str(), u.user) && str((p + "_PASSWORD").c_str(), u.password) &&
           str((p + "_ADDRESS").c_str(), u.address);
  };
  const bool complete =
      str("MAILPROTO_DOMAIN", e.domain) && str("MAILPROTO_CAFILE", e.cafile) &&
      port("MAILPROTO_SMTP_PORT", e.smtp_port) && port("MAILPROTO_SMTPS_PORT", e.smtps_port) &&
      port("MAILPROTO_IMAP_PORT", e.imap_port) && port("MAILPROTO_IMAPS_PORT", e.imaps_port) &&
      port("MAILPROTO_POP3_PORT", e.pop3_port) && port("MAILPROTO_POP3S_PORT", e.pop3s_port) &&
      person("ALICE", e.alice) && person("BOB", e.bob) && person("CAROL", e.carol);
  if (!complete) {
    return std::nullopt;
  }
  port("MAILPROTO_SMTP_PLAIN_PORT", e.smtp_plain_port);
  str("MAILPROTO_BOB_MAILDIR", e.bob_maildir);
  str("MAILPROTO_SANDBOX_DIR", e.dir);
  return e;
}

/// True when MAILPROTO_REQUIRE_SANDBOX=1: a missing sandbox is then a failure, not a skip.
inline bool sandbox_required() {
  const auto v = detail::env_string("MAILPROTO_REQUIRE_SANDBOX");
  return v && *v == "1";
}

}  // namespace mailproto::test_support

/// In a Catch2 TEST_CASE: declare `const sandbox_env& NAME`, or, without a usable sandbox,
/// FAIL when MAILPROTO_REQUIRE_SANDBOX=1 and otherwise WARN and return (skip).
#define MAILPROTO_REQUIRE_SANDBOX(NAME)                                                       \
  const auto mailproto_sandbox_##NAME = ::mailproto::test_support::sandbox();                 \
  if (!mailproto_sandbox_##NAME) {                                                            \
    if (::mailproto::test_support::sandbox_required()) {                                      \
      FAIL("sandbox env missing: run scripts/sandbox start and eval $(scripts/sandbox env)"); \
    }                                                                                         \
    WARN("no sandbox: skipped (run scripts/sandbox start and eval $(scripts/sandbox env))");  \
    return;                                                                                   \
  }                                                                                           \
  const ::mailproto::test_support::sandbox_env& NAME = *mailproto_sandbox_##NAME
