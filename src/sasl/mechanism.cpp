// The mechanism base class, the factory and the choice of mechanism (policy in
// include/mailproto/sasl/mechanism.hpp).
#include "sasl/mechanisms.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>

namespace mailproto::sasl {

namespace detail {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool contains_any(std::string_view s, std::string_view bytes) noexcept {
  return s.find_first_of(bytes) != std::string_view::npos;
}

std::string sanitize_detail(std::string_view s) {
  constexpr std::size_t max_detail = 1024;
  std::string out(s.substr(0, max_detail));
  for (auto& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t')
      c = ' ';  // pretty-printed JSON stays readable on one line
    else if (u < 0x20 || u == 0x7F)
      c = '?';
  }
  return out;
}

// RFC 5801 §4 / RFC 5802 §5.1 saslname.
std::string escape_saslname(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '=')
      out += "=3D";
    else if (c == ',')
      out += "=2C";
    else
      out += c;
  }
  return out;
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace detail

namespace {

enum class kind { password, token };

struct entry {
  std::string_view name;
  kind k;
  bool plaintext_equivalent;
  std::unique_ptr<mechanism> (*make)(const credentials&, const mechanism_options&,
                                     std::error_code&);
};

// Strongest first within each kind; choose() walks this order.
const std::array<entry, 6> registry{{
    {"SCRAM-SHA-256", kind::password, false, &detail::make_scram_sha256},
    {"CRAM-MD5", kind::password, false, &detail::make_cram_md5},
    {"PLAIN", kind::password, true, &detail::make_plain},
    {"LOGIN", kind::password, true, &detail::make_login},
    {"OAUTHBEARER", kind::token, true, &detail::make_oauthbearer},
    {"XOAUTH2", kind::token, true, &detail::make_xoauth2},
}};

const entry* find(std::string_view name) noexcept {
  for (const auto& e : registry)
    if (detail::iequals(e.name, name)) return &e;
  return nullptr;
}

}  // namespace

credentials credentials::with_password(std::string user, std::string pass) {
  credentials c;
  c.username = std::move(user);
  c.password = std::move(pass);
  return c;
}

credentials credentials::with_token(std::string user, std::string token) {
  credentials c;
  c.username = std::move(user);
  c.token = std::move(token);
  return c;
}

mechanism::~mechanism() = default;

void mechanism::verify_success(std::string_view, std::error_code& ec) {
  ec.clear();
}

std::unique_ptr<mechanism> make_mechanism(std::string_view name, const credentials& creds,
                                          const mechanism_options& options, std::error_code& ec) {
  ec.clear();
  const entry* e = find(name);
  if (!e) {
    ec = errc::unknown_mechanism;
    return nullptr;
  }
  if (!creds.valid_kind() || (e->k == kind::token) != creds.is_token()) {
    ec = errc::credential_kind_mismatch;
    return nullptr;
  }
  // Every mechanism: the user name must never carry line breaks or NUL, whatever the
  // encoding, so that no server logs or parses it as two fields.
  if (detail::contains_any(creds.username, std::string_view("\0\r\n", 3))) {
    ec = errc::unsafe_credential;
    return nullptr;
  }
  auto m = e->make(creds, options, ec);
  if (ec) return nullptr;
  return m;
}

std::unique_ptr<mechanism> make_mechanism(std::string_view name, const credentials& creds,
                                          const mechanism_options& options) {
  std::error_code ec;
  return make_mechanism(name, creds, options, ec);
}

std::string choose(const std::vector<std::string>& offered, const credentials& creds,
                   bool tls_active, bool allow_plaintext, std::string_view preferred,
                   std::error_code& ec) {
  ec.clear();
  // design.md §4: credentials never go over an unencrypted link unless the caller says so.
  if (!tls_active && !allow_plaintext) {
    ec = errc::plaintext_refused;
    return {};
  }
  if (!creds.valid_kind()) {
    ec = errc::credential_kind_mismatch;
    return {};
  }
  const kind wanted = creds.is_token() ? kind::token : kind::password;
  auto is_offered = [&](std::string_view name) {
    return std::any_of(offered.begin(), offered.end(),
                       [&](const std::string& o) { return detail::iequals(o, name); });
  };
  if (!preferred.empty()) {
    const entry* e = find(preferred);
    if (!e) {
      ec = errc::unknown_mechanism;
      return {};
    }
    if (e->k != wanted) {
      ec = errc::credential_kind_mismatch;
      return {};
    }
    if (!is_offered(e->name)) {
      ec = errc::mechanism_not_offered;
      return {};
    }
    return std::string(e->name);
  }
  for (const auto& e : registry)
    if (e.k == wanted && is_offered(e.name)) return std::string(e.name);
  ec = errc::no_common_mechanism;
  return {};
}

const std::vector<std::string_view>& supported_mechanisms() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& e : registry) v.push_back(e.name);
    return v;
  }();
  return names;
}

bool is_plaintext_equivalent(std::string_view name) noexcept {
  const entry* e = find(name);
  return e && e->plaintext_equivalent;
}

std::string plain_response(std::string_view authzid, std::string_view user, std::string_view pass) {
  std::string out;
  out.reserve(authzid.size() + user.size() + pass.size() + 2);
  out.append(authzid);
  out += '\0';
  out.append(user);
  out += '\0';
  out.append(pass);
  return out;
}

}  // namespace mailproto::sasl
