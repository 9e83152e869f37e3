// bench_imap_parse — mailproto side of bench/jobs/imap-parse.sh.
//
//   bench_imap_parse --generate FILE [N]   write N (default 100000) FETCH responses, each
//                                          with UID, FLAGS, RFC822.SIZE, ENVELOPE and a
//                                          multipart BODYSTRUCTURE (~1 KB each, ~100 MB),
//                                          then a tagged OK, to FILE (deterministic)
//   bench_imap_parse FILE [ROUNDS]         parse FILE from memory in 64 KiB feeds and decode
//                                          every FETCH (envelope, body structure); prints
//                                          RESULT imap-parse mailproto <MB/s> MB/s
//   bench_imap_parse --many FILE [ROUNDS]  the same responses, each answered by its own
//                                          tagged OK (100k FETCH commands instead of one);
//                                          prints RESULT imap-parse-many mailproto <MB/s> MB/s
//   bench_imap_parse --batch N FILE [ROUNDS]
//                                          the same responses in FETCH commands of N
//                                          responses each (a tagged OK after every N; the
//                                          split libetpan was measured in, N = 1000);
//                                          prints RESULT imap-parse-batchN mailproto <MB/s> MB/s
// The input is read once, untimed, before the timed rounds (warm_input.hpp), as
// bench_etpan_imap_parse does.
#include <mailproto/imap/response_parser.hpp>
#include <mailproto/imap/types.hpp>

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

using namespace mailproto::imap;

std::string make_response(unsigned i) {
  // A small LCG keeps the data deterministic but varied.
  unsigned s = i * 2654435761u + 12345;
  auto next = [&s] { return s = s * 1103515245u + 12345u; };
  const char* names[] = {"Alice Example", "Bob Builder", "Carol Q. Public", "Dave"};
  const char* hosts[] = {"example.org", "mail.example.net", "example.test"};
  std::string subj = "Re: quarterly report #" + std::to_string(next() % 100000) +
                     " and the \\\"numbers\\\" we discussed";
  std::string r = "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(1000 + i) +
                  " FLAGS (\\Seen" + (next() % 3 ? "" : " \\Flagged $Label1") + ") RFC822.SIZE " +
                  std::to_string(2000 + next() % 90000) +
                  " ENVELOPE (\"Tue, 3 Feb 2026 10:" + std::to_string(10 + next() % 50) +
                  ":00 +0000\" \"" + subj + "\" ";
  auto addr = [&](int n) {
    std::string a = "(";
    for (int k = 0; k < n; ++k) {
      a += "(\"" + std::string(names[next() % 4]) + "\" NIL \"user" + std::to_string(next() % 999) +
           "\" \"" + hosts[next() % 3] + "\")";
    }
    return a + ")";
  };
  std::string from = addr(1);
  r += from + " " + from + " " + from + " " + addr(1 + next() % 3) + " " +
       (next() % 2 ? addr(2) : std::string("NIL")) + " NIL NIL \"<" + std::to_string(next()) +
       "@example.org>\") ";
  r += "BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" " +
       std::to_string(100 + next() % 5000) + " " + std::to_string(5 + next() % 100) +
       " NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"BASE64\" " +
       std::to_string(100 + next() % 9000) + " " + std::to_string(5 + next() % 100) +
       " NIL (\"inline\" NIL) NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"report-" +
       std::to_string(next() % 100) + ".pdf\") NIL NIL \"BASE64\" " +
       std::to_string(1000 + next() % 90000) +
       " NIL (\"attachment\" (\"FILENAME\" \"report.pdf\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" "
       "\"----=_Part_" +
       std::to_string(next()) + "\") NIL NIL NIL))\r\n";
  return r;
}

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

// Parses `wire`; returns the number of FETCH responses decoded (or -1 on error).
long parse(const std::string& wire) {
  response_parser p;
  long n = 0;
  std::error_code ec;
  fetch_message m;  // decoded into again and again, as client::fetch's on_message does
  for (std::size_t off = 0; off < wire.size(); off += 65536) {
    p.feed(std::string_view(wire).substr(off, 65536));
    for (;;) {
      auto ev = p.next(ec);
      if (ec) return -1;
      if (ev.kind == parser_event::type::need_more) break;
      if (ev.kind != parser_event::type::response) continue;
      const auto& r = p.get();
      if (r.name == "FETCH") {
        decode_fetch(r, m, ec);
        if (ec || !m.envelope || !m.body) return -1;
        ++n;
      }
    }
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--generate") == 0) {
    const unsigned n = argc > 3 ? static_cast<unsigned>(std::stoul(argv[3])) : 100000;
    std::FILE* f = std::fopen(argv[2], "wb");
    if (!f) return 2;
    for (unsigned i = 0; i < n; ++i) {
      const std::string r = make_response(i);
      std::fwrite(r.data(), 1, r.size(), f);
    }
    std::fputs("a1 OK Fetch completed\r\n", f);
    std::fclose(f);
    return 0;
  }
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
    std::fprintf(stderr,
                 "usage: bench_imap_parse [--many | --batch N] FILE [ROUNDS] | --generate FILE "
                 "[N]\n");
    return 2;
  }
  std::string wire = slurp(argv[a]);
  const int rounds = a + 1 < argc ? std::stoi(argv[a + 1]) : 3;
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
          out += "a" + std::to_string(tag++) + " OK done\r\n";
          in_batch = 0;
        }
      }
      pos = e + 2;
    }
    if (in_batch > 0) out += "a" + std::to_string(tag++) + " OK done\r\n";
    wire = std::move(out);
  }
  bench::warm_input(wire);  // untimed; see warm_input.hpp
  std::vector<double> rates;
  long n = 0;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = cpu_seconds();
    n = parse(wire);
    const double s = cpu_seconds() - t0;
    if (n < 0) {
      std::fprintf(stderr, "parse error\n");
      return 1;
    }
    rates.push_back(static_cast<double>(wire.size()) / 1e6 / s);
  }
  std::sort(rates.begin(), rates.end());
  const std::string name = batch == 0   ? std::string("imap-parse")
                           : batch == 1 ? std::string("imap-parse-many")
                                        : "imap-parse-batch" + std::to_string(batch);
  std::printf("RESULT %s mailproto %.1f MB/s\n", name.c_str(), rates[rates.size() / 2]);
  std::printf("# %ld FETCH responses, %.1f MB, median of %d rounds\n", n,
              static_cast<double>(wire.size()) / 1e6, rounds);
  return 0;
}
