// A throw-away self-signed certificate for "localhost" (made once per test process with the
// openssl command, in the temporary directory), for tests that run their own TLS server on
// 127.0.0.1: the client trusts the certificate itself as its CA file.
#pragma once

#include <catch2/catch.hpp>

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

}  // namespace mailproto::test_support
