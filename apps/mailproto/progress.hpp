// progress.hpp — a progress bar on stderr for large transfers (send, pop3 retr, imap fetch,
// imap append).
//
// The protocol clients stream messages through byte_source / byte_sink (mailproto/io.hpp);
// the tool wraps the one it hands over in a counting_source / counting_sink that reports
// each chunk to a progress_meter. The meter draws only when
//   - the transfer is over 1 MiB (its known total, or the bytes seen so far), and
//   - stderr is a terminal, and --json is not given,
// which MAILPROTO_PROGRESS overrides: "always" (draw even when stderr is not a terminal,
// as the tests do), "never" (never draw), "auto" or unset (the rule above). --json always
// wins: machine output gets no bar.
//
// Header-only so the unit tests (tests/cli) can check the formatter and the meter.
#pragma once

#include <mailproto/io.hpp>

#include <unistd.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cli {

/// Transfers above this size get a bar.
inline constexpr std::uint64_t progress_threshold = 1024 * 1024;

/// Whether a bar may be drawn at all: --json never; MAILPROTO_PROGRESS=`env` "always" /
/// "never"; otherwise when stderr is a terminal. An unknown value counts as "auto".
inline bool progress_enabled(bool json, bool stderr_is_tty, const char* env) {
  if (json) return false;
  if (env && std::strcmp(env, "always") == 0) return true;
  if (env && std::strcmp(env, "never") == 0) return false;
  return stderr_is_tty;
}

/// The same, from the process's own environment and stderr.
inline bool progress_enabled(bool json) {
  return progress_enabled(json, ::isatty(STDERR_FILENO) == 1, std::getenv("MAILPROTO_PROGRESS"));
}

/// "512 B", "1.5 KiB", "12.3 MiB", "2.00 GiB": binary units, three significant digits.
inline std::string human_bytes(double n) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%.0f %s", n, units[u]);
  else
    std::snprintf(buf, sizeof buf,
                  n < 9.995   ? "%.2f %s"
                  : n < 99.95 ? "%.1f %s"
                              : "%.0f %s",
                  n, units[u]);
  return buf;
}

/// One progress line (no CR, no newline), at most ~80 columns for a short label:
///   "retr 1  [##########----------]  50%  1.00 MiB / 2.00 MiB  512 KiB/s"
/// or, with no known total:
///   "fetch  1.50 MiB  768 KiB/s"
/// `done` above `total` shows as 100% (a POP3 LIST size may differ a little from RETR).
inline std::string format_progress(std::string_view label, std::uint64_t done,
                                   std::optional<std::uint64_t> total, double seconds,
                                   std::size_t bar_width = 20) {
  std::string out(label);
  if (total && *total > 0) {
    const std::uint64_t shown = done < *total ? done : *total;
    const double frac = static_cast<double>(shown) / static_cast<double>(*total);
    const auto filled = static_cast<std::size_t>(frac * static_cast<double>(bar_width));
    out += "  [" + std::string(filled, '#') + std::string(bar_width - filled, '-') + "]  ";
    char pct[8];
    std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(frac * 100));
    out += pct;
    out += "  " + human_bytes(static_cast<double>(shown)) + " / " +
           human_bytes(static_cast<double>(*total));
  } else {
    out += "  " + human_bytes(static_cast<double>(done));
  }
  if (seconds > 0.05) out += "  " + human_bytes(static_cast<double>(done) / seconds) + "/s";
  return out;
}

/// Counts bytes and redraws the bar (CR + line) at most every 100 ms on its output.
class progress_meter {
 public:
  using clock = std::chrono::steady_clock;
  using writer = std::function<void(std::string_view)>;

  /// `enabled`: see progress_enabled(). `total`: the size if known in advance.
  /// `out`: where lines go (default: stderr).
  progress_meter(std::string label, std::optional<std::uint64_t> total, bool enabled,
                 writer out = {})
      : label_(std::move(label)), total_(total), enabled_(enabled), out_(std::move(out)) {
    if (!out_)
      out_ = [](std::string_view s) {
        std::fwrite(s.data(), 1, s.size(), stderr);
        std::fflush(stderr);
      };
  }
  progress_meter(const progress_meter&) = delete;
  progress_meter& operator=(const progress_meter&) = delete;
  ~progress_meter() { finish(); }

  /// `n` more bytes went through at `now`.
  void add(std::uint64_t n, clock::time_point now = clock::now()) {
    done_ += n;
    if (!enabled_ || finished_) return;
    if (!large()) return;
    if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    draw(now);
  }

  /// End the bar: a last full line and a newline, if a bar was drawn.
  void finish(clock::time_point now = clock::now()) {
    if (finished_) return;
    finished_ = true;
    if (!enabled_ || !large()) return;
    draw(now);
    out_("\n");
  }

  std::uint64_t done() const { return done_; }
  bool drawn() const { return drawn_; }

 private:
  bool large() const {
    return (total_ && *total_ > progress_threshold) || done_ > progress_threshold;
  }
  void draw(clock::time_point now) {
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::string line = format_progress(label_, done_, total_, secs);
    // Pad over a longer previous line, so nothing stale stays on screen.
    const std::size_t len = line.size();
    if (len < last_len_) line.append(last_len_ - len, ' ');
    last_len_ = len;
    out_("\r" + line);
    drawn_ = true;
    last_ = now;
  }

  std::string label_;
  std::optional<std::uint64_t> total_;
  bool enabled_;
  writer out_;
  std::uint64_t done_ = 0;
  clock::time_point start_ = clock::now(), last_{};
  std::size_t last_len_ = 0;
  bool drawn_ = false, finished_ = false;
};

/// A byte_source that reports what is read from `inner` to `meter` (size() passes through).
class counting_source final : public mailproto::byte_source {
 public:
  counting_source(mailproto::byte_source& inner, progress_meter& meter)
      : inner_(inner), meter_(meter) {}
  std::size_t read(std::span<char> buf, std::error_code& ec) override {
    const std::size_t n = inner_.read(buf, ec);
    if (!ec) meter_.add(n);
    return n;
  }
  std::optional<std::uint64_t> size() const override { return inner_.size(); }

 private:
  mailproto::byte_source& inner_;
  progress_meter& meter_;
};

/// A byte_sink that reports what is written to `inner` to `meter`. finish() passes through
/// but does not end the bar (an IMAP FETCH of several messages finishes once per message):
/// the caller calls meter.finish() when the whole operation is over.
class counting_sink final : public mailproto::byte_sink {
 public:
  counting_sink(mailproto::byte_sink& inner, progress_meter& meter)
      : inner_(inner), meter_(meter) {}
  void write(std::string_view bytes, std::error_code& ec) override {
    inner_.write(bytes, ec);
    if (!ec) meter_.add(bytes.size());
  }
  void finish(std::error_code& ec) override { inner_.finish(ec); }

 private:
  mailproto::byte_sink& inner_;
  progress_meter& meter_;
};

}  // namespace cli
