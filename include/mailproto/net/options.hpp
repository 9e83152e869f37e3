// mailproto/net/options.hpp — how to reach a server: TLS mode, verification, timeouts, trace.
#pragma once

#include <mailproto/net/trace.hpp>

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mailproto::net {

class transport;

/// How TLS is used on a connection (RFC 8314 recommends implicit TLS).
enum class tls_mode {
  implicit,               ///< TLS from the first byte (ports 465, 993, 995)
  starttls,               ///< plain first, then STARTTLS/STLS; fail if the server does not offer it
  starttls_if_available,  ///< STARTTLS when offered, else stay in clear (explicit opt-in)
  none,                   ///< never TLS (explicit opt-in; credentials then need allow_plaintext)
};

/// Whether the peer's certificate is checked. Turning it off is explicit and is traced.
enum class tls_verify {
  peer,  ///< chain verified against the CA file or the system store, and host name checked
  none,  ///< no verification at all (tests that prove verification fails, debugging)
};

/// How TLS is set up: verification, trust anchors, SNI name, key log.
struct tls_options {
  tls_verify verify = tls_verify::peer;  ///< verify the peer (the default); none only on purpose
  /// PEM file of trusted CAs; empty means the system trust store.
  std::string cafile;
  /// Name sent as SNI and checked against the certificate; empty means the host connected to.
  std::string server_name;
  /// NSS key-log file for Wireshark. Empty: the SSLKEYLOGFILE environment variable is used
  /// when `use_sslkeylogfile_env` is true (the default, as curl and browsers do).
  std::string keylog_file;
  bool use_sslkeylogfile_env = true;  ///< honour SSLKEYLOGFILE when keylog_file is empty
};

struct connect_options;

/// Creates the byte stream for a connection instead of TCP (the transcript player). Called
/// with the connection's executor when an operation asks to connect.
using transport_factory =
    std::function<std::unique_ptr<transport>(asio::any_io_executor, const connect_options&)>;

/// Everything needed to open a connection. Plain aggregate: designated initialisers read
/// like documentation: net::connect_options{.host = "127.0.0.1", .port = 587, ...}.
struct connect_options {
  std::string host;  ///< host name or IP address to connect to (also the default SNI/verified name)
  std::uint16_t port = 0;             ///< TCP port
  tls_mode tls = tls_mode::starttls;  ///< implicit TLS, STARTTLS (required by default), or none
  tls_options tls_opts{};             ///< verification, CA file, SNI, key log
  /// Resolve + TCP connect + (implicit) TLS handshake must finish within this.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  /// Default deadline for each read and write (an operation may ask for another).
  std::chrono::milliseconds io_timeout{std::chrono::seconds(60)};
  /// Longest line a protocol parser accepts before failing with line_too_long.
  std::size_t max_line = 64 * 1024;
  /// Receives the C:/S: transcript. Empty: no trace.
  trace_sink trace{};
  /// Set by tests: use this byte stream instead of a TCP socket.
  transport_factory transport{};
};

}  // namespace mailproto::net
