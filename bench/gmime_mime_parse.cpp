// bench_gmime_mime_parse — the GMime 3 anchor of bench/jobs/mime-parse.sh, doing the same
// work as bench_mime_parse: parse each message from memory, walk every part (descending
// into message/rfc822), decode every leaf's content (transfer encoding) to a null stream.
//
//   bench_gmime_mime_parse DIR [ROUNDS]
//   bench_gmime_mime_parse --stream FILE   (file stream, persist_stream: GMime's low-memory
//                                           mode; decoded to a null stream; prints peak RSS)
#include <gmime/gmime.h>
#include <sys/resource.h>

#include <fcntl.h>
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

std::size_t walk(GMimeObject* o, GMimeStream* null) {
  std::size_t n = 1;
  if (GMIME_IS_MULTIPART(o)) {
    GMimeMultipart* mp = GMIME_MULTIPART(o);
    int count = g_mime_multipart_get_count(mp);
    for (int i = 0; i < count; ++i) n += walk(g_mime_multipart_get_part(mp, i), null);
  } else if (GMIME_IS_MESSAGE_PART(o)) {
    GMimeMessage* m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
    if (m && g_mime_message_get_mime_part(m)) n += walk(g_mime_message_get_mime_part(m), null);
  } else if (GMIME_IS_PART(o)) {
    GMimeDataWrapper* w = g_mime_part_get_content(GMIME_PART(o));
    if (w) g_mime_data_wrapper_write_to_stream(w, null);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  g_mime_init();
  if (argc >= 3 && std::string(argv[1]) == "--stream") {
    GError* err = nullptr;
    GMimeStream* s = g_mime_stream_fs_open(argv[2], O_RDONLY, 0, &err);
    if (!s) return 1;
    GMimeParser* p = g_mime_parser_new_with_stream(s);
    g_mime_parser_set_persist_stream(p, TRUE);
    GMimeMessage* m = g_mime_parser_construct_message(p, nullptr);
    GMimeStream* null = g_mime_stream_null_new();
    if (m) walk(g_mime_message_get_mime_part(m), null);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("RESULT mime-stream-rss gmime %.1f MiB\n", ru.ru_maxrss / 1024.0);
    return 0;
  }
  if (argc < 2) return 2;
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
  GMimeStream* null = g_mime_stream_null_new();
  std::vector<double> times;
  std::size_t parts = 0;
  for (int r = 0; r < rounds; ++r) {
    parts = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& m : msgs) {
      GMimeStream* s = g_mime_stream_mem_new_with_buffer(m.data(), m.size());
      GMimeParser* p = g_mime_parser_new_with_stream(s);
      GMimeMessage* msg = g_mime_parser_construct_message(p, nullptr);
      if (msg) {
        parts += walk(g_mime_message_get_mime_part(msg), null);
        g_object_unref(msg);
      }
      g_object_unref(p);
      g_object_unref(s);
    }
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  double t = times[times.size() / 2];
  std::printf("RESULT mime-parse gmime %.1f MB/s\n", total / 1e6 / t);
  std::printf("RESULT mime-parse-msgs gmime %.0f msgs/s\n", msgs.size() / t);
  std::printf("gmime: %zu messages, %.1f MB, %zu entities, median %.3f s\n", msgs.size(),
              total / 1e6, parts, t);
  return 0;
}
