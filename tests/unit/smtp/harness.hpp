// Test harness for the SMTP transcript tests: the same test body runs through the sync API
// and the async API (callbacks), with each transcript delivered whole, byte by byte and
// split at several places.
#pragma once

#include <mailproto/net/errc.hpp>
#include <mailproto/sasl/errc.hpp>
#include <mailproto/smtp/client.hpp>
#include <mailproto/testing/player.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>

namespace smtp_test {

using namespace mailproto;

inline std::string transcript_path(const std::string& name) {
  return std::string(MAILPROTO_TESTS_DIR) + "/transcripts/smtp/" + name;
}

/// "smtp.auth_failed", "net.timeout", "smtp.reply 550", "sasl.bad_challenge" — the names
/// used by the transcripts' @error lines.
inline std::string error_name(std::error_code ec) {
  if (!ec) return "";
  const std::string cat = ec.category().name();
  if (cat == "mailproto.smtp.reply") return "smtp.reply " + std::to_string(ec.value());
  static const char* smtp_names[] = {"",
                                     "bad_reply",
                                     "reply_too_long",
                                     "inconsistent_reply",
                                     "unexpected_reply",
                                     "greeting_refused",
                                     "service_closing",
                                     "tls_mode_mismatch",
                                     "auth_not_offered",
                                     "auth_failed",
                                     "no_recipients",
                                     "bad_address",
                                     "smtputf8_required",
                                     "extension_not_supported",
                                     "message_too_large",
                                     "all_recipients_rejected",
                                     "recipients_deferred",
                                     "some_recipients_rejected",
                                     "not_ready"};
  static const char* net_names[] = {"",
                                    "timeout",
                                    "line_too_long",
                                    "data_before_tls_handshake",
                                    "starttls_not_offered",
                                    "tls_required",
                                    "certificate_verify_failed",
                                    "certificate_name_mismatch",
                                    "tls_handshake_failed",
                                    "not_connected",
                                    "connection_closed",
                                    "operation_in_progress",
                                    "connection_unusable",
                                    "resolve_failed",
                                    "cancelled",
                                    "unsafe_argument",
                                    "plaintext_auth_refused"};
  static const char* sasl_names[] = {"",
                                     "no_common_mechanism",
                                     "mechanism_not_offered",
                                     "unknown_mechanism",
                                     "plaintext_refused",
                                     "credential_kind_mismatch",
                                     "unsafe_credential",
                                     "bad_challenge",
                                     "unexpected_challenge",
                                     "challenge_too_long",
                                     "server_signature_mismatch",
                                     "authentication_failed"};
  auto pick = [&](const char* prefix, const char* const* names, std::size_t n) {
    const auto v = static_cast<std::size_t>(ec.value());
    return std::string(prefix) + (v < n ? names[v] : "?");
  };
  if (cat == "mailproto.smtp") return pick("smtp.", smtp_names, std::size(smtp_names));
  if (cat == "mailproto.net") return pick("net.", net_names, std::size(net_names));
  if (cat == "mailproto.sasl") return pick("sasl.", sasl_names, std::size(sasl_names));
  return cat + ":" + std::to_string(ec.value()) + " (" + ec.message() + ")";
}

/// The client API as seen by a test body: each call returns the error code.
class api {
 public:
  virtual ~api() = default;
  virtual std::error_code connect(const net::connect_options& o) = 0;
  virtual std::error_code login(const std::string& u, const std::string& p) = 0;
  virtual std::error_code authenticate(const sasl::credentials& c, const smtp::auth_options& o) = 0;
  virtual std::error_code send(byte_source& src, const smtp::envelope& env,
                               const smtp::send_options& so, smtp::send_result& out) = 0;
  virtual std::error_code noop() = 0;
  virtual std::error_code reset() = 0;
  virtual std::error_code quit() = 0;
  virtual smtp::client& client() = 0;
  virtual const char* name() const = 0;

  std::error_code send(const std::string& body, const smtp::envelope& env,
                       smtp::send_result* out = nullptr, const smtp::send_options& so = {}) {
    string_source src(body);
    smtp::send_result r;
    auto ec = send(src, env, so, r);
    if (out) *out = std::move(r);
    return ec;
  }
};

class sync_api final : public api {
 public:
  explicit sync_api(smtp::client_options o) : c_(std::move(o)) {}
  std::error_code connect(const net::connect_options& o) override {
    std::error_code ec;
    c_.connect(o, ec);
    return ec;
  }
  std::error_code login(const std::string& u, const std::string& p) override {
    std::error_code ec;
    c_.login(u, p, ec);
    return ec;
  }
  std::error_code authenticate(const sasl::credentials& c, const smtp::auth_options& o) override {
    std::error_code ec;
    c_.authenticate(c, o, ec);
    return ec;
  }
  std::error_code send(byte_source& src, const smtp::envelope& env, const smtp::send_options& so,
                       smtp::send_result& out) override {
    std::error_code ec;
    out = c_.send(src, env, so, ec);
    return ec;
  }
  std::error_code noop() override {
    std::error_code ec;
    c_.noop(ec);
    return ec;
  }
  std::error_code reset() override {
    std::error_code ec;
    c_.reset(ec);
    return ec;
  }
  std::error_code quit() override {
    std::error_code ec;
    c_.quit(ec);
    return ec;
  }
  smtp::client& client() override { return c_; }
  const char* name() const override { return "sync"; }

 private:
  smtp::client c_;
};

class async_api final : public api {
 public:
  explicit async_api(smtp::client_options o) : c_(ctx_.get_executor(), std::move(o)) {}
  std::error_code connect(const net::connect_options& o) override {
    return run([&](auto h) { c_.async_connect(o, h); });
  }
  std::error_code login(const std::string& u, const std::string& p) override {
    return run([&](auto h) { c_.async_login(u, p, h); });
  }
  std::error_code authenticate(const sasl::credentials& c, const smtp::auth_options& o) override {
    return run([&](auto h) { c_.async_authenticate(c, o, h); });
  }
  std::error_code send(byte_source& src, const smtp::envelope& env, const smtp::send_options& so,
                       smtp::send_result& out) override {
    std::error_code result;
    bool called = false;
    c_.async_send(src, env, so, [&](std::error_code ec, smtp::send_result r) {
      called = true;
      result = ec;
      out = std::move(r);
    });
    ctx_.restart();
    ctx_.run();
    REQUIRE(called);
    return result;
  }
  std::error_code noop() override {
    return run([&](auto h) { c_.async_noop(h); });
  }
  std::error_code reset() override {
    return run([&](auto h) { c_.async_reset(h); });
  }
  std::error_code quit() override {
    return run([&](auto h) { c_.async_quit(h); });
  }
  smtp::client& client() override { return c_; }
  const char* name() const override { return "async"; }

 private:
  template <class F>
  std::error_code run(F start) {
    std::error_code result;
    bool called = false;
    start([&](std::error_code ec) {
      called = true;
      result = ec;
    });
    ctx_.restart();
    ctx_.run();
    REQUIRE(called);
    return result;
  }
  asio::io_context ctx_;
  smtp::client c_;
};

inline smtp::client_options test_options() {
  smtp::client_options o;
  o.session.helo_name = "client.example.test";
  return o;
}

inline net::connect_options server(testing::player& p, net::tls_mode mode = net::tls_mode::none) {
  net::connect_options o;
  o.host = "mail.example.test";
  o.port = mode == net::tls_mode::implicit ? 465 : 587;
  o.tls = mode;
  o.io_timeout = std::chrono::seconds(2);
  o.connect_timeout = std::chrono::seconds(2);
  o.transport = p.transport();
  return o;
}

using body_fn = std::function<void(api&, testing::player&)>;

/// Run `body` for the transcript `name` with every delivery (or `max_splits` of them),
/// through the sync and the async API; the player must end finished.
/// `check_finished` false: for transcripts the client rightly abandons early (a stall it
/// times out on, bytes it refuses to read further); the player must still report no mismatch.
/// `split_limit` non-zero: only whole delivery and splits before that byte (a behaviour that
/// depends on bytes arriving together, like the RFC 3207 injection check).
inline void run_transcript(const std::string& name, const body_fn& body,
                           smtp::client_options opts = test_options(),
                           std::vector<std::string> secrets = {}, std::size_t max_splits = 0,
                           bool check_finished = true, std::size_t split_limit = 0) {
  auto script = testing::transcript::load(transcript_path(name));
  auto deliveries = testing::all_deliveries(script);
  if (split_limit) {
    std::vector<testing::delivery> some{testing::delivery::whole_bursts()};
    for (std::size_t k = 1; k < split_limit; ++k) some.push_back(testing::delivery::split_at(k));
    deliveries = some;
  }
  if (max_splits && deliveries.size() > max_splits + 2) {
    // whole, bytewise, then splits spread over the burst
    std::vector<testing::delivery> some(deliveries.begin(), deliveries.begin() + 2);
    const std::size_t n = deliveries.size() - 2;
    for (std::size_t i = 0; i < max_splits; ++i) some.push_back(deliveries[2 + i * n / max_splits]);
    deliveries = some;
  }
  for (const auto& d : deliveries) {
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script, d);
      for (const auto& s : secrets) peer.expect_secret(s);
      std::unique_ptr<api> c;
      if (mode == 0)
        c = std::make_unique<sync_api>(opts);
      else
        c = std::make_unique<async_api>(opts);
      INFO(name << " via " << c->name() << " API, " << d.describe());
      body(*c, peer);
      INFO(peer.report());
      if (check_finished)
        CHECK(peer.finished());
      else
        CHECK(peer.failure().empty());
    }
  }
}

}  // namespace smtp_test
