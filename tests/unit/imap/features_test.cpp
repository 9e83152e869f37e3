// Transcript tests of the later IMAP features: pipelining (RFC 9051 §5.5, client::pipeline
// with a command_batch: the player fails on a read where the client should write, and a
// recording transport around the player proves the commands go out in ONE write and that a
// command using sequence numbers after an EXPUNGE-permitting one waits), SELECT with
// QRESYNC / CONDSTORE (RFC 7162), APPEND UTF8 (RFC 6855), fetch_mime (BODY.PEEK[] parsed
// locally) and a body too large without a sink (body_not_stored, not fatal).
#include <mailproto/imap/client.hpp>

#include <mailproto/net/transport.hpp>
#include <mailproto/testing/player.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <thread>

using namespace mailproto;
using namespace mailproto::imap;
using namespace std::chrono_literals;

namespace {

const std::string dir = std::string(MAILPROTO_TESTS_DIR) + "/transcripts/imap/";

// Forwards to the player's transport and keeps every write the client makes, whole.
class recording_transport final : public net::transport {
 public:
  recording_transport(std::unique_ptr<net::transport> inner, std::vector<std::string>& writes)
      : inner_(std::move(inner)), writes_(writes) {}
  asio::any_io_executor get_executor() override { return inner_->get_executor(); }
  void async_connect(handler h) override { inner_->async_connect(std::move(h)); }
  void async_read_some(asio::mutable_buffer b, handler h) override {
    inner_->async_read_some(b, std::move(h));
  }
  std::size_t try_read(asio::mutable_buffer b, std::error_code& ec) override {
    return inner_->try_read(b, ec);
  }
  void async_write(asio::const_buffer b, handler h) override {
    writes_.emplace_back(static_cast<const char*>(b.data()), b.size());
    inner_->async_write(b, std::move(h));
  }
  // no try_write: every write goes through async_write whole, so it is recorded as one
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

template <class Body>
void play_recorded(const std::string& file, Body body, client_options base = {}) {
  const auto t = testing::transcript::load(dir + file);
  const auto deliveries = testing::all_deliveries(t);
  for (int mode = 0; mode < 2; ++mode) {
    std::size_t n = 0;
    for (const auto& d : deliveries) {
      if (mode == 1 && n++ >= 4) break;
      testing::player peer(t, d);
      std::vector<std::string> writes;
      client_options o = base;
      o.net.host = "mail.example.test";
      o.net.port = 993;
      o.net.tls = net::tls_mode::implicit;
      o.net.io_timeout = 2s;
      o.net.connect_timeout = 2s;
      o.net.transport = [inner = peer.transport(), &writes](asio::any_io_executor ex,
                                                            const net::connect_options& co) {
        return std::unique_ptr<net::transport>(
            std::make_unique<recording_transport>(inner(ex, co), writes));
      };
      INFO(file << " — " << d.describe() << (mode ? " (async driver)" : " (sync)"));
      if (mode == 0) {
        client c;
        body(c, o, writes);
      } else {
        asio::io_context io;
        auto work = asio::make_work_guard(io);
        std::thread th([&io] { io.run(); });
        {
          client c(io.get_executor());
          body(c, o, writes);
        }
        work.reset();
        th.join();
      }
      INFO(peer.report());
      REQUIRE(peer.finished());
    }
  }
}

}  // namespace

TEST_CASE("imap pipeline: FETCH/STORE/SEARCH/STATUS in one write, answers matched by tag",
          "[imap][transcript][pipeline]") {
  play_recorded("pipeline-batch.txt", [](client& c, const client_options& o,
                                         std::vector<std::string>& writes) {
    c.connect(o);
    c.select("INBOX");
    command_batch b;
    b.fetch(sequence_set::range(1, 2), fetch_items{}.uid().flags())
        .store(sequence_set::single(2), store_mode::add, {"\\Seen"})
        .search(search_key::unseen())
        .status("Archive", status_messages)
        .status("Missing", status_messages);
    fetch_options uf;
    uf.uid = true;
    std::vector<std::uint32_t> seen_by_callback;
    uf.on_message = [&](fetch_message& m) { seen_by_callback.push_back(m.uid.value_or(0)); };
    b.fetch(sequence_set::single(10), fetch_items{}.flags(), uf)
        .fetch(sequence_set::single(5), fetch_items{}.uid());
    const std::size_t before = writes.size();
    auto r = c.pipeline(std::move(b));
    // The first five commands and the UID FETCH in one write; the sequence-number FETCH
    // after the (EXPUNGE-permitting) STATUS / UID FETCH in a second one.
    REQUIRE(writes.size() == before + 2);
    CHECK(writes[before] ==
          "a2 FETCH 1:2 (UID FLAGS)\r\na3 STORE 2 +FLAGS (\\Seen)\r\n"
          "a4 SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN\r\na5 STATUS Archive (MESSAGES)\r\n"
          "a6 STATUS Missing (MESSAGES)\r\na7 UID FETCH 10 FLAGS\r\n");
    CHECK(writes[before + 1] == "a8 FETCH 5 UID\r\n");
    REQUIRE(r.size() == 7);
    CHECK(!r[0].error);
    REQUIRE(r[0].messages.size() == 2);
    CHECK(r[0].messages[0].uid == 10u);
    CHECK(r[0].messages[1].uid == 11u);
    REQUIRE(r[1].messages.size() == 1);  // the STORE's FETCH went to the STORE
    CHECK(r[1].messages[0].seq == 2u);
    CHECK(!r[1].messages[0].uid);
    REQUIRE(r[2].search);
    CHECK(r[2].search->ids == std::vector<std::uint32_t>{2, 4, 5});
    CHECK(r[2].search->count == 3u);
    REQUIRE(r[3].status);
    CHECK(r[3].status->messages == 40u);
    CHECK(r[4].error == errc::no);
    CHECK(r[4].reply.enhanced == "NONEXISTENT");
    CHECK(!r[4].status);
    CHECK(r[5].messages.empty());  // delivered to on_message instead
    CHECK(seen_by_callback == std::vector<std::uint32_t>{10});
    REQUIRE(r[6].messages.size() == 1);
    CHECK(r[6].messages[0].uid == 14u);
    c.noop();
  });
}

TEST_CASE("imap pipeline: refused before anything is sent", "[imap][pipeline]") {
  const auto t = testing::transcript::parse(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] ready\n"
      "C: a1 SELECT INBOX\n"
      "S: a1 OK done\n"
      "C: a2 NOOP\n"
      "S: a2 OK done\n");
  testing::player peer(t, testing::all_deliveries(t).front());
  client_options o;
  o.net.host = "mail.example.test";
  o.net.port = 993;
  o.net.tls = net::tls_mode::implicit;
  o.net.io_timeout = 2s;
  o.net.transport = peer.transport();
  client c;
  c.connect(o);
  std::error_code ec;
  c.pipeline(command_batch{}, ec);  // empty
  CHECK(ec == errc::invalid_argument);
  c.pipeline(command_batch{}.fetch(sequence_set::all(), fetch_items{}.uid()), ec);
  CHECK(ec == errc::wrong_state);  // nothing selected yet
  c.select("INBOX");
  // No LITERAL+: a search string with a CR LF needs a synchronising literal.
  c.pipeline(command_batch{}
                 .fetch(sequence_set::all(), fetch_items{}.uid())
                 .search(search_key::subject("two\r\nlines")),
             ec);
  CHECK(ec);
  std::string sunk;
  string_sink sink(sunk);
  fetch_options fo;
  fo.body_sink = &sink;
  c.pipeline(command_batch{}.fetch(sequence_set::all(), fetch_items{}.body_section(), fo), ec);
  CHECK(ec == errc::invalid_argument);
  c.noop();
  INFO(peer.report());
  CHECK(peer.finished());
}

TEST_CASE("imap pipeline: ambiguity rule of RFC 9051 §5.5", "[imap][pipeline]") {
  command_batch b;
  b.fetch(sequence_set::all(), fetch_items{}.uid());
  fetch_options u;
  u.uid = true;
  b.fetch(sequence_set::all(), fetch_items{}.uid(), u);
  store_options su;
  su.uid = true;
  b.store(sequence_set::single(1), store_mode::add, {"\\Seen"}, su);
  b.status("INBOX", status_messages);
  b.search(search_key::all());
  const auto& e = b.entries();
  CHECK(e[0].uses_sequence_numbers());
  CHECK(!e[0].permits_expunge());
  CHECK(!e[1].uses_sequence_numbers());
  CHECK(e[1].permits_expunge());
  CHECK(e[2].permits_expunge());
  CHECK(!e[3].uses_sequence_numbers());
  CHECK(e[3].permits_expunge());
  CHECK(e[4].uses_sequence_numbers());  // keys may hold sequence numbers
  CHECK(!e[4].permits_expunge());
}

TEST_CASE("imap transcript: SELECT (QRESYNC ...) and EXAMINE (CONDSTORE)", "[imap][transcript]") {
  play_recorded("select-qresync.txt",
                [](client& c, const client_options& o, std::vector<std::string>&) {
                  c.connect(o);
                  std::error_code ec;
                  select_options so;
                  so.qresync = select_options::qresync_params{
                      67890007, 20050715194045000, *sequence_set::parse("41,43:211,214:541")};
                  c.select("INBOX", so, ec);  // QRESYNC not enabled yet: nothing sent
                  CHECK(ec == errc::not_supported);
                  CHECK(c.enable({"QRESYNC"}) == std::vector<std::string>{"QRESYNC"});
                  auto m = c.select("INBOX", so);
                  CHECK(m.exists == 314u);
                  CHECK(m.uidvalidity == 67890007u);
                  CHECK(m.highestmodseq == 20050715194045319u);
                  CHECK(m.vanished.to_string() == "41,43:116,118,120:211,214:540");
                  REQUIRE(m.changed.size() == 2);
                  CHECK(m.changed[0].uid == 117u);
                  CHECK(m.changed[0].modseq == 20050715194045001u);
                  CHECK(m.changed[1].flags == std::vector<std::string>{"\\Draft", "$MDNSent"});
                  select_options cs;
                  cs.condstore = true;
                  auto a = c.examine("Archive", cs);
                  CHECK(a.read_only);
                  CHECK(a.highestmodseq == 715194045007u);
                  CHECK(a.vanished.empty());
                  CHECK(a.changed.empty());
                });
}

TEST_CASE("imap transcript: APPEND UTF8 (~{n}) with UTF8=ACCEPT", "[imap][transcript]") {
  play_recorded("append-utf8.txt",
                [](client& c, const client_options& o, std::vector<std::string>&) {
                  c.connect(o);
                  c.enable({"UTF8=ACCEPT"});
                  string_source msg("Subject: Chào\r\n\r\nXin chào\r\n");
                  auto r = c.append("Thư đã gửi", msg);
                  CHECK(r.uid == 3955u);
                });
}

TEST_CASE("imap transcript: fetch_mime parses BODY.PEEK[] locally", "[imap][transcript]") {
  play_recorded("fetch-mime.txt",
                [](client& c, const client_options& o, std::vector<std::string>&) {
                  c.connect(o);
                  c.select("INBOX");
                  mime::message m = c.fetch_mime(7, true, mime::parser_limits{});
                  CHECK(m.root().is_multipart());
                  REQUIRE(m.root().parts.size() == 1);
                  CHECK(m.root().parts[0].body == "hello");
                  std::error_code ec;
                  c.fetch_mime(9, false, mime::parser_limits{}, ec);
                  CHECK(ec == errc::no);
                  CHECK(!mailproto::is_fatal(ec));
                });
}

TEST_CASE("imap transcript: a body too large and no sink is not fatal", "[imap][transcript]") {
  client_options base;
  base.limits.max_literal_in_memory = 4;
  play_recorded(
      "body-not-stored.txt",
      [](client& c, const client_options& o, std::vector<std::string>&) {
        c.connect(o);
        c.select("INBOX");
        std::error_code ec;
        auto r = c.fetch(sequence_set::single(1), fetch_items{}.body_section(), ec);
        CHECK(ec == errc::body_not_stored);
        CHECK(!mailproto::is_fatal(ec));
        CHECK(ec == mailproto::condition::bad_argument);
        c.noop();  // the session goes on
      },
      base);
}
