// The transcript player: a scripted peer behind the net::transport interface.
//
// Theory of operation: the transcript's steps become a list of events — a server burst
// (consecutive S: lines), one expected client line, a TLS handshake, EOF, or a stall. The
// player walks the list: reads deliver the current burst (whole, bytewise or split), writes
// are appended to a pending buffer that is matched against the expected client lines in
// order. Anything out of place stops the player: `failure_` keeps the first message, and
// every later I/O fails with a testing::errc so the client under test stops too.
#include <mailproto/testing/player.hpp>

#include <asio/error.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>

namespace mailproto::testing {

std::string delivery::describe() const {
  switch (how) {
    case mode::whole:
      return "whole bursts";
    case mode::bytewise:
      return "one byte per read";
    case mode::split:
      return "bursts split after byte " + std::to_string(at);
  }
  return {};
}

std::vector<delivery> all_deliveries(const transcript& t) {
  std::vector<delivery> out{delivery::whole_bursts(), delivery::byte_by_byte()};
  const std::size_t n = t.longest_burst();
  for (std::size_t k = 1; k + 1 < n; ++k) out.push_back(delivery::split_at(k));
  return out;
}

struct player::state {
  struct event {
    step::kind type;
    std::string bytes;                // burst bytes / expected client bytes
    std::vector<std::string> pieces;  // client with <redacted>
    int line = 0;
    std::string source;
  };

  transcript script;
  delivery how;
  std::vector<event> events;
  std::size_t idx = 0;
  std::size_t burst_pos = 0;
  std::string pending;  // client bytes not yet matched
  std::string sent;
  std::string failure;
  std::errc dummy{};
  std::deque<std::string> secrets_expected;
  std::size_t reads = 0;
  bool open = false;
  bool tls = false;
  net::tls_info info;
  // A stalled read waits here until cancel/close.
  asio::any_io_executor stalled_ex;
  net::transport::handler stalled;

  void build() {
    for (const auto& s : script.steps()) {
      if (s.type == step::kind::server && !events.empty() &&
          events.back().type == step::kind::server) {
        events.back().bytes += s.bytes;
        continue;
      }
      events.push_back(event{s.type, s.bytes, s.pieces, s.line, s.source});
    }
  }

  std::string where(const event& e) const { return script.name() + ":" + std::to_string(e.line); }

  std::error_code fail(errc code, std::string msg) {
    if (failure.empty()) failure = std::move(msg);
    return make_error_code(code);
  }

  static std::string shown(std::string_view bytes) {
    std::string s = escape(bytes);
    if (s.size() > 300) s = s.substr(0, 300) + "...";
    return s;
  }

  std::string expected_text(const event& e) const {
    switch (e.type) {
      case step::kind::server:
        return "the server to send " + shown(e.bytes.substr(burst_pos));
      case step::kind::client:
        return "the client to send: " + e.source;
      case step::kind::tls:
        return "a TLS handshake";
      case step::kind::eof:
        return "the server to close the connection";
      case step::kind::stall:
        return "the server to stall";
    }
    return {};
  }

  bool only_eof_left() const {
    for (std::size_t i = idx; i < events.size(); ++i)
      if (events[i].type != step::kind::eof) return false;
    return true;
  }

  // Match pending client bytes against expected client lines.
  std::error_code match() {
    while (!pending.empty()) {
      if (idx >= events.size())
        return fail(
            errc::past_end,
            script.name() + ": the transcript has ended, but the client sent: " + shown(pending));
      const event& e = events[idx];
      if (e.type != step::kind::client)
        return fail(errc::mismatch, where(e) + ": expected " + expected_text(e) +
                                        "\n  but the client sent: " + shown(pending));
      if (e.pieces.empty()) {
        const std::size_t n = std::min(pending.size(), e.bytes.size());
        if (pending.compare(0, n, e.bytes, 0, n) != 0)
          return fail(errc::mismatch,
                      where(e) + ": expected C: " + shown(e.bytes) + "\n  but the client sent: " +
                          shown(pending.substr(0, std::max(n, pending.find('\n') + 1))));
        if (pending.size() < e.bytes.size()) return {};
        pending.erase(0, e.bytes.size());
        ++idx;
        continue;
      }
      // With secrets: literal pieces in order, each secret a non-empty run between them.
      const auto& p = e.pieces;
      const std::size_t n0 = std::min(pending.size(), p[0].size());
      if (pending.compare(0, n0, p[0], 0, n0) != 0)
        return fail(errc::mismatch, where(e) + ": expected C: " + e.source.substr(3) +
                                        "\n  but the client sent: " + shown(pending));
      if (pending.size() < p[0].size()) return {};
      std::size_t pos = p[0].size();
      std::vector<std::string> secrets;
      bool complete = true;
      for (std::size_t i = 1; i < p.size(); ++i) {
        // The secret is one non-empty run without CR or LF (a password, a SASL response) and
        // is always followed by a non-empty piece (the loader refuses anything else), so
        // the next piece starts somewhere in (pos, first CR/LF]. Take the first place where
        // the piece has arrived whole; wait while a place still matches what has arrived.
        const std::size_t eol = std::min(pending.find_first_of("\r\n", pos), pending.size());
        std::size_t found = std::string::npos;
        bool maybe = eol == pending.size();  // no line end yet: the secret may go on
        for (std::size_t at = pos + 1; at <= eol; ++at) {
          const std::size_t have = std::min(p[i].size(), pending.size() - at);
          if (pending.compare(at, have, p[i], 0, have) != 0) continue;
          if (have == p[i].size()) {
            found = at;
            break;
          }
          maybe = true;
        }
        if (found == std::string::npos) {
          if (maybe) {
            complete = false;
            break;
          }
          return fail(errc::mismatch, where(e) + ": expected C: " + e.source.substr(3) +
                                          "\n  but the client sent: " + shown(pending));
        }
        secrets.push_back(pending.substr(pos, found - pos));
        pos = found + p[i].size();
      }
      if (!complete) return {};
      for (const auto& s : secrets) {
        if (secrets_expected.empty()) continue;
        if (s != secrets_expected.front())
          return fail(errc::mismatch, where(e) + ": the secret sent differs from the expected one");
        secrets_expected.pop_front();
      }
      pending.erase(0, pos);
      ++idx;
    }
    return {};
  }
};

namespace {

class player_transport final : public net::transport {
 public:
  player_transport(std::shared_ptr<player::state> s, asio::any_io_executor ex)
      : s_(std::move(s)), ex_(std::move(ex)) {}

  asio::any_io_executor get_executor() override { return ex_; }

  void async_connect(handler h) override {
    s_->open = true;
    complete(std::move(h), {}, 0);
  }

  void async_read_some(asio::mutable_buffer buf, handler h) override {
    auto& s = *s_;
    ++s.reads;
    if (!s.failure.empty()) return complete(std::move(h), make_error_code(errc::mismatch), 0);
    if (!s.open) return complete(std::move(h), asio::error::not_connected, 0);
    if (s.idx >= s.events.size()) {
      return complete(
          std::move(h),
          s.fail(errc::past_end,
                 s.script.name() + ": the client reads after the end of the transcript"),
          0);
    }
    auto& e = s.events[s.idx];
    switch (e.type) {
      case step::kind::server: {
        std::size_t left = e.bytes.size() - s.burst_pos;
        std::size_t n = std::min(left, buf.size());
        if (s.how.how == delivery::mode::bytewise) n = std::min<std::size_t>(n, 1);
        if (s.how.how == delivery::mode::split && s.burst_pos < s.how.at)
          n = std::min(n, s.how.at - s.burst_pos);
        std::memcpy(buf.data(), e.bytes.data() + s.burst_pos, n);
        s.burst_pos += n;
        if (s.burst_pos == e.bytes.size()) {
          s.burst_pos = 0;
          ++s.idx;
        }
        return complete(std::move(h), {}, n);
      }
      case step::kind::eof:
        ++s.idx;
        return complete(std::move(h), asio::error::eof, 0);
      case step::kind::stall:
        s.stalled = std::move(h);
        s.stalled_ex = ex_;
        return;
      case step::kind::client:
      case step::kind::tls:
        return complete(
            std::move(h),
            s.fail(
                errc::unexpected_read,
                s.where(e) + ": the client waits for data, but the transcript expects " +
                    s.expected_text(e) +
                    (s.pending.empty() ? ""
                                       : "\n  (client sent so far: " + s.shown(s.pending) + ")")),
            0);
    }
  }

  void async_write(asio::const_buffer buf, handler h) override {
    auto& s = *s_;
    if (!s.failure.empty()) return complete(std::move(h), make_error_code(errc::mismatch), 0);
    if (!s.open) return complete(std::move(h), asio::error::not_connected, 0);
    std::string_view bytes(static_cast<const char*>(buf.data()), buf.size());
    s.sent.append(bytes);
    s.pending.append(bytes);
    auto ec = s.match();
    complete(std::move(h), ec, ec ? 0 : buf.size());
  }

  void async_tls_handshake(handler h) override {
    auto& s = *s_;
    if (!s.failure.empty()) return complete(std::move(h), make_error_code(errc::mismatch), 0);
    if (s.idx < s.events.size() && s.events[s.idx].type == step::kind::tls) {
      ++s.idx;
      s.info.active = true;
      s.info.verified = true;
      s.info.verify_result = "ok (transcript)";
      s.info.protocol = "transcript";
      return complete(std::move(h), {}, 0);
    }
    std::string what =
        s.idx < s.events.size() ? s.expected_text(s.events[s.idx]) : "nothing (it has ended)";
    if (s.idx < s.events.size() && s.events[s.idx].type == step::kind::server && s.burst_pos > 0)
      what += " (the client started TLS with server bytes still unread)";
    const int line = s.idx < s.events.size() ? s.events[s.idx].line : 0;
    complete(std::move(h),
             s.fail(errc::unexpected_tls,
                    s.script.name() + ":" + std::to_string(line) +
                        ": the client starts a TLS handshake, but the transcript expects " + what),
             0);
  }

  void async_tls_shutdown(handler h) override { complete(std::move(h), {}, 0); }

  void cancel() override {
    if (s_->stalled) {
      auto h = std::move(s_->stalled);
      s_->stalled = nullptr;
      complete(std::move(h), asio::error::operation_aborted, 0);
    }
  }

  void close() override {
    s_->open = false;
    cancel();
  }

  bool is_open() const override { return s_->open; }
  const net::tls_info& tls() const override { return s_->info; }

 private:
  void complete(handler h, std::error_code ec, std::size_t n) {
    asio::post(ex_, [h = std::move(h), ec, n]() mutable { h(ec, n); });
  }
  std::shared_ptr<player::state> s_;
  asio::any_io_executor ex_;
};

}  // namespace

player::player(transcript t, delivery d) : state_(std::make_shared<state>()) {
  state_->script = std::move(t);
  state_->how = d;
  state_->build();
}

player player::open(const std::string& path, delivery d) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (!fs::exists(p)) {
    if (const char* dir = std::getenv("MAILPROTO_TRANSCRIPTS_DIR");
        dir && fs::exists(fs::path(dir) / path))
      p = fs::path(dir) / path;
  }
  return player(transcript::load(p.string()), d);
}

net::transport_factory player::transport() {
  auto s = state_;
  return [s](asio::any_io_executor ex,
             const net::connect_options&) -> std::unique_ptr<net::transport> {
    return std::make_unique<player_transport>(s, std::move(ex));
  };
}

void player::expect_secret(std::string s) {
  state_->secrets_expected.push_back(std::move(s));
}

bool player::finished() const {
  return state_->failure.empty() && state_->pending.empty() && state_->only_eof_left();
}

const std::string& player::failure() const noexcept {
  return state_->failure;
}

std::string player::report() const {
  if (!state_->failure.empty()) return state_->failure;
  if (!state_->pending.empty()) return "unmatched client bytes: " + state::shown(state_->pending);
  if (!state_->only_eof_left()) {
    const auto& e = state_->events[state_->idx];
    return state_->where(e) + ": the player stopped here, still expecting " +
           state_->expected_text(e);
  }
  return "finished";
}

const std::string& player::sent() const noexcept {
  return state_->sent;
}
std::size_t player::reads() const noexcept {
  return state_->reads;
}
const transcript& player::script() const noexcept {
  return state_->script;
}
const delivery& player::how() const noexcept {
  return state_->how;
}

stream::stream(player& p, asio::any_io_executor ex)
    : ex_(ex), t_(p.transport()(ex, net::connect_options{})) {
  t_->async_connect([](std::error_code, std::size_t) {});
}

}  // namespace mailproto::testing
