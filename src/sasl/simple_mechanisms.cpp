// PLAIN, LOGIN, CRAM-MD5, XOAUTH2 and OAUTHBEARER: the mechanisms with at most one real
// round trip. Each keeps a step counter; a challenge after the last expected one is
// errc::unexpected_challenge.
#include "sasl/mechanisms.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

namespace mailproto::sasl::detail {
namespace {

constexpr std::string_view nul_cr_lf{"\0\r\n", 3};

bool printable_ascii(std::string_view s) noexcept {
  for (char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

bool too_long(std::string_view challenge, const mechanism_options& o, std::error_code& ec) {
  if (challenge.size() <= o.max_challenge) return false;
  ec = errc::challenge_too_long;
  return true;
}

// ---------------------------------------------------------------------------------------
// PLAIN (RFC 4616 §2): message = [authzid] UTF8NUL authcid UTF8NUL passwd, sent as the
// initial response. The server's (empty) challenge, if the client waited for one, is not
// inspected.
class plain final : public mechanism {
 public:
  plain(const credentials& c, const mechanism_options& o)
      : message_(plain_response(c.authzid, c.username, c.password)), options_(o) {}
  ~plain() override { wipe(message_); }
  std::string_view name() const override { return "PLAIN"; }
  bool client_first() const override { return true; }
  std::string respond(std::string_view challenge, std::error_code& ec) override {
    ec.clear();
    if (too_long(challenge, options_, ec)) return {};
    if (sent_) {
      ec = errc::unexpected_challenge;
      return {};
    }
    sent_ = true;
    return message_;
  }

 private:
  std::string message_;
  mechanism_options options_;
  bool sent_ = false;
};

// ---------------------------------------------------------------------------------------
// LOGIN (draft-murchison-sasl-login-00 §2): the server prompts "Username:" then
// "Password:"; the client answers each. Prompts are matched loosely (servers say "User
// Name", "username:", ...) but a prompt that asks for the password first, or the user
// name second, is refused so that the password never lands where a user name is logged.
class login final : public mechanism {
 public:
  login(const credentials& c, const mechanism_options& o)
      : user_(c.username), pass_(c.password), options_(o) {}
  ~login() override { wipe(pass_); }
  std::string_view name() const override { return "LOGIN"; }
  bool client_first() const override { return false; }
  std::string respond(std::string_view challenge, std::error_code& ec) override {
    ec.clear();
    if (too_long(challenge, options_, ec)) return {};
    switch (step_) {
      case 0:
        if (starts_with_ci(challenge, "pass")) break;
        step_ = 1;
        return user_;
      case 1:
        if (starts_with_ci(challenge, "user")) break;
        step_ = 2;
        return pass_;
      default:
        ec = errc::unexpected_challenge;
        return {};
    }
    ec = errc::bad_challenge;
    return {};
  }

 private:
  static bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
  }
  std::string user_, pass_;
  mechanism_options options_;
  int step_ = 0;
};

// ---------------------------------------------------------------------------------------
// CRAM-MD5 (RFC 2195 §2): the server sends a msg-id style challenge; the client answers
// "user SP hex(HMAC-MD5(password, challenge))" in lower-case hex.
class cram_md5 final : public mechanism {
 public:
  cram_md5(const credentials& c, const mechanism_options& o)
      : user_(c.username), pass_(c.password), options_(o) {}
  ~cram_md5() override { wipe(pass_); }
  std::string_view name() const override { return "CRAM-MD5"; }
  bool client_first() const override { return false; }
  std::string respond(std::string_view challenge, std::error_code& ec) override {
    ec.clear();
    if (too_long(challenge, options_, ec)) return {};
    if (done_) {
      ec = errc::unexpected_challenge;
      return {};
    }
    if (challenge.empty()) {  // the HMAC needs the server's challenge
      ec = errc::bad_challenge;
      return {};
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_md5(), pass_.data(), static_cast<int>(pass_.size()),
              reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), mac,
              &len)) {
      ec = errc::bad_challenge;  // MD5 unavailable (FIPS provider): cannot answer
      return {};
    }
    done_ = true;
    std::string out = user_;
    out += ' ';
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; ++i) {
      out += hex[mac[i] >> 4];
      out += hex[mac[i] & 15];
    }
    return out;
  }

 private:
  std::string user_, pass_;
  mechanism_options options_;
  bool done_ = false;
};

// ---------------------------------------------------------------------------------------
// XOAUTH2 (Google "OAuth 2.0 Mechanism", Microsoft Exchange Online): initial response
// "user=" user ^A "auth=Bearer " token ^A ^A. On failure the server sends one challenge,
// a JSON error ({"status":"401","schemes":"Bearer","scope":"..."}); the client answers
// with an empty response and the server then fails the command.
//
// OAUTHBEARER (RFC 7628 §3.1): gs2-header ^A ["host=" h ^A] ["port=" p ^A]
// "auth=Bearer " token ^A ^A, where the gs2-header is "n,a=" saslname "," (RFC 5801 §4).
// The error challenge (§3.2.2) is a JSON object; the client answers with a single ^A
// (§3.2.3) and the server fails the exchange.
class oauth final : public mechanism {
 public:
  oauth(bool bearer, std::string initial, const mechanism_options& o)
      : bearer_(bearer), initial_(std::move(initial)), options_(o) {}
  ~oauth() override { wipe(initial_); }
  std::string_view name() const override { return bearer_ ? "OAUTHBEARER" : "XOAUTH2"; }
  bool client_first() const override { return true; }
  std::string respond(std::string_view challenge, std::error_code& ec) override {
    ec.clear();
    if (too_long(challenge, options_, ec)) return {};
    switch (step_) {
      case 0:
        step_ = 1;
        return initial_;
      case 1:
        // Any challenge after the initial response is the server's error report.
        step_ = 2;
        error_detail_ = sanitize_detail(challenge);
        if (error_detail_.empty()) error_detail_ = "(empty error challenge)";
        return bearer_ ? std::string("\x01") : std::string();
      default:
        ec = errc::unexpected_challenge;
        return {};
    }
  }

 private:
  bool bearer_;
  std::string initial_;
  mechanism_options options_;
  int step_ = 0;
};

}  // namespace

std::unique_ptr<mechanism> make_plain(const credentials& c, const mechanism_options& o,
                                      std::error_code& ec) {
  // RFC 4616 §2: authcid and passwd are 1*SAFE (no NUL); authzid likewise.
  if (c.username.empty() || contains_any(c.password, std::string_view("\0", 1)) ||
      contains_any(c.authzid, nul_cr_lf)) {
    ec = errc::unsafe_credential;
    return nullptr;
  }
  return std::make_unique<plain>(c, o);
}

std::unique_ptr<mechanism> make_login(const credentials& c, const mechanism_options& o,
                                      std::error_code& ec) {
  if (c.username.empty() || contains_any(c.password, std::string_view("\0", 1))) {
    ec = errc::unsafe_credential;
    return nullptr;
  }
  return std::make_unique<login>(c, o);
}

std::unique_ptr<mechanism> make_cram_md5(const credentials& c, const mechanism_options& o,
                                         std::error_code& ec) {
  if (c.username.empty()) {
    ec = errc::unsafe_credential;
    return nullptr;
  }
  return std::make_unique<cram_md5>(c, o);
}

std::unique_ptr<mechanism> make_xoauth2(const credentials& c, const mechanism_options& o,
                                        std::error_code& ec) {
  if (c.username.empty() || contains_any(c.username, "\x01") || !printable_ascii(c.token)) {
    ec = errc::unsafe_credential;
    return nullptr;
  }
  std::string initial = "user=" + c.username + "\x01" + "auth=Bearer " + c.token + "\x01\x01";
  return std::make_unique<oauth>(false, std::move(initial), o);
}

std::unique_ptr<mechanism> make_oauthbearer(const credentials& c, const mechanism_options& o,
                                            std::error_code& ec) {
  if (contains_any(c.username, "\x01") || !printable_ascii(c.token) || !printable_ascii(o.host)) {
    ec = errc::unsafe_credential;
    return nullptr;
  }
  std::string initial = "n,";
  if (!c.username.empty()) initial += "a=" + escape_saslname(c.username);
  initial += ",\x01";
  if (!o.host.empty()) initial += "host=" + o.host + "\x01";
  if (o.port != 0) initial += "port=" + std::to_string(o.port) + "\x01";
  initial += "auth=Bearer " + c.token + "\x01\x01";
  return std::make_unique<oauth>(true, std::move(initial), o);
}

}  // namespace mailproto::sasl::detail
