// bench_gmime_base64_decode FILE [ITERATIONS]
//
// The GMime 3 anchor for bench_base64_decode: g_mime_encoding_base64_decode_step over the
// whole (CRLF-wrapped) FILE. Prints the same "MBPS <value> HASH <fnv1a>" line.
#include <gmime/gmime.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace {

std::uint64_t fnv1a(const unsigned char* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [ITERATIONS]\n", argv[0]);
    return 2;
  }
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 3;
  g_mime_init();
  std::ifstream f(argv[1], std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  f.seekg(0, std::ios::end);
  std::string in(static_cast<std::size_t>(f.tellg()), '\0');
  f.seekg(0);
  f.read(in.data(), static_cast<std::streamsize>(in.size()));
  std::string out(in.size() / 4 * 3 + 16, '\0');
  std::size_t out_len = 0;
  auto run_once = [&] {
    int state = 0;
    guint32 save = 0;
    out_len = g_mime_encoding_base64_decode_step(
        reinterpret_cast<const unsigned char*>(in.data()), in.size(),
        reinterpret_cast<unsigned char*>(out.data()), &state, &save);
  };
  run_once();
  double best = 1e99;
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run_once();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("MBPS %.1f HASH %016llx\n", in.size() / best / 1e6,
              static_cast<unsigned long long>(
                  fnv1a(reinterpret_cast<const unsigned char*>(out.data()), out_len)));
  g_mime_shutdown();
  return 0;
}
