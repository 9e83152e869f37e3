#include <mailproto/error.hpp>
#include <mailproto/version.hpp>

#include <cerrno>
#include <cstring>

namespace mailproto {

std::string_view version() noexcept {
  return MAILPROTO_VERSION_STRING;
}

std::string server_reply::text() const {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

std::string server_reply::to_string() const {
  std::string out;
  if (code != 0) out += std::to_string(code);
  if (!status.empty()) {
    if (!out.empty()) out += ' ';
    out += status;
  }
  if (!enhanced.empty()) {
    if (!out.empty()) out += ' ';
    // SMTP enhanced codes print bare (5.1.1), POP3/IMAP response codes in brackets.
    if (code != 0)
      out += enhanced;
    else
      out += '[' + enhanced + ']';
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += (i == 0 && !out.empty()) ? " " : (i == 0 ? "" : " / ");
    out += lines[i];
  }
  return out;
}

namespace {

class condition_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mailproto.condition"; }
  std::string message(int c) const override {
    switch (static_cast<condition>(c)) {
      case condition::transient:
        return "transient failure";
      case condition::permanent:
        return "permanent failure";
      case condition::auth_failed:
        return "authentication failed";
      case condition::connection_lost:
        return "connection lost";
      case condition::tls_failed:
        return "TLS failure";
      case condition::timeout:
        return "timed out";
      case condition::protocol_violation:
        return "protocol violation";
      case condition::bad_argument:
        return "bad argument";
      case condition::cancelled:
        return "cancelled";
    }
    return "unknown condition";
  }
  bool equivalent(const std::error_code& ec, int c) const noexcept override {
    // Our own categories answer through default_error_condition; for errors that come
    // straight from Asio/the OS, map the common ones here.
    if (ec.category().default_error_condition(ec.value()).category() == *this)
      return ec.category().default_error_condition(ec.value()).value() == c;
    // Matched by category name so this module does not need Asio's compiled sources.
    const auto cond = static_cast<condition>(c);
    const char* cat = ec.category().name();
    // Standalone Asio reports OS errors in its own "asio.system" category (errno values).
    const bool system = std::strcmp(cat, "system") == 0 || std::strcmp(cat, "generic") == 0 ||
                        std::strcmp(cat, "asio.system") == 0;
    if (std::strcmp(cat, "asio.misc") == 0 && ec.value() == 2 /* asio::error::eof */)
      return cond == condition::connection_lost;
    if (system) {
      switch (ec.value()) {
        case ECONNRESET:
        case EPIPE:
        case ECONNABORTED:
        case ENOTCONN:
        case ECONNREFUSED:
        case EHOSTUNREACH:
        case ENETUNREACH:
          return cond == condition::connection_lost;
        case ETIMEDOUT:
          return cond == condition::timeout;
        case ECANCELED:
          return cond == condition::cancelled;
        default:
          return false;
      }
    }
    if (std::strcmp(cat, "asio.ssl") == 0 || std::strcmp(cat, "asio.ssl.stream") == 0)
      return cond == condition::tls_failed;
    return false;
  }
};

}  // namespace

const std::error_category& condition_category() noexcept {
  static const condition_category_impl cat;
  return cat;
}

std::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

bool is_fatal(std::error_code ec) noexcept {
  if (!ec) return false;
  if (auto* ours = dynamic_cast<const detail::category_base*>(&ec.category()))
    return ours->is_fatal(ec.value());
  return true;  // OS, Asio and OpenSSL errors all leave the connection in doubt
}

error::error(std::error_code ec, server_reply reply)
    : std::system_error(ec), what_(describe(ec, reply)), reply_(std::move(reply)) {}

error::error(std::error_code ec, const std::string& what_arg, server_reply reply)
    : std::system_error(ec), what_(what_arg), reply_(std::move(reply)) {}

void throw_if(std::error_code ec, const server_reply& reply) {
  if (ec) throw error(ec, reply);
}

std::string describe(std::error_code ec, const server_reply& reply) {
  std::string out = ec.message();
  if (!reply.empty()) {
    out += ": ";
    out += reply.to_string();
  }
  return out;
}

}  // namespace mailproto
