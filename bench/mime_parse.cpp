// bench_mime_parse — mailproto side of bench/jobs/mime-parse.sh.
//
//   bench_mime_parse DIR [ROUNDS]   parse every file of DIR from memory into an owned tree
//                                   (mime::parse_message: headers, every part, every body
//                                   transfer-decoded), walk every part; prints
//                                   RESULT mime-parse mailproto <MB/s> MB/s and msgs/s.
//   bench_mime_parse --stream FILE  stream FILE through mime::parser in 64 KiB reads,
//                                   decoding bodies to nowhere; prints the peak RSS as
//                                   RESULT mime-stream-rss mailproto <MiB> MiB.
#include <mailproto/io.hpp>
#include <mailproto/mime/parser.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::size_t walk(const mailproto::mime::entity& e, std::size_t& bytes) {
  std::size_t n = 1;
  bytes += e.body.size();
  for (const auto& c : e.parts) n += walk(c, bytes);
  return n;
}

struct null_handler final : mailproto::mime::parser_handler {
  std::uint64_t bytes = 0;
  void on_body_chunk(const mailproto::mime::entity_head&, std::string_view d) override {
    bytes += d.size();
  }
};

int stream(const char* path) {
  null_handler h;
  mailproto::file_source src(path);
  std::error_code ec;
  auto t0 = std::chrono::steady_clock::now();
  mailproto::mime::parse_stream(src, h, ec, {}, 64 * 1024);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (ec) {
    std::fprintf(stderr, "bench_mime_parse: %s: %s\n", path, ec.message().c_str());
    return 1;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("RESULT mime-stream-rss mailproto %.1f MiB\n", ru.ru_maxrss / 1024.0);
  std::printf("mailproto: streamed %llu decoded bytes in %.2f s\n",
              static_cast<unsigned long long>(h.bytes), s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--stream") return stream(argv[2]);
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_mime_parse DIR [ROUNDS] | --stream FILE\n");
    return 2;
  }
  int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(argv[1]))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> msgs;
  std::size_t total = 0;
  for (const auto& f : files) {
    msgs.push_back(slurp(f));
    total += msgs.back().size();
  }
  std::vector<double> times;
  std::size_t parts = 0, decoded = 0;
  for (int r = 0; r < rounds; ++r) {
    parts = decoded = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& m : msgs) {
      auto msg = mailproto::mime::parse_message(m);
      parts += walk(msg.root(), decoded);
    }
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  double t = times[times.size() / 2];
  std::printf("RESULT mime-parse mailproto %.1f MB/s\n", total / 1e6 / t);
  std::printf("RESULT mime-parse-msgs mailproto %.0f msgs/s\n", msgs.size() / t);
  std::printf("mailproto: %zu messages, %.1f MB, %zu entities, %zu decoded bytes, median %.3f s\n",
              msgs.size(), total / 1e6, parts, decoded, t);
  return 0;
}
