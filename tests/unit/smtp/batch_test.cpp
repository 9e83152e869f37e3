// client::send_batch: several messages over one session, the end of one message's data in
// the same write as the next message's MAIL, RCPT and DATA (RFC 2920 §3.1), every reply
// matched in order; the per-message "nothing lost" rules. The transcripts are played with
// every delivery (whole, byte by byte, split at every byte of the longest burst), through
// the error_code, throwing and async (callback, use_future) forms; the write boundaries
// (what went out together) are checked too, not only the bytes.
#include "harness.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/use_future.hpp>

using namespace smtp_test;
using namespace mailproto;
namespace smtp = mailproto::smtp;

namespace {

// A transport that records each write the client makes (one entry per write call).
class recording_transport final : public net::transport {
 public:
  recording_transport(std::unique_ptr<net::transport> inner, std::vector<std::string>& writes)
      : inner_(std::move(inner)), writes_(writes) {}
  asio::any_io_executor get_executor() override { return inner_->get_executor(); }
  void async_connect(handler h) override { inner_->async_connect(std::move(h)); }
  void async_read_some(asio::mutable_buffer buf, handler h) override {
    inner_->async_read_some(buf, std::move(h));
  }
  std::size_t try_read(asio::mutable_buffer buf, std::error_code& ec) override {
    return inner_->try_read(buf, ec);
  }
  void async_write(asio::const_buffer buf, handler h) override {
    writes_.emplace_back(static_cast<const char*>(buf.data()), buf.size());
    inner_->async_write(buf, std::move(h));
  }
  std::size_t try_write(asio::const_buffer buf, std::error_code& ec) override {
    const std::size_t n = inner_->try_write(buf, ec);
    if (n > 0) writes_.emplace_back(static_cast<const char*>(buf.data()), n);
    return n;
  }
  void async_tls_handshake(handler h) override { inner_->async_tls_handshake(std::move(h)); }
  void async_tls_shutdown(handler h) override { inner_->async_tls_shutdown(std::move(h)); }
  void cancel() override { inner_->cancel(); }
  void close() override { inner_->close(); }
  bool is_open() const override { return inner_->is_open(); }
  const net::tls_info& tls() const override { return inner_->tls(); }

 private:
  std::unique_ptr<net::transport> inner_;
  std::vector<std::string>& writes_;
};

net::connect_options recording_server(testing::player& p, std::vector<std::string>& writes) {
  auto o = server(p);
  auto inner = o.transport;
  o.transport = [inner, &writes](asio::any_io_executor ex, const net::connect_options& c) {
    return std::make_unique<recording_transport>(inner(ex, c), writes);
  };
  return o;
}

std::string message(int n) {
  return "Subject: message " + std::to_string(n) + "\r\n\r\nbody " + std::to_string(n) + "\r\n";
}

smtp::envelope env_to(std::vector<smtp::recipient> r) {
  smtp::envelope e;
  e.from = "alice@example.test";
  e.recipients = std::move(r);
  return e;
}

// The group that starts a message: MAIL, RCPT..., DATA (RFC 2920 §3.1).
std::string group(const std::vector<std::string>& rcpts) {
  std::string g = "MAIL FROM:<alice@example.test>\r\n";
  for (const auto& r : rcpts) g += "RCPT TO:<" + r + ">\r\n";
  return g + "DATA\r\n";
}
std::string data(int n) {
  return message(n) + ".\r\n";
}

enum class form { error_code, throwing, callback, future, stream, stream_async };
const char* form_name(form f) {
  switch (f) {
    case form::error_code:
      return "error_code";
    case form::throwing:
      return "throwing";
    case form::callback:
      return "callback";
    case form::future:
      return "use_future";
    case form::stream:
      return "stream";
    case form::stream_async:
      return "stream async";
  }
  return "?";
}

struct outcome {
  std::error_code ec;
  std::vector<smtp::batch_result> results;
  std::vector<std::string> writes;  // after EHLO
  bool quit_ok = false;
};

using check_fn = std::function<void(const outcome&)>;

// The stream forms (send_batch with batch_next / batch_report): the messages come from two
// batch_message objects used in turn, as the API allows (at most two in flight): taking
// message i overwrites message i-2, which must have been reported. The results are put at
// their index; a message never taken (the session failed first) counts as the vector form
// reports it, net::errc::connection_unusable.
struct streamed {
  const std::vector<smtp::envelope>& envs;
  std::vector<string_source>& sources;
  smtp::batch_message ring[2];
  std::size_t taken = 0;
  std::vector<bool> reported;
  std::vector<smtp::batch_result> results;
  streamed(const std::vector<smtp::envelope>& e, std::vector<string_source>& s)
      : envs(e), sources(s), reported(e.size()), results(e.size()) {}
  smtp::batch_next next() {
    return [this]() -> const smtp::batch_message* {
      if (taken == envs.size()) return nullptr;
      const std::size_t i = taken++;
      if (i >= 2) CHECK(reported[i - 2]);  // its slot is about to be reused
      ring[i % 2] = {&sources[i], envs[i]};
      return &ring[i % 2];
    };
  }
  smtp::batch_report report() {
    return [this](std::size_t i, smtp::batch_result& r) {
      REQUIRE(i < taken);
      CHECK_FALSE(reported[i]);
      reported[i] = true;
      results[i] = std::move(r);
    };
  }
  // The outcome's results, once the batch returned `n` (the number taken).
  std::vector<smtp::batch_result> finish(std::size_t n, std::error_code ec) {
    CHECK(n == taken);
    if (!ec) CHECK(n == envs.size());
    for (std::size_t i = 0; i < envs.size(); ++i) {
      if (i < n) {
        CHECK(reported[i]);
      } else {
        CHECK_FALSE(reported[i]);
        results[i] = smtp::batch_result{make_error_code(net::errc::connection_unusable), {}};
      }
    }
    return std::move(results);
  }
};

// Play `name` with every delivery and every form: connect, send_batch(envs), QUIT when the
// session is still usable; `check` looks at the outcome.
void run_batch(const std::string& name, const std::vector<smtp::envelope>& envs,
               const check_fn& check, const smtp::send_options& so = {}) {
  auto script = testing::transcript::load(transcript_path(name));
  for (const auto& d : testing::all_deliveries(script)) {
    for (form f : {form::error_code, form::throwing, form::callback, form::future, form::stream,
                   form::stream_async}) {
      INFO(name << " via " << form_name(f) << ", " << d.describe());
      testing::player peer(script, d);
      outcome out;
      std::vector<std::string> writes;
      std::vector<string_source> sources;
      sources.reserve(envs.size());
      for (std::size_t i = 0; i < envs.size(); ++i)
        sources.push_back(string_source(message(static_cast<int>(i) + 1)));
      std::vector<smtp::batch_message> msgs;
      for (std::size_t i = 0; i < envs.size(); ++i) msgs.push_back({&sources[i], envs[i]});

      asio::io_context ctx;
      std::unique_ptr<smtp::client> c;
      const bool async = f == form::callback || f == form::future || f == form::stream_async;
      if (async)
        c = std::make_unique<smtp::client>(ctx.get_executor(), test_options());
      else
        c = std::make_unique<smtp::client>(test_options());
      std::error_code ec;
      if (async) {
        bool called = false;
        c->async_connect(recording_server(peer, writes), [&](std::error_code e) {
          called = true;
          ec = e;
        });
        ctx.run();
        REQUIRE(called);
      } else {
        c->connect(recording_server(peer, writes), ec);
      }
      REQUIRE(ec == std::error_code{});
      writes.clear();  // EHLO

      switch (f) {
        case form::error_code:
          out.results = c->send_batch(msgs, so, out.ec);
          break;
        case form::throwing:
          try {
            out.results = c->send_batch(msgs, so);
          } catch (const smtp::batch_error& e) {
            out.ec = e.code();
            out.results = e.results();
            CHECK(e.reply().code == c->last_reply().code);
          }
          break;
        case form::callback: {
          bool called = false;
          c->async_send_batch(msgs, so, [&](std::error_code e, std::vector<smtp::batch_result> r) {
            called = true;
            out.ec = e;
            out.results = std::move(r);
          });
          ctx.restart();
          ctx.run();
          REQUIRE(called);
          break;
        }
        case form::future: {
          auto fut = c->async_send_batch(msgs, so, asio::use_future);
          ctx.restart();
          ctx.run();
          try {
            out.results = fut.get();
          } catch (const std::system_error& e) {
            out.ec = e.code();
          }
          break;
        }
        case form::stream: {
          streamed st(envs, sources);
          const std::size_t n = c->send_batch(st.next(), st.report(), so, out.ec);
          out.results = st.finish(n, out.ec);
          break;
        }
        case form::stream_async: {
          streamed st(envs, sources);
          bool called = false;
          std::size_t n = 0;
          c->async_send_batch(st.next(), st.report(), so, [&](std::error_code e, std::size_t k) {
            called = true;
            out.ec = e;
            n = k;
          });
          ctx.restart();
          ctx.run();
          REQUIRE(called);
          out.results = st.finish(n, out.ec);
          break;
        }
      }
      if (c->usable()) {
        std::error_code qec;
        if (async) {
          c->async_quit([&](std::error_code e) { qec = e; });
          ctx.restart();
          ctx.run();
        } else {
          c->quit(qec);
        }
        out.quit_ok = !qec;
      }
      out.writes = writes;
      // use_future turns an error into an exception: the results are then not delivered.
      if (f == form::future && out.ec) {
        CHECK(error_name(out.ec) == peer.script().expected_error());
      } else {
        check(out);
      }
      INFO(peer.report());
      CHECK(peer.finished());
    }
  }
}

// A session with PIPELINING, up to the end of message 1's data (its final reply still to
// come): how the cancel and stream tests begin.
const std::string pipelined_message_1 =
    "S: 220 mx ESMTP\nC: EHLO client.example.test\nS: 250-mx\nS: 250 PIPELINING\n"
    "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
    "S: 250 ok\nS: 250 ok\nS: 354 go\n"
    "C: Subject: message 1\nC: \nC: body 1\nC: .\n";

// Message 2's group goes out with message 1's end; message 1 is queued, then the server
// goes silent (the cancel tests).
const std::string stall_after_message_1 =
    pipelined_message_1 +
    "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
    "S: 250 queued as Q1\n@stall\n";

// Connect `c` (on `ctx`) to the transcript player, asynchronously.
void connect_async(smtp::client& c, asio::io_context& ctx, testing::player& peer) {
  std::error_code ec;
  c.async_connect(server(peer), [&](std::error_code e) { ec = e; });
  ctx.run();
  REQUIRE_FALSE(ec);
}

// Run `ctx` until the batch waits on the stalled server (not finished), then cancel it
// through `sig` and run it out.
void cancel_at_stall(asio::io_context& ctx, asio::cancellation_signal& sig, const bool& called) {
  ctx.restart();
  for (int i = 0; i < 100 && !called; ++i) ctx.poll();
  REQUIRE_FALSE(called);
  sig.emit(asio::cancellation_type::terminal);
  ctx.run();
  REQUIRE(called);
}

void check_sent(const smtp::batch_result& r, const std::string& queue_id) {
  CHECK(r.error == std::error_code{});
  CHECK(r.result.delivered);
  CHECK(r.result.final_reply.code == 250);
  CHECK(r.result.final_reply.enhanced == "2.0.0");
  CHECK(r.result.final_reply.text() == "Ok: queued as " + queue_id);
}

}  // namespace

TEST_CASE("smtp batch: three messages, the end of each in the next one's group",
          "[smtp][batch][transcript]") {
  const auto bob = env_to({"bob@example.test"});
  run_batch("batch-pipelined.txt", {bob, bob, bob}, [](const outcome& o) {
    CHECK(o.ec == std::error_code{});
    REQUIRE(o.results.size() == 3);
    check_sent(o.results[0], "Q1");
    check_sent(o.results[1], "Q2");
    check_sent(o.results[2], "Q3");
    for (const auto& r : o.results) {
      CHECK(r.result.mail_reply.code == 250);
      REQUIRE(r.result.recipients.size() == 1);
      CHECK(r.result.recipients[0].accepted);
    }
    // One write per round trip: the group, then each message's end with the next group.
    const auto g = group({"bob@example.test"});
    CHECK(o.writes == std::vector<std::string>{g, data(1) + g, data(2) + g, data(3), "QUIT\r\n"});
    CHECK(o.quit_ok);
  });
}

TEST_CASE("smtp batch: a recipient of the middle message refused, the others go",
          "[smtp][batch][transcript]") {
  const auto bob = env_to({"bob@example.test"});
  run_batch(
      "batch-rejected-rcpt.txt", {bob, env_to({"nobody@elsewhere.test", "bob@example.test"}), bob},
      [](const outcome& o) {
        CHECK(o.ec == std::error_code{});
        REQUIRE(o.results.size() == 3);
        check_sent(o.results[0], "Q1");
        check_sent(o.results[1], "Q2");
        check_sent(o.results[2], "Q3");
        const auto& r = o.results[1].result;
        REQUIRE(r.recipients.size() == 2);
        CHECK_FALSE(r.recipients[0].accepted);
        CHECK(r.recipients[0].reply.code == 550);
        CHECK(r.recipients[0].reply.enhanced == "5.1.1");
        CHECK(r.recipients[1].accepted);
        CHECK(r.accepted() == 1);
        const auto g = group({"bob@example.test"});
        CHECK(o.writes == std::vector<std::string>{
                              g, data(1) + group({"nobody@elsewhere.test", "bob@example.test"}),
                              data(2) + g, data(3), "QUIT\r\n"});
        CHECK(o.quit_ok);
      });
}

TEST_CASE("smtp batch: every recipient of the middle message refused: RSET, then the next",
          "[smtp][batch][transcript]") {
  const auto bob = env_to({"bob@example.test"});
  run_batch(
      "batch-all-rejected.txt", {bob, env_to({"nobody@elsewhere.test"}), bob},
      [](const outcome& o) {
        CHECK(o.ec == std::error_code{});
        REQUIRE(o.results.size() == 3);
        check_sent(o.results[0], "Q1");
        CHECK(o.results[1].error == smtp::errc::all_recipients_rejected);
        CHECK(o.results[1].error == condition::permanent);
        CHECK_FALSE(o.results[1].result.delivered);
        CHECK(o.results[1].result.recipients.at(0).reply.code == 550);
        check_sent(o.results[2], "Q3");
        const auto g = group({"bob@example.test"});
        CHECK(o.writes == std::vector<std::string>{g, data(1) + group({"nobody@elsewhere.test"}),
                                                   "RSET\r\n", g, data(3), "QUIT\r\n"});
        CHECK(o.quit_ok);
      });
}

TEST_CASE("smtp batch: 554 after the middle message's data, the next one still goes",
          "[smtp][batch][transcript]") {
  const auto bob = env_to({"bob@example.test"});
  run_batch("batch-data-554.txt", {bob, bob, bob}, [](const outcome& o) {
    CHECK(o.ec == std::error_code{});
    REQUIRE(o.results.size() == 3);
    check_sent(o.results[0], "Q1");
    CHECK(o.results[1].error == smtp::make_reply_error(554));
    CHECK(o.results[1].error == condition::permanent);
    CHECK_FALSE(o.results[1].result.delivered);
    CHECK(o.results[1].result.final_reply.code == 554);
    CHECK(o.results[1].result.recipients.at(0).accepted);
    check_sent(o.results[2], "Q3");
    CHECK(o.quit_ok);
  });
}

TEST_CASE("smtp batch: 421 mid-batch: the queued one is sent, the rest are not",
          "[smtp][batch][transcript][nothing-lost]") {
  const auto bob = env_to({"bob@example.test"});
  run_batch("batch-421.txt", {bob, bob, bob}, [](const outcome& o) {
    CHECK(o.ec == smtp::errc::service_closing);
    REQUIRE(o.results.size() == 3);
    check_sent(o.results[0], "Q1");
    CHECK(o.results[1].error == smtp::errc::service_closing);
    CHECK_FALSE(o.results[1].result.delivered);
    CHECK(o.results[2].error == net::errc::connection_unusable);
    CHECK_FALSE(o.results[2].result.delivered);
    CHECK_FALSE(o.quit_ok);
  });
}

TEST_CASE("smtp batch: without PIPELINING nothing is grouped", "[smtp][batch][transcript]") {
  const auto bob = env_to({"bob@example.test"});
  run_batch("batch-no-pipelining.txt", {bob, bob}, [](const outcome& o) {
    CHECK(o.ec == std::error_code{});
    REQUIRE(o.results.size() == 2);
    CHECK(o.results[0].result.delivered);
    CHECK(o.results[1].result.delivered);
    CHECK(o.results[1].result.final_reply.text() == "queued as Q2");
    CHECK(o.writes.size() == 9);  // MAIL, RCPT, DATA, data: twice; QUIT
    CHECK(o.quit_ok);
  });
}

namespace {
// Nothing-lost cases built inline: the connection drops at each point of the second
// message's exchange.
const std::string greet =
    "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\nS: 250-mx.example.test\n"
    "S: 250 PIPELINING\n"
    "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
    "S: 250 ok\nS: 250 ok\nS: 354 go\n"
    "C: Subject: message 1\nC: \nC: body 1\nC: .\n"
    "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n";

std::vector<smtp::batch_result> play_inline(const std::string& text, std::error_code& ec) {
  auto script = testing::transcript::parse(text, "batch-inline");
  testing::player peer(script, testing::delivery::whole_bursts());
  smtp::client c(test_options());
  c.connect(server(peer));
  string_source s1(message(1)), s2(message(2)), s3(message(3));
  const auto bob = env_to({"bob@example.test"});
  std::vector<smtp::batch_message> msgs{{&s1, bob}, {&s2, bob}, {&s3, bob}};
  auto r = c.send_batch(msgs, ec);
  INFO(peer.report());
  CHECK(peer.failure().empty());
  CHECK_FALSE(c.usable());
  return r;
}
}  // namespace

TEST_CASE("smtp batch nothing lost: a drop before the first final reply loses nothing",
          "[smtp][batch][nothing-lost]") {
  for (const std::string cut : {"", "S: 250 queued\\\n"}) {
    INFO("cut after '" << cut << "'");
    std::error_code ec;
    auto r = play_inline(greet + cut + "@eof\n", ec);
    CHECK(ec == net::errc::connection_closed);
    REQUIRE(r.size() == 3);
    for (const auto& m : r) CHECK_FALSE(m.result.delivered);
    CHECK(r[0].error == net::errc::connection_closed);
    CHECK(r[1].error == net::errc::connection_closed);
    CHECK(r[2].error == net::errc::connection_unusable);
  }
}

TEST_CASE("smtp batch nothing lost: a drop after the first final reply keeps it sent",
          "[smtp][batch][nothing-lost]") {
  for (const std::string after : {"", "S: 250 ok\n", "S: 250 ok\nS: 250 ok\nS: 354 go\n"}) {
    INFO("then '" << after << "'");
    std::string text = greet + "S: 250 queued as Q1\n" + after;
    if (after.find("354") != std::string::npos)
      text +=
          "C: Subject: message 2\nC: \nC: body 2\nC: .\nC: MAIL FROM:<alice@example.test>\nC: RCPT "
          "TO:<bob@example.test>\nC: DATA\n";
    std::error_code ec;
    auto r = play_inline(text + "@eof\n", ec);
    CHECK(ec == net::errc::connection_closed);
    REQUIRE(r.size() == 3);
    CHECK(r[0].error == std::error_code{});
    CHECK(r[0].result.delivered);
    CHECK(r[0].result.final_reply.text() == "queued as Q1");
    CHECK_FALSE(r[1].result.delivered);
    CHECK(r[1].error == net::errc::connection_closed);
    CHECK_FALSE(r[2].result.delivered);
  }
}

TEST_CASE("smtp batch: a message that fails its checks is skipped, nothing of it sent",
          "[smtp][batch]") {
  // The second envelope has no recipient: refused before anything is sent; the first and
  // third go out as if it were not there (the third's group with the first one's end).
  auto script = testing::transcript::parse(
      "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\nS: 250-mx.example.test\n"
      "S: 250 PIPELINING\n"
      "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
      "S: 250 ok\nS: 250 ok\nS: 354 go\n"
      "C: Subject: message 1\nC: \nC: body 1\nC: .\n"
      "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
      "S: 250 queued as Q1\nS: 250 ok\nS: 250 ok\nS: 354 go\n"
      "C: Subject: message 3\nC: \nC: body 3\nC: .\nS: 250 queued as Q3\n",
      "batch-skip");
  testing::player peer(script);
  smtp::client c(test_options());
  c.connect(server(peer));
  string_source s1(message(1)), s2(message(2)), s3(message(3));
  const auto bob = env_to({"bob@example.test"});
  std::vector<smtp::batch_message> msgs{{&s1, bob}, {&s2, env_to({})}, {&s3, bob}, {nullptr, bob}};
  std::error_code ec;
  auto r = c.send_batch(msgs, ec);
  INFO(peer.report());
  CHECK(peer.finished());
  CHECK(ec == std::error_code{});
  REQUIRE(r.size() == 4);
  CHECK(r[0].result.delivered);
  CHECK(r[1].error == smtp::errc::no_recipients);
  CHECK(r[2].result.delivered);
  CHECK(r[2].result.final_reply.text() == "queued as Q3");
  CHECK(r[3].error == std::errc::invalid_argument);
  CHECK(c.usable());
}

TEST_CASE("smtp batch: an empty batch and a batch before connect", "[smtp][batch]") {
  smtp::client c(test_options());
  std::error_code ec;
  CHECK(c.send_batch({}, ec).empty());
  CHECK(ec == std::error_code{});
  string_source s(message(1));
  std::vector<smtp::batch_message> msgs{{&s, env_to({"bob@example.test"})}};
  auto r = c.send_batch(msgs, ec);
  CHECK(ec == smtp::errc::not_ready);
  REQUIRE(r.size() == 1);
  CHECK(r[0].error == smtp::errc::not_ready);
  CHECK_THROWS_AS(c.send_batch(msgs), smtp::batch_error);
}

TEST_CASE("smtp batch async: cancelling a batch keeps what was sent, the rest is not",
          "[smtp][batch][async]") {
  // The server queues the first message, then goes silent: the caller cancels.
  auto script = testing::transcript::parse(stall_after_message_1, "batch-cancel");
  testing::player peer(script);
  asio::io_context ctx;
  smtp::client c(ctx.get_executor(), test_options());
  connect_async(c, ctx, peer);
  std::error_code ec;
  string_source s1(message(1)), s2(message(2)), s3(message(3));
  const auto bob = env_to({"bob@example.test"});
  std::vector<smtp::batch_message> msgs{{&s1, bob}, {&s2, bob}, {&s3, bob}};
  asio::cancellation_signal sig;
  bool called = false;
  std::vector<smtp::batch_result> results;
  c.async_send_batch(
      msgs, asio::bind_cancellation_slot(sig.slot(),
                                         [&](std::error_code e, std::vector<smtp::batch_result> r) {
                                           called = true;
                                           ec = e;
                                           results = std::move(r);
                                         }));
  cancel_at_stall(ctx, sig, called);
  CHECK(ec == net::errc::cancelled);
  REQUIRE(results.size() == 3);
  CHECK(results[0].error == std::error_code{});
  CHECK(results[0].result.delivered);
  CHECK(results[1].error == net::errc::cancelled);
  CHECK_FALSE(results[1].result.delivered);
  CHECK(results[2].error == net::errc::connection_unusable);
  CHECK_FALSE(c.usable());
  INFO(peer.report());
  CHECK(peer.failure().empty());
}

TEST_CASE("smtp batch stream: a message that fails its checks is reported, two in flight at most",
          "[smtp][batch][stream]") {
  // As in the vector form, but the third message is not taken while the first is in flight
  // (its slot would be reused): it starts once the first one's final reply came.
  auto script = testing::transcript::parse(
      "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\nS: 250-mx.example.test\n"
      "S: 250 PIPELINING\n"
      "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
      "S: 250 ok\nS: 250 ok\nS: 354 go\n"
      "C: Subject: message 1\nC: \nC: body 1\nC: .\nS: 250 queued as Q1\n"
      "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
      "S: 250 ok\nS: 250 ok\nS: 354 go\n"
      "C: Subject: message 3\nC: \nC: body 3\nC: .\nS: 250 queued as Q3\n",
      "batch-stream-skip");
  testing::player peer(script);
  smtp::client c(test_options());
  c.connect(server(peer));
  std::vector<smtp::envelope> envs{env_to({"bob@example.test"}), env_to({}),
                                   env_to({"bob@example.test"})};
  std::vector<string_source> sources;
  for (int i = 1; i <= 3; ++i) sources.emplace_back(message(i));
  streamed st(envs, sources);
  std::vector<std::size_t> order;
  auto report = st.report();
  std::error_code ec;
  const std::size_t n = c.send_batch(
      st.next(),
      [&](std::size_t i, smtp::batch_result& r) {
        order.push_back(i);
        report(i, r);
      },
      ec);
  INFO(peer.report());
  CHECK(peer.finished());
  CHECK(ec == std::error_code{});
  auto r = st.finish(n, ec);
  REQUIRE(r.size() == 3);
  CHECK(r[0].result.delivered);
  CHECK(r[1].error == smtp::errc::no_recipients);
  CHECK(r[2].result.final_reply.text() == "queued as Q3");
  CHECK(order == std::vector<std::size_t>{1, 0, 2});  // as each outcome became known
  CHECK(c.usable());
}

TEST_CASE("smtp batch stream: a callback that throws ends the batch, the session stays usable",
          "[smtp][batch][stream]") {
  // Message 1 goes; taking message 2 throws: message 1's end goes out alone, its reply is
  // read, and the exception comes out of send_batch with the session at rest.
  const std::string head = pipelined_message_1 + "S: 250 queued as Q1\n";
  string_source s1(message(1));
  const smtp::batch_message m1{&s1, env_to({"bob@example.test"})};
  SECTION("next throws") {
    auto script = testing::transcript::parse(head + "C: NOOP\nS: 250 ok\n", "stream-throw");
    testing::player peer(script);
    smtp::client c(test_options());
    c.connect(server(peer));
    int calls = 0;
    std::vector<std::size_t> reported;
    std::error_code ec;
    CHECK_THROWS_WITH(c.send_batch(
                          [&]() -> const smtp::batch_message* {
                            if (calls++ == 0) return &m1;
                            throw std::runtime_error("no more today");
                          },
                          [&](std::size_t i, smtp::batch_result& r) {
                            CHECK(r.result.delivered);
                            reported.push_back(i);
                          },
                          ec),
                      "no more today");
    CHECK(reported == std::vector<std::size_t>{0});
    CHECK(calls == 2);
    REQUIRE(c.usable());
    c.noop();
    INFO(peer.report());
    CHECK(peer.finished());
  }
  SECTION("report throws, async: cancelled, nothing further taken, all taken reported") {
    // Message 1's end and message 2's group go together; the throw comes at message 1's
    // result, message 2 still finishes (unreported), nothing further is taken.
    auto script = testing::transcript::parse(
        pipelined_message_1 +
            "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\n"
            "S: 250 queued as Q1\nS: 250 ok\nS: 250 ok\nS: 354 go\n"
            "C: Subject: message 2\nC: \nC: body 2\nC: .\nS: 250 queued as Q2\n"
            "C: NOOP\nS: 250 ok\n",
        "stream-throw-async");
    testing::player peer(script);
    asio::io_context ctx;
    smtp::client c(ctx.get_executor(), test_options());
    connect_async(c, ctx, peer);
    std::error_code ec;
    string_source s2(message(2));
    const smtp::batch_message m2{&s2, env_to({"bob@example.test"})};
    int calls = 0;
    std::size_t taken = 99;
    std::vector<std::size_t> reported;
    c.async_send_batch(
        [&]() -> const smtp::batch_message* {
          ++calls;
          return calls == 1 ? &m1 : calls == 2 ? &m2 : nullptr;
        },
        [&](std::size_t i, smtp::batch_result& r) {
          reported.push_back(i);
          CHECK(r.result.delivered);
          throw std::runtime_error("disk full");
        },
        [&](std::error_code e, std::size_t n) {
          ec = e;
          taken = n;
        });
    ctx.restart();
    ctx.run();
    // Message 2 was taken with message 1's end (pipelined) and is finished; none after it.
    CHECK(ec == net::errc::cancelled);
    CHECK(taken == 2);
    CHECK(calls == 2);
    CHECK(reported == std::vector<std::size_t>{0, 1});  // message 2 is still reported
    REQUIRE(c.usable());
    c.async_noop([&](std::error_code e) { ec = e; });
    ctx.restart();
    ctx.run();
    CHECK_FALSE(ec);
    INFO(peer.report());
    CHECK(peer.finished());
  }
}

TEST_CASE("smtp batch stream: nothing to send, and before connect", "[smtp][batch][stream]") {
  smtp::client c(test_options());
  std::error_code ec;
  int reports = 0;
  auto count = [&](std::size_t, smtp::batch_result&) { ++reports; };
  CHECK(c.send_batch([]() -> const smtp::batch_message* { return nullptr; }, count, ec) == 0);
  CHECK(ec == std::error_code{});
  string_source s(message(1));
  const smtp::batch_message m{&s, env_to({"bob@example.test"})};
  int calls = 0;
  auto once = [&]() -> const smtp::batch_message* { return calls++ == 0 ? &m : nullptr; };
  CHECK(c.send_batch(once, count, ec) == 1);  // taken, failed at once, nothing more taken
  CHECK(ec == smtp::errc::not_ready);
  CHECK(reports == 1);
  CHECK(calls == 1);
  calls = 0;
  CHECK_THROWS_AS(c.send_batch(once, count), mailproto::error);
}

TEST_CASE("smtp batch stream async: cancelling keeps what was sent and reports the rest",
          "[smtp][batch][stream][async]") {
  // As the vector form's cancel test: message 1 is queued, the server goes silent with
  // message 2's group on the wire, the caller cancels. Message 3 is never taken.
  auto script = testing::transcript::parse(stall_after_message_1, "batch-stream-cancel");
  testing::player peer(script);
  asio::io_context ctx;
  smtp::client c(ctx.get_executor(), test_options());
  connect_async(c, ctx, peer);
  std::error_code ec;
  std::vector<smtp::envelope> envs(3, env_to({"bob@example.test"}));
  std::vector<string_source> sources;
  for (int i = 1; i <= 3; ++i) sources.emplace_back(message(i));
  streamed st(envs, sources);
  asio::cancellation_signal sig;
  bool called = false;
  std::size_t n = 0;
  c.async_send_batch(
      st.next(), st.report(),
      asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, std::size_t k) {
        called = true;
        ec = e;
        n = k;
      }));
  cancel_at_stall(ctx, sig, called);
  CHECK(ec == net::errc::cancelled);
  CHECK(n == 2);
  auto r = st.finish(n, ec);
  CHECK(r[0].result.delivered);
  CHECK(r[1].error == net::errc::cancelled);
  CHECK_FALSE(r[1].result.delivered);
  CHECK(r[2].error == net::errc::connection_unusable);  // never taken
  CHECK_FALSE(c.usable());
  INFO(peer.report());
  CHECK(peer.failure().empty());
}
