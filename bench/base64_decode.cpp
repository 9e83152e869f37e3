// bench_base64_decode MODE FILE [ITERATIONS]
//
// Decodes the base64 in FILE ITERATIONS times (default 3, after one warm-up) and prints
//   MBPS <encoded megabytes (10^6 bytes) per second, best iteration> HASH <FNV-1a of output>
// so bench/jobs/base64-decode.sh can compare speeds and check that every decoder produced
// the same bytes. MODE:
//   wrapped    mailproto::mime::base64_decode (CRLF-wrapped input; SIMD per line run)
//   simd       mailproto::mime::base64_decode_simd on unwrapped input
//   scalar     mailproto::mime::base64_decode_scalar on unwrapped input
//   openssl    OpenSSL EVP_DecodeBlock on unwrapped input
#include <mailproto/mime/encoding.hpp>

#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace {

std::uint64_t fnv1a(const char* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s wrapped|simd|scalar|openssl FILE [ITERATIONS]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 3;
  std::ifstream f(argv[2], std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  f.seekg(0, std::ios::end);
  std::string in(static_cast<std::size_t>(f.tellg()), '\0');
  f.seekg(0);
  f.read(in.data(), static_cast<std::streamsize>(in.size()));
  std::string out(in.size() / 4 * 3 + 16, '\0');
  std::size_t out_len = 0;
  std::string wrapped_out;

  auto run_once = [&]() -> bool {
    if (mode == "wrapped") {
      // The streaming decoder into a reused buffer, as a MIME parser uses it.
      mailproto::mime::base64_decoder dec;
      std::error_code ec;
      wrapped_out.clear();
      dec.update(in, wrapped_out, ec);
      dec.finish(wrapped_out, ec);
      out_len = wrapped_out.size();
      return !ec;
    }
    if (mode == "simd")
      return mailproto::mime::base64_decode_simd(in.data(), in.size(), out.data(), &out_len);
    if (mode == "scalar")
      return mailproto::mime::base64_decode_scalar(in.data(), in.size(), out.data(), &out_len);
    if (mode == "openssl") {
      const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                    reinterpret_cast<const unsigned char*>(in.data()),
                                    static_cast<int>(in.size()));
      if (n < 0) return false;
      // EVP_DecodeBlock counts the zero bytes that padding stands for.
      std::size_t pad = 0;
      for (std::size_t i = in.size(); i > 0 && in[i - 1] == '=' && pad < 2; --i) ++pad;
      out_len = static_cast<std::size_t>(n) - pad;
      return true;
    }
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    std::exit(2);
  };

  if (!run_once()) {
    std::fprintf(stderr, "%s: decode failed\n", mode.c_str());
    return 1;
  }
  double best = 1e99;
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!run_once()) return 1;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("MBPS %.1f HASH %016llx\n", in.size() / best / 1e6,
              static_cast<unsigned long long>(
                  fnv1a(mode == "wrapped" ? wrapped_out.data() : out.data(), out_len)));
  return 0;
}
