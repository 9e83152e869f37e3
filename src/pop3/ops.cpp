// The POP3 operations: one factory per command or flow, each a queue of commands run by
// the exchange engine (exchange.hpp). RFC 1939 (base), RFC 2449 (CAPA, response codes,
// PIPELINING), RFC 2595 (STLS), RFC 5034 (AUTH).
#include <mailproto/net/errc.hpp>
#include <mailproto/net/line_buffer.hpp>
#include <mailproto/pop3/detail/ops.hpp>

#include "pop3/exchange.hpp"

#include <initializer_list>
#include <optional>
#include <unordered_map>

namespace mailproto::pop3::detail {

namespace {

template <class R>
class op final : public net::result_operation<R> {
 public:
  explicit op(protocol& p) : ex(p) {}
  net::action resume(const net::io_result& r) override { return ex.resume(r); }
  R take_result() override { return std::move(result); }
  exchange ex;
  R result{};
};

template <>
class op<void> final : public net::result_operation<void> {
 public:
  explicit op(protocol& p) : ex(p) {}
  net::action resume(const net::io_result& r) override { return ex.resume(r); }
  void take_result() override {}
  exchange ex;
};

// RFC 1939 §3: each command is valid only in some states. Sets the precheck error.
bool require(exchange& ex, std::initializer_list<state> allowed) {
  const state s = ex.proto().state();
  if (s == state::failed) {
    ex.fail_now(net::errc::connection_unusable);
    return false;
  }
  if (s == state::disconnected || s == state::update) {
    ex.fail_now(net::errc::not_connected);
    return false;
  }
  for (state a : allowed)
    if (a == s) return true;
  ex.fail_now(errc::wrong_state);
  return false;
}

bool require_number(exchange& ex, std::uint32_t n) {
  if (n == 0) {
    ex.fail_now(errc::invalid_message_number);
    return false;
  }
  return true;
}

// CAPA (RFC 2449 §5). A server without CAPA answers -ERR: capabilities stay unknown and
// that is not an error (an RFC 1939 server). `then` runs after either answer.
void push_capa(exchange& ex, std::function<void(std::error_code&)> then) {
  auto lines = std::make_shared<std::vector<std::string>>();
  exchange* exp = &ex;
  command& c = ex.push("CAPA");
  c.multiline = true;
  c.count_lines = true;
  c.on_line = [lines](std::string_view l, std::error_code&) { lines->emplace_back(l); };
  c.on_end = [exp, lines, then](std::error_code& ec) {
    exp->proto().set_caps(capabilities::parse(*lines));
    exp->proto().set_caps_asked(true);
    if (then) then(ec);
  };
  c.on_err = [exp, then](const response&, std::error_code& ec) {
    ec.clear();
    exp->proto().set_caps({});
    exp->proto().set_caps_asked(true);
    if (then) then(ec);
  };
}

// STLS (RFC 2595 §4). After "+OK", any byte already received is an injection attempt
// (the CVE-2011-0411 class): it would be taken as the first response over TLS.
void push_stls(exchange& ex, net::tls_mode tls) {
  exchange* exp = &ex;
  command& c = ex.push("STLS");
  c.on_ok = [exp](const response&, std::error_code&) {
    if (exp->proto().parser().has_buffered()) {
      exp->fatal(net::errc::data_before_tls_handshake);
      return;
    }
    exp->want_tls();
  };
  c.on_err = [tls](const response&, std::error_code& ec) {
    if (tls == net::tls_mode::starttls_if_available)
      ec.clear();
    else
      ec = net::errc::starttls_not_offered;
  };
  ex.on_tls = [exp](std::error_code&) {
    // RFC 2595 §4: discard what was learnt before TLS and ask again.
    exp->proto().set_caps({});
    exp->proto().set_caps_asked(false);
    push_capa(*exp, {});
  };
}

}  // namespace

op_ptr<void> make_connect_op(protocol& p, net::tls_mode tls) {
  auto o = std::make_unique<op<void>>(p);
  exchange& ex = o->ex;
  exchange* exp = &ex;
  ex.connect_first = true;
  ex.close_on_error = true;
  command& g = ex.push("");
  g.write = false;
  g.on_ok = [exp, tls](const response& r, std::error_code&) {
    protocol& p = exp->proto();
    p.set_greeting(r.text);
    p.set_state(state::authorization);
    if (tls == net::tls_mode::implicit) p.set_tls_active(true);
    if (tls != net::tls_mode::starttls && tls != net::tls_mode::starttls_if_available) return;
    push_capa(*exp, [exp, tls](std::error_code& ec) {
      const capabilities& c = exp->proto().caps();
      if (!c.known || c.stls) {
        // Without CAPA we cannot know: try STLS (RFC 2595 §4 allows it) and see.
        push_stls(*exp, tls);
      } else if (tls == net::tls_mode::starttls) {
        ec = net::errc::starttls_not_offered;  // nothing else is sent
      }
    });
  };
  return o;
}

op_ptr<capabilities> make_capa_op(protocol& p) {
  auto o = std::make_unique<op<capabilities>>(p);
  if (!require(o->ex, {state::authorization, state::transaction})) return o;
  auto* self = o.get();
  push_capa(o->ex, [self](std::error_code&) { self->result = self->ex.proto().caps(); });
  return o;
}

op_ptr<void> make_login_op(protocol& p, std::string user, std::string pass) {
  auto o = std::make_unique<op<void>>(p);
  exchange& ex = o->ex;
  if (!require(ex, {state::authorization})) return o;
  if (user.empty() || !net::is_safe_wire_value(user) || !net::is_safe_wire_value(pass)) {
    ex.fail_now(net::errc::unsafe_argument);
    return o;
  }
  if (!p.tls_active() && !p.options().allow_plaintext_auth) {
    ex.fail_now(net::errc::plaintext_auth_refused);
    return o;
  }
  exchange* exp = &ex;
  // RFC 1939 §7: USER name, then PASS string (the rest of the line: spaces allowed).
  command& u = ex.push("USER " + user);
  u.auth = true;
  u.on_ok = [exp, pass = std::move(pass)](const response&, std::error_code&) {
    command& c = exp->push("PASS " + pass);
    c.auth = true;
    c.secret_offset = 5;
    c.secret_length = pass.size();
    c.on_ok = [exp](const response&, std::error_code&) {
      exp->proto().set_state(state::transaction);
    };
  };
  return o;
}

op_ptr<void> make_apop_op(protocol& p, std::string user, std::string secret) {
  auto o = std::make_unique<op<void>>(p);
  exchange& ex = o->ex;
  if (!require(ex, {state::authorization})) return o;
  if (user.empty() || !net::is_safe_wire_value(user) || user.find(' ') != std::string::npos) {
    ex.fail_now(net::errc::unsafe_argument);
    return o;
  }
  // RFC 1939 §7: APOP needs the timestamp the server put in its greeting.
  if (p.timestamp().empty()) {
    ex.fail_now(errc::apop_not_offered);
    return o;
  }
  if (!p.tls_active() && !p.options().allow_plaintext_auth) {
    ex.fail_now(net::errc::plaintext_auth_refused);
    return o;
  }
  exchange* exp = &ex;
  command& c = ex.push("APOP " + user + " " + apop_digest(p.timestamp(), secret));
  c.auth = true;
  c.on_ok = [exp](const response&, std::error_code&) {
    exp->proto().set_state(state::transaction);
  };
  return o;
}

namespace {

struct auth_state {
  sasl::credentials creds;
  std::string preferred;
  sasl::mechanism_options mech_opts;
  std::unique_ptr<sasl::mechanism> mech;
  std::optional<std::string> pending_ir;  // base64, sent after an empty challenge
  std::error_code local;                  // our own reason for cancelling with "*"
};

// RFC 5034 §4: AUTH mechanism [initial-response]; challenges "+ base64", answers base64
// lines, "*" cancels. The initial response goes inline unless the line would pass 255
// octets (RFC 2449 §4); an empty one is sent as "=".
void start_auth(exchange& ex, const std::shared_ptr<auth_state>& st, std::error_code& ec) {
  protocol& p = ex.proto();
  std::vector<std::string> offered = p.caps().sasl;
  if (!p.caps().known && !st->preferred.empty()) offered = {st->preferred};
  const std::string name = sasl::choose(offered, st->creds, p.tls_active(),
                                        p.options().allow_plaintext_auth, st->preferred, ec);
  if (ec) return;
  st->mech = sasl::make_mechanism(name, st->creds, st->mech_opts, ec);
  if (ec) return;
  if (!st->mech) {
    ec = sasl::errc::unknown_mechanism;
    return;
  }
  std::string line = "AUTH " + name;
  std::size_t off = 0, len = 0;
  if (st->mech->client_first()) {
    const std::string ir = st->mech->respond("", ec);
    if (ec) return;
    const std::string b64 = ir.empty() ? "=" : sasl::base64_encode(ir);
    if (line.size() + 1 + b64.size() + 2 <= 255) {
      off = line.size() + 1;
      len = b64.size();
      line += ' ';
      line += b64;
    } else {
      st->pending_ir = sasl::base64_encode(ir);
    }
  }
  exchange* exp = &ex;
  command& c = ex.push(std::move(line));
  c.auth = true;
  c.continuation = true;
  c.secret_offset = off;
  c.secret_length = len;
  c.on_cont = [exp, st](const response& r, std::error_code&) {
    if (st->pending_ir) {
      exp->send_raw(*st->pending_ir, true);
      st->pending_ir.reset();
      return;
    }
    std::error_code e;
    auto challenge = sasl::base64_decode(r.text);
    if (!challenge) e = sasl::errc::bad_challenge;
    std::string resp;
    if (!e) resp = st->mech->respond(*challenge, e);
    if (e) {
      st->local = e;
      exp->send_raw("*", false);
      return;
    }
    exp->send_raw(sasl::base64_encode(resp), st->mech->is_secret_response());
  };
  c.on_ok = [exp, st](const response&, std::error_code& e) {
    st->mech->verify_success("", e);
    if (e) {
      if (mailproto::is_fatal(e)) exp->fatal(e);
      return;
    }
    exp->proto().set_state(state::transaction);
  };
  c.on_err = [st](const response&, std::error_code& e) {
    if (st->local) e = st->local;
  };
}

}  // namespace

op_ptr<void> make_auth_op(protocol& p, sasl::credentials creds, std::string mechanism,
                          sasl::mechanism_options mech_opts) {
  auto o = std::make_unique<op<void>>(p);
  exchange& ex = o->ex;
  if (!require(ex, {state::authorization})) return o;
  if (!p.tls_active() && !p.options().allow_plaintext_auth) {
    ex.fail_now(net::errc::plaintext_auth_refused);  // before CAPA: nothing is sent
    return o;
  }
  auto st = std::make_shared<auth_state>();
  st->creds = std::move(creds);
  st->preferred = std::move(mechanism);
  st->mech_opts = std::move(mech_opts);
  if (p.caps_asked()) {
    std::error_code ec;
    start_auth(ex, st, ec);
    if (ec) ex.fail_now(ec);
  } else {
    exchange* exp = &ex;
    push_capa(ex, [exp, st](std::error_code& ec) { start_auth(*exp, st, ec); });
  }
  return o;
}

op_ptr<mailbox_stat> make_stat_op(protocol& p) {
  auto o = std::make_unique<op<mailbox_stat>>(p);
  if (!require(o->ex, {state::transaction})) return o;
  auto* self = o.get();
  o->ex.push("STAT").on_ok = [self](const response& r, std::error_code& ec) {
    if (!parse_stat(r.text, self->result)) ec = errc::bad_response;
  };
  return o;
}

op_ptr<std::vector<message_info>> make_list_op(protocol& p) {
  auto o = std::make_unique<op<std::vector<message_info>>>(p);
  if (!require(o->ex, {state::transaction})) return o;
  auto* self = o.get();
  command& c = o->ex.push("LIST");
  c.multiline = true;
  c.count_lines = true;
  c.on_line = [self](std::string_view l, std::error_code& ec) {
    message_info m;
    if (!parse_list_line(l, m)) {
      ec = errc::bad_response;
      return;
    }
    self->result.push_back(m);
  };
  return o;
}

op_ptr<message_info> make_list_one_op(protocol& p, std::uint32_t n) {
  auto o = std::make_unique<op<message_info>>(p);
  if (!require(o->ex, {state::transaction}) || !require_number(o->ex, n)) return o;
  auto* self = o.get();
  o->ex.push("LIST " + std::to_string(n)).on_ok = [self](const response& r, std::error_code& ec) {
    if (!parse_list_line(r.text, self->result)) ec = errc::bad_response;
  };
  return o;
}

op_ptr<std::vector<message_uid>> make_uidl_op(protocol& p) {
  auto o = std::make_unique<op<std::vector<message_uid>>>(p);
  if (!require(o->ex, {state::transaction})) return o;
  auto* self = o.get();
  command& c = o->ex.push("UIDL");
  c.multiline = true;
  c.count_lines = true;
  c.on_line = [self](std::string_view l, std::error_code& ec) {
    message_uid m;
    if (!parse_uidl_line(l, m)) {
      ec = errc::bad_response;
      return;
    }
    self->result.push_back(std::move(m));
  };
  return o;
}

op_ptr<message_uid> make_uidl_one_op(protocol& p, std::uint32_t n) {
  auto o = std::make_unique<op<message_uid>>(p);
  if (!require(o->ex, {state::transaction}) || !require_number(o->ex, n)) return o;
  auto* self = o.get();
  o->ex.push("UIDL " + std::to_string(n)).on_ok = [self](const response& r, std::error_code& ec) {
    if (!parse_uidl_line(r.text, self->result)) ec = errc::bad_response;
  };
  return o;
}

namespace {

// Streams the data lines of RETR/TOP into a sink: each unstuffed line plus CRLF, in chunks
// of about 64 KiB, so memory stays flat whatever the message size. finish() is called only
// after the "." terminator (RFC 1939 §3): a connection lost mid-message never looks whole.
struct stream_state {
  byte_sink* sink = nullptr;
  std::string chunk;
  std::uint64_t bytes = 0;
  static constexpr std::size_t flush_at = 64 * 1024;
  static constexpr std::size_t direct_at = 4096;

  void line(std::string_view l, std::error_code& ec) {
    chunk.append(l);
    chunk.append("\r\n", 2);
    bytes += l.size() + 2;
    if (chunk.size() >= flush_at) flush(ec);
  }
  // A run of complete lines (CRLFs included): a short one is appended; a long one (most of
  // a read, in a bulk transfer) goes to the sink as it is, without a copy.
  void block(std::string_view b, std::error_code& ec) {
    bytes += b.size();
    if (b.size() < direct_at && chunk.size() + b.size() < flush_at) {
      chunk.append(b);
      return;
    }
    flush(ec);
    if (!ec) sink->write(b, ec);
  }
  void flush(std::error_code& ec) {
    if (chunk.empty()) return;
    sink->write(chunk, ec);
    chunk.clear();
  }
  void end(std::error_code& ec) {
    flush(ec);
    if (!ec) sink->finish(ec);
  }
};

void push_stream(exchange& ex, std::string line, byte_sink& sink, std::uint64_t* out) {
  auto st = std::make_shared<stream_state>();
  st->sink = &sink;
  st->chunk.reserve(stream_state::flush_at + 1024);
  command& c = ex.push(std::move(line));
  c.multiline = true;
  c.on_line = [st](std::string_view l, std::error_code& ec) { st->line(l, ec); };
  c.on_bytes = [st](std::string_view b, std::error_code& ec) { st->block(b, ec); };
  c.on_end = [st, out](std::error_code& ec) {
    st->end(ec);
    if (!ec) *out = st->bytes;
  };
}

}  // namespace

op_ptr<std::uint64_t> make_retr_op(protocol& p, std::uint32_t n, byte_sink& sink) {
  auto o = std::make_unique<op<std::uint64_t>>(p);
  if (!require(o->ex, {state::transaction}) || !require_number(o->ex, n)) return o;
  push_stream(o->ex, "RETR " + std::to_string(n), sink, &o->result);
  return o;
}

op_ptr<std::uint64_t> make_top_op(protocol& p, std::uint32_t n, std::uint32_t lines,
                                  byte_sink& sink) {
  auto o = std::make_unique<op<std::uint64_t>>(p);
  if (!require(o->ex, {state::transaction}) || !require_number(o->ex, n)) return o;
  // RFC 1939 §7: TOP msg n — the headers, the blank line, and n lines of the body.
  push_stream(o->ex, "TOP " + std::to_string(n) + " " + std::to_string(lines), sink, &o->result);
  return o;
}

op_ptr<void> make_dele_op(protocol& p, std::uint32_t n) {
  auto o = std::make_unique<op<void>>(p);
  if (!require(o->ex, {state::transaction}) || !require_number(o->ex, n)) return o;
  exchange* exp = &o->ex;
  o->ex.push("DELE " + std::to_string(n)).on_ok = [exp, n](const response&, std::error_code&) {
    exp->proto().mark(n);
  };
  return o;
}

op_ptr<void> make_rset_op(protocol& p) {
  auto o = std::make_unique<op<void>>(p);
  if (!require(o->ex, {state::transaction})) return o;
  exchange* exp = &o->ex;
  o->ex.push("RSET").on_ok = [exp](const response&, std::error_code&) {
    exp->proto().unmark_all();  // RFC 1939 §5: every deletion mark is removed
  };
  return o;
}

op_ptr<void> make_noop_op(protocol& p) {
  auto o = std::make_unique<op<void>>(p);
  if (!require(o->ex, {state::transaction})) return o;
  o->ex.push("NOOP");
  return o;
}

namespace {

// QUIT (RFC 1939 §6): in the transaction state the server enters the update state and
// removes the marked messages; -ERR there means some were not removed.
command& push_quit(exchange& ex, quit_result* out) {
  exchange* exp = &ex;
  const bool in_transaction = ex.proto().state() == state::transaction;
  command& c = ex.push("QUIT");
  c.on_ok = [exp, out, in_transaction](const response& r, std::error_code&) {
    protocol& p = exp->proto();
    out->text = r.text;
    if (in_transaction) out->deleted = p.marked();
    p.unmark_all();
    p.set_state(state::update);
    exp->want_close();
  };
  c.on_err = [exp, in_transaction](const response&, std::error_code& ec) {
    if (in_transaction) ec = errc::update_failed;
    exp->proto().set_state(state::update);
    exp->want_close();
  };
  return c;
}

}  // namespace

op_ptr<quit_result> make_quit_op(protocol& p) {
  auto o = std::make_unique<op<quit_result>>(p);
  if (!require(o->ex, {state::authorization, state::transaction})) return o;
  push_quit(o->ex, &o->result);
  return o;
}

namespace {

struct fetch_state {
  fetch_options opts;
  std::vector<message_info> list;
  std::vector<message_uid> uids;
  bool have_uids = false;
  std::vector<fetched_message> todo;
  std::size_t next = 0;  // next index of `todo` to ask for
  int stage = 0;         // 0 listing, 1 retrieving, 2 quitting
  quit_result quit;
  // The coalescing buffer, handed from one message's stream to the next: one allocation for
  // the whole fetch instead of a string grown from empty (and given back to malloc, which
  // trims the heap and faults the pages in again) per message.
  std::string spare_chunk;
};

void push_retr(exchange& ex, const std::shared_ptr<fetch_state>& st, fetch_result* out) {
  if (st->next >= st->todo.size()) return;
  const std::size_t idx = st->next++;
  exchange* exp = &ex;
  auto stream = std::make_shared<stream_state>();
  auto owned = std::make_shared<std::unique_ptr<byte_sink>>();
  command& c = ex.push("RETR " + std::to_string(st->todo[idx].number));
  c.multiline = true;
  c.expect = st->todo[idx].size;  // LIST's size: a read hint (never trusted for more)
  c.on_ok = [st, idx, stream, owned](const response&, std::error_code& ec) {
    *owned = st->opts.open_sink(st->todo[idx]);
    if (!*owned) return;  // skipped by the caller: the data lines are dropped
    stream->sink = owned->get();
    stream->chunk.swap(st->spare_chunk);
    stream->chunk.clear();
    stream->chunk.reserve(stream_state::flush_at + 1024);
    (void)ec;
  };
  c.on_line = [stream](std::string_view l, std::error_code& ec) {
    if (stream->sink) stream->line(l, ec);
  };
  c.on_bytes = [stream](std::string_view b, std::error_code& ec) {
    if (stream->sink) stream->block(b, ec);
  };
  c.on_end = [exp, st, idx, stream, owned, out](std::error_code& ec) {
    if (stream->sink) {
      stream->end(ec);
      owned->reset();
      stream->chunk.clear();
      st->spare_chunk.swap(stream->chunk);
      if (ec) return;
      out->stored.push_back(st->todo[idx]);
      // Only now, with the message stored, may it be marked for deletion.
      if (st->opts.mode == fetch_mode::remove) {
        const std::uint32_t n = st->todo[idx].number;
        exp->push("DELE " + std::to_string(n)).on_ok = [exp, n](const response&, std::error_code&) {
          exp->proto().mark(n);
        };
      }
    }
    push_retr(*exp, st, out);
  };
}

}  // namespace

op_ptr<fetch_result> make_fetch_op(protocol& p, fetch_options opts) {
  auto o = std::make_unique<op<fetch_result>>(p);
  exchange& ex = o->ex;
  if (!require(ex, {state::transaction})) return o;
  if (!opts.open_sink) {
    ex.fail_now(std::make_error_code(std::errc::invalid_argument));
    return o;
  }
  ex.close_on_error = true;
  auto st = std::make_shared<fetch_state>();
  st->opts = std::move(opts);
  auto* self = o.get();
  exchange* exp = &ex;

  command& l = ex.push("LIST");
  l.multiline = true;
  l.count_lines = true;
  l.on_line = [st](std::string_view line, std::error_code& ec) {
    message_info m;
    if (!parse_list_line(line, m)) ec = errc::bad_response;
    st->list.push_back(m);
  };
  command& u = ex.push("UIDL");
  u.multiline = true;
  u.count_lines = true;
  u.on_line = [st](std::string_view line, std::error_code& ec) {
    message_uid m;
    if (!parse_uidl_line(line, m)) ec = errc::bad_response;
    st->uids.push_back(std::move(m));
  };
  u.on_end = [st](std::error_code&) { st->have_uids = true; };
  u.on_err = [st](const response&, std::error_code& ec) {
    if (!st->opts.seen) ec.clear();  // UIDL is optional unless "only new" needs it
  };

  ex.on_idle = [st, self, exp](std::error_code&) {
    if (st->stage == 0) {
      st->stage = 1;
      // UIDL lines by message number (a map, not a scan per message: 2000 messages).
      std::unordered_map<std::uint32_t, const std::string*> uid_of;
      uid_of.reserve(st->uids.size());
      for (const auto& u : st->uids) uid_of.emplace(u.number, &u.uid);
      for (const auto& m : st->list) {
        fetched_message f{m.number, m.size, {}};
        if (auto it = uid_of.find(m.number); it != uid_of.end()) f.uid = *it->second;
        if (st->opts.seen && st->opts.seen(f.uid)) continue;
        st->todo.push_back(std::move(f));
      }
      const std::size_t w = exp->proto().window();
      for (std::size_t i = 0; i < w; ++i) push_retr(*exp, st, &self->result);
      if (!st->todo.empty()) return;
    }
    if (st->stage == 1) {
      st->stage = 2;
      if (st->opts.quit) {
        command& q = push_quit(*exp, &st->quit);
        q.on_ok = [inner = q.on_ok, st, self](const response& r, std::error_code& ec) {
          inner(r, ec);
          self->result.deleted = st->quit.deleted;
        };
      }
    }
  };
  return o;
}

}  // namespace mailproto::pop3::detail
