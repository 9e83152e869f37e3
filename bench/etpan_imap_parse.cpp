// bench_etpan_imap_parse — libetpan side of bench/jobs/imap-parse.sh.
//
//   bench_etpan_imap_parse FILE [ROUNDS]          parse FILE (one FETCH: every response,
//                                                 then one tagged OK) with libetpan's
//                                                 mailimap_parse_response over an in-memory
//                                                 mailstream; RESULT imap-parse libetpan
//   bench_etpan_imap_parse --many FILE [ROUNDS]   each FETCH response with its own tagged
//                                                 OK; RESULT imap-parse-many libetpan
//   bench_etpan_imap_parse --batch N FILE [ROUNDS]
//                                                 a tagged OK after every N responses (FETCH
//                                                 commands of N; the anchor split is
//                                                 N = 1000); RESULT imap-parse-batchN libetpan
// The input is read once, untimed, before the timed rounds (warm_input.hpp), as
// bench_imap_parse does.
#include <libetpan/libetpan.h>

#include "warm_input.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct mem {
  const std::string* data;
  std::size_t pos;
};

ssize_t mem_read(mailstream_low* s, void* buf, size_t count) {
  auto* m = static_cast<mem*>(s->data);
  const std::size_t n = std::min(count, m->data->size() - m->pos);
  std::memcpy(buf, m->data->data() + m->pos, n);
  m->pos += n;
  return static_cast<ssize_t>(n);
}
ssize_t mem_write(mailstream_low*, const void*, size_t count) {
  return static_cast<ssize_t>(count);
}
int mem_close(mailstream_low*) {
  return 0;
}
int mem_fd(mailstream_low*) {
  return -1;
}
void mem_free(mailstream_low* s) {
  std::free(s);
}
void mem_cancel(mailstream_low*) {}
struct mailstream_cancel* mem_get_cancel(mailstream_low*) {
  return nullptr;
}

mailstream_low_driver driver = {mem_read,       mem_write, mem_close, mem_fd,  mem_free, mem_cancel,
                                mem_get_cancel, nullptr,   nullptr,   nullptr, nullptr};

// CPU time of this process: the machine is shared, so wall time would mostly measure the
// other jobs; both sides of the comparison (imap_parse.cpp, etpan_imap_parse.cpp) use it.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string slurp(const char* p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.empty()) {
    std::fprintf(stderr, "%s: missing or empty input\n", p);
    std::exit(2);
  }
  return s;
}

// Parses every response of `wire`; returns the number of tagged completions, -1 on error.
long parse(const std::string& wire, long expected) {
  mem m{&wire, 0};
  mailstream_low* low = mailstream_low_new(&m, &driver);
  mailstream* stream = mailstream_new(low, 65536);
  mailimap* session = mailimap_new(0, nullptr);
  session->imap_stream = stream;
  long done = 0;
  while (done < expected) {
    // libetpan checks the completion's tag against the one it would have sent.
    // (libetpan's tags are plain numbers; the wire is rewritten to match, see main()).
    session->imap_tag = static_cast<int>(done + 1);
    if (mailimap_read_line(session) == nullptr) break;
    struct mailimap_response* resp = nullptr;
    const int r = mailimap_parse_response(session, &resp);
    if (r != MAILIMAP_NO_ERROR) {
      std::fprintf(stderr, "libetpan: parse error %d after %ld\n", r, done);
      return -1;
    }
    mailimap_response_free(resp);
    ++done;
  }
  mailimap_free(session);  // closes and frees the stream
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  long batch = 0;  // responses per FETCH command; 0: all in one
  int a = 1;
  if (argc > 1 && std::strcmp(argv[1], "--many") == 0) {
    batch = 1;
    ++a;
  } else if (argc > 2 && std::strcmp(argv[1], "--batch") == 0) {
    batch = std::atol(argv[2]);
    a += 2;
  }
  if (a >= argc || batch < 0) {
    std::fprintf(stderr, "usage: bench_etpan_imap_parse [--many | --batch N] FILE [ROUNDS]\n");
    return 2;
  }
  std::string wire = slurp(argv[a]);
  const int rounds = a + 1 < argc ? std::stoi(argv[a + 1]) : 3;
  long expected = 1;
  if (const auto t = wire.rfind("a1 OK"); batch == 0 && t != std::string::npos) wire.erase(t, 1);
  if (batch > 0) {  // a tagged completion after every `batch` FETCH responses
    std::string out;
    out.reserve(wire.size() + wire.size() / 20);
    std::size_t pos = 0;
    long tag = 1, in_batch = 0;
    while (pos < wire.size()) {
      const std::size_t e = wire.find("\r\n", pos);
      if (e == std::string::npos) break;
      const std::string_view line(wire.data() + pos, e + 2 - pos);
      if (line.substr(0, 2) == "* ") {
        out += line;
        if (++in_batch == batch) {
          out += std::to_string(tag++) + " OK done\r\n";
          in_batch = 0;
        }
      }
      pos = e + 2;
    }
    if (in_batch > 0) out += std::to_string(tag++) + " OK done\r\n";
    wire = std::move(out);
    expected = tag - 1;
  }
  bench::warm_input(wire);  // untimed; see warm_input.hpp
  std::vector<double> rates;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = cpu_seconds();
    if (parse(wire, expected) != expected) return 1;
    const double s = cpu_seconds() - t0;
    rates.push_back(static_cast<double>(wire.size()) / 1e6 / s);
  }
  std::sort(rates.begin(), rates.end());
  const std::string name = batch == 0   ? std::string("imap-parse")
                           : batch == 1 ? std::string("imap-parse-many")
                                        : "imap-parse-batch" + std::to_string(batch);
  std::printf("RESULT %s libetpan %.1f MB/s\n", name.c_str(), rates[rates.size() / 2]);
  return 0;
}
