// TLS on 127.0.0.1 without the sandbox: a throw-away self-signed certificate for "localhost"
// (made once per test process with the openssl command, in the temporary directory), a server
// context that presents it, and client options that trust it (as their CA file) for tests
// that run their own TLS server.
#pragma once

#include <mailproto/net/options.hpp>

#include <asio/ssl/context.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace mailproto::test_support {

struct cert_files {
  std::string key, crt;
};

inline const cert_files& self_signed_localhost() {
  static const cert_files files = [] {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "mailproto-tls-transfer";
    fs::create_directories(dir);
    cert_files f{(dir / "key.pem").string(), (dir / "crt.pem").string()};
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost -keyout " +
        f.key + " -out " + f.crt + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return f;
  }();
  return files;
}

// A TLS server context presenting the self-signed "localhost" certificate.
inline asio::ssl::context localhost_server_context() {
  const auto& cert = self_signed_localhost();
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  ctx.use_certificate_chain_file(cert.crt);
  ctx.use_private_key_file(cert.key, asio::ssl::context::pem);
  return ctx;
}

// Client options for implicit TLS to "localhost" on `port`, verifying against that
// certificate (no SSLKEYLOGFILE).
inline net::connect_options localhost_tls_client(std::uint16_t port) {
  net::connect_options o;
  o.host = "localhost";
  o.port = port;
  o.tls = net::tls_mode::implicit;
  o.tls_opts.cafile = self_signed_localhost().crt;
  o.tls_opts.use_sslkeylogfile_env = false;
  return o;
}

}  // namespace mailproto::test_support
