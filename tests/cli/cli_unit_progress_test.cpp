// The progress bar of the `mailproto` tool (apps/mailproto/progress.hpp): when it draws,
// what a line says, and the counting wrappers around byte_source / byte_sink.
#include "progress.hpp"

#include <catch2/catch.hpp>

#include <mailproto/io.hpp>

#include <string>
#include <vector>

using cli::format_progress;
using cli::progress_meter;

TEST_CASE("progress: drawn only on a terminal, never with --json, unless MAILPROTO_PROGRESS says",
          "[cli][progress]") {
  CHECK(cli::progress_enabled(false, true, nullptr));
  CHECK_FALSE(cli::progress_enabled(false, false, nullptr));
  CHECK_FALSE(cli::progress_enabled(true, true, nullptr));
  CHECK(cli::progress_enabled(false, false, "always"));
  CHECK_FALSE(cli::progress_enabled(true, false, "always"));  // --json wins
  CHECK_FALSE(cli::progress_enabled(false, true, "never"));
  CHECK(cli::progress_enabled(false, true, "auto"));
  CHECK_FALSE(cli::progress_enabled(false, false, "auto"));
  CHECK(cli::progress_enabled(false, true, "bogus"));  // unknown = auto
}

TEST_CASE("progress: human-readable sizes", "[cli][progress]") {
  CHECK(cli::human_bytes(0) == "0 B");
  CHECK(cli::human_bytes(1023) == "1023 B");
  CHECK(cli::human_bytes(1024) == "1.00 KiB");
  CHECK(cli::human_bytes(1536) == "1.50 KiB");
  CHECK(cli::human_bytes(15.5 * 1024 * 1024) == "15.5 MiB");
  CHECK(cli::human_bytes(300.0 * 1024 * 1024) == "300 MiB");
  CHECK(cli::human_bytes(2.0 * 1024 * 1024 * 1024) == "2.00 GiB");
  CHECK(cli::human_bytes(9.999 * 1024 * 1024) == "10.0 MiB");  // rounded, not "10.00"
  CHECK(cli::human_bytes(99.99 * 1024) == "100 KiB");
}

TEST_CASE("progress: a line with a known total has a bar, a percentage and a rate",
          "[cli][progress]") {
  const std::uint64_t mib = 1024 * 1024;
  CHECK(format_progress("send", mib, 2 * mib, 2.0, 10) ==
        "send  [#####-----]   50%  1.00 MiB / 2.00 MiB  512 KiB/s");
  CHECK(format_progress("send", 0, 2 * mib, 0.0, 4) == "send  [----]    0%  0 B / 2.00 MiB");
  CHECK(format_progress("send", 2 * mib, 2 * mib, 1.0, 4) ==
        "send  [####]  100%  2.00 MiB / 2.00 MiB  2.00 MiB/s");
  // More bytes than announced (a POP3 LIST size is an estimate): capped at 100%.
  CHECK(format_progress("retr 1", 3 * mib, 2 * mib, 1.0, 4)
            .find("[####]  100%  2.00 MiB / 2.00 "
                  "MiB") != std::string::npos);
}

TEST_CASE("progress: without a total, the bytes so far and the rate", "[cli][progress]") {
  CHECK(format_progress("fetch 1:*", 3 * 1024 * 1024 / 2, std::nullopt, 3.0) ==
        "fetch 1:*  1.50 MiB  512 KiB/s");
}

namespace {
struct capture {
  std::vector<std::string> writes;
  progress_meter::writer writer() {
    return [this](std::string_view s) { writes.emplace_back(s); };
  }
  std::string all() const {
    std::string out;
    for (const auto& w : writes) out += w;
    return out;
  }
};
}  // namespace

TEST_CASE("progress: nothing is drawn for transfers up to 1 MiB", "[cli][progress]") {
  capture c;
  {
    progress_meter m("send", 1024 * 1024, true, c.writer());
    for (int i = 0; i < 16; ++i) m.add(64 * 1024);
    m.finish();
    CHECK(m.done() == 1024 * 1024);
    CHECK_FALSE(m.drawn());
  }
  CHECK(c.writes.empty());
}

TEST_CASE("progress: a large transfer redraws at most every 100 ms and ends with a newline",
          "[cli][progress]") {
  capture c;
  const auto t0 = progress_meter::clock::now();
  progress_meter m("send", 4 * 1024 * 1024, true, c.writer());
  m.add(1024 * 1024, t0);  // first chunk of a known-large transfer: drawn
  REQUIRE(c.writes.size() == 1);
  CHECK(c.writes[0].rfind("\rsend  [", 0) == 0);
  m.add(1024 * 1024, t0 + std::chrono::milliseconds(50));  // too soon
  CHECK(c.writes.size() == 1);
  m.add(1024 * 1024, t0 + std::chrono::milliseconds(200));
  REQUIRE(c.writes.size() == 2);
  CHECK(c.writes[1].find(" 75%") != std::string::npos);
  m.add(1024 * 1024, t0 + std::chrono::milliseconds(250));
  m.finish(t0 + std::chrono::milliseconds(260));
  REQUIRE(c.writes.size() == 4);
  CHECK(c.writes[2].find("100%  4.00 MiB / 4.00 MiB") != std::string::npos);
  CHECK(c.writes[3] == "\n");
  m.finish();  // idempotent
  CHECK(c.writes.size() == 4);
}

TEST_CASE("progress: with no total, the bar starts once 1 MiB went through", "[cli][progress]") {
  capture c;
  const auto t0 = progress_meter::clock::now();
  progress_meter m("fetch 1", std::nullopt, true, c.writer());
  m.add(1024 * 1024, t0);
  CHECK(c.writes.empty());  // exactly 1 MiB: not over it
  m.add(1, t0 + std::chrono::milliseconds(1));
  REQUIRE(c.writes.size() == 1);
  CHECK(c.writes[0].find("fetch 1  1.00 MiB") != std::string::npos);
}

TEST_CASE("progress: a shorter line pads over the previous one", "[cli][progress]") {
  capture c;
  const auto t0 = progress_meter::clock::now();
  progress_meter m("x", std::nullopt, true, c.writer());
  m.add(2000 * 1024 * 1024ull, t0 + std::chrono::seconds(1));  // "1.95 GiB  1.95 GiB/s"
  m.add(1, t0 + std::chrono::seconds(1'000'000'000));          // "... 2 B/s": shorter
  REQUIRE(c.writes.size() == 2);
  CHECK(c.writes[1].size() >= c.writes[0].size());
}

TEST_CASE("progress: disabled meters count but never write", "[cli][progress]") {
  capture c;
  progress_meter m("send", 8 * 1024 * 1024, false, c.writer());
  m.add(8 * 1024 * 1024);
  m.finish();
  CHECK(m.done() == 8 * 1024 * 1024);
  CHECK(c.writes.empty());
}

TEST_CASE("progress: counting_source passes bytes and size through and counts them",
          "[cli][progress]") {
  capture c;
  const std::string data(3 * 1024 * 1024 + 7, 'a');
  mailproto::string_source src(data);
  progress_meter m("send", src.size(), true, c.writer());
  cli::counting_source counted(src, m);
  REQUIRE(counted.size() == data.size());
  std::string copy;
  std::vector<char> buf(64 * 1024);
  std::error_code ec;
  for (std::size_t n; (n = counted.read(buf, ec)) > 0 && !ec;) copy.append(buf.data(), n);
  REQUIRE_FALSE(ec);
  m.finish();
  CHECK(copy == data);
  CHECK(m.done() == data.size());
  CHECK(c.all().find("100%") != std::string::npos);
  CHECK(c.all().back() == '\n');
}

TEST_CASE("progress: counting_sink passes bytes and errors through", "[cli][progress]") {
  capture c;
  std::string out;
  mailproto::string_sink inner(out, 10);  // fails past 10 bytes
  progress_meter m("retr 1", std::nullopt, true, c.writer());
  cli::counting_sink counted(inner, m);
  std::error_code ec;
  counted.write("0123456789", ec);
  REQUIRE_FALSE(ec);
  CHECK(m.done() == 10);
  counted.write("x", ec);
  CHECK(ec);
  CHECK(m.done() == 10);  // a refused chunk is not counted
  CHECK(out == "0123456789");
}
