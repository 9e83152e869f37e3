// Shared by the SMTP integration tests: the sandbox's submission ports, unique message ids,
// the envelope from alice, and the read-back over IMAPS with Python's imaplib
// (tests/integration/smtp/imap_fetch.py, an independent client).
#pragma once

#include <mailproto/smtp/client.hpp>

#include "support/sandbox.hpp"

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace smtp_integration {

inline std::string unique_id() {
  static std::mt19937_64 rng(std::random_device{}());
  return std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "." +
         std::to_string(rng() % 1000000);
}

/// Submission (587, STARTTLS) or submissions (465, implicit TLS), verified with the sandbox CA.
inline mailproto::net::connect_options submission(const mailproto::test_support::sandbox_env& env,
                                                  bool implicit = false) {
  mailproto::net::connect_options o;
  o.host = env.host;
  o.port = implicit ? env.smtps_port : env.smtp_port;
  o.tls = implicit ? mailproto::net::tls_mode::implicit : mailproto::net::tls_mode::starttls;
  o.tls_opts.cafile = env.cafile;
  o.connect_timeout = std::chrono::seconds(10);
  o.io_timeout = std::chrono::seconds(20);
  return o;
}

/// Runs imap_fetch.py; returns its exit status and output.
inline int read_back(const std::string& id, const std::string& expect_json, std::string& output) {
  std::string cmd = "python3 '" MAILPROTO_TESTS_DIR "/integration/smtp/imap_fetch.py' '" + id +
                    "' '" + expect_json + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[512];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) output.append(buf, n);
  return pclose(p);
}

inline mailproto::smtp::envelope alice_to(std::vector<mailproto::smtp::recipient> r) {
  mailproto::smtp::envelope e;
  e.from = "alice@example.test";
  e.recipients = std::move(r);
  return e;
}

}  // namespace smtp_integration
