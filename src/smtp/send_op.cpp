// The send operation: one message, one mail transaction (RFC 5321 §3.3).
//
// Steps:
//   start      validate everything and build MAIL FROM + every RCPT TO before the first
//              byte goes out (CR/LF/NUL, address syntax, SMTPUTF8, SIZE, BODY, DSN, REQUIRETLS)
//   mail       MAIL FROM reply. With PIPELINING (RFC 2920 §3.1) MAIL, every RCPT and DATA go
//              in one write and the replies are matched in order.
//   rcpt       one reply per recipient, kept in the result
//   decide     nobody accepted -> RSET, all_recipients_rejected (recipients_deferred if a
//              refusal was 4xx); all_or_nothing and somebody refused -> RSET
//   data       354, then the body streamed through body_encoder (dot-stuffing, CRLF), then
//              the 250 after "." (RFC 5321 §4.1.1.4)
//   bdat       (CHUNKING, RFC 3030) "BDAT n [LAST]" + n bytes per chunk, each acknowledged
//   bdat_pipe  CHUNKING with PIPELINING (RFC 3030 §4.2): the first chunk goes in the same
//              write as MAIL and RCPT, further chunks without waiting for the previous
//              chunk's reply, at most bdat_window in flight (so the replies we have not read
//              can never fill the socket buffers of both sides); the replies are matched in
//              order; a refused chunk stops the sending, the rest are read, then RSET
//   rset       after a refused transaction, so the session is clean for the next message
//
// SIZE (RFC 1870): when the source knows its size and the body is small (<= prefetch_limit)
// the body is read before MAIL FROM and SIZE= is the exact number of octets transmitted as
// RFC 1870 §3 counts them (CRLF-normalised, without DATA's dot-stuffing and terminator). A
// larger body is streamed: SIZE= is then the source's size, which differs from the exact
// count only by line endings the encoder adds (bare CR/LF, a last line without CRLF); RFC
// 1870 §5 asks for the client's best estimate. A body too big for the server fails before
// MAIL FROM either way.
// A failure of the body source in mid-DATA cannot be undone on the wire (there is no
// "abort DATA" in SMTP): the connection is closed, so no truncated message is delivered.
#include "smtp/body_encoder.hpp"
#include "smtp/op_base.hpp"

#include <mailproto/smtp/detail/ops.hpp>

#include <algorithm>
#include <exception>
#include <type_traits>

namespace mailproto::smtp::detail {

std::size_t send_result_accepted(const send_result& r) {
  return static_cast<std::size_t>(std::count_if(r.recipients.begin(), r.recipients.end(),
                                                [](const auto& x) { return x.accepted; }));
}

namespace {

class send_op final : public op_base<send_result> {
 public:
  send_op(protocol& p, byte_source& body, envelope env, send_options opts)
      : op_base(p), body_(body), own_env_(std::move(env)), opts_(std::move(opts)) {}
  /// Reading `env` in place (a batch run synchronously: the caller's messages outlive it).
  send_op(protocol& p, byte_source& body, const envelope* env, send_options opts)
      : op_base(p), body_(body), env_(env), opts_(std::move(opts)) {}
  send_op(protocol& p, std::unique_ptr<byte_source> owned, envelope env, send_options opts,
          std::error_code precheck)
      : op_base(p),
        owned_(owned ? std::move(owned) : std::make_unique<string_source>(std::string())),
        body_(*owned_),
        own_env_(std::move(env)),
        opts_(std::move(opts)),
        precheck_(precheck) {}
  send_result take_result() override { return std::move(result_); }

  /// True right after the op returned the write that ends its data ("." or BDAT LAST, not
  /// pipelined with chunk replies outstanding): from then on it only reads its final reply
  /// and finishes; it never writes again. The batch may add the next message's first group
  /// to that write (RFC 2920 §3.1).
  bool only_final_reply_left() const noexcept {
    return (step_ == st::stream && data_done_) || (step_ == st::bdat && last_chunk_);
  }

 private:
  enum class st {
    start,
    mail,
    rcpt,
    data_reply,
    dot_reply,
    stream,
    data_end,
    bdat,
    bdat_pipe,
    rset
  };
  /// Most BDAT chunks whose reply is outstanding (RFC 3030 §4.2 pipelining).
  static constexpr std::size_t bdat_window = 8;
  /// Bodies of a known size up to this are read before MAIL FROM (exact SIZE=, one write).
  static constexpr std::uint64_t prefetch_limit = 64 * 1024;

  net::action step() override {
    server_reply rep;
    switch (step_) {
      case st::start:
        return start();
      case st::mail: {
        if (auto a = take_reply(rep, command_timeout())) return *a;
        result_.mail_reply = std::move(rep);
        if (!positive(result_.mail_reply)) {
          error_ = refusal(result_.mail_reply);
          if (error_ == errc::unexpected_reply) return fatal(error_);
          if (!pipelined_) return net::action::done(error_);
        }
        if (!pipelined_) return next_rcpt();
        step_ = st::rcpt;
        return step();
      }
      case st::rcpt: {
        if (auto a = take_reply(rep, command_timeout())) return *a;
        auto& r = result_.recipients[rcpt_replies_++];
        r.accepted = positive(rep);
        const int code = rep.code;
        r.reply = std::move(rep);
        if (!r.accepted && code >= 400 && code < 500) deferred_ = true;
        if (!r.accepted && !(code >= 400 && code < 600)) return fatal(errc::unexpected_reply);
        if (rcpt_replies_ < result_.recipients.size()) {
          if (pipelined_) return step();
          return next_rcpt();
        }
        return decide();
      }
      case st::data_reply: {
        if (auto a = take_reply(rep, command_timeout())) return *a;
        if (rep.code == 354) {
          if (error_) {
            // Pipelined DATA got 354 although the transaction failed (RFC 2920 §3.1): end
            // the (empty) data at once; the server then refuses it for lack of recipients.
            step_ = st::dot_reply;
            out_ = ".\r\n";
            return write(out_, command_timeout());
          }
          step_ = st::stream;
          return stream();
        }
        if (!error_) error_ = refusal(rep);
        if (error_ == errc::unexpected_reply) return fatal(error_);
        return finish_failed();
      }
      case st::dot_reply:
        if (auto a = take_reply(rep, p_.options().timeouts.data_end)) return *a;
        return finish_failed();
      case st::stream:
        return stream();
      case st::data_end:
      case st::bdat: {
        if (auto a = take_reply(rep, last_chunk_ || step_ == st::data_end
                                         ? p_.options().timeouts.data_end
                                         : command_timeout()))
          return *a;
        if (step_ == st::bdat && !last_chunk_) {
          if (rep.code != 250) {
            // RFC 3030 §2: after a refused chunk, send no more; RSET.
            error_ = refusal(rep);
            if (error_ == errc::unexpected_reply) return fatal(error_);
            return send_rset();
          }
          return bdat_chunk();
        }
        result_.final_reply = std::move(rep);
        if (positive(result_.final_reply)) {
          result_.delivered = true;
          return net::action::done();
        }
        return refused(
            result_.final_reply);  // the transaction is over either way (RFC 5321 §4.1.1.4)
      }
      case st::bdat_pipe:
        return pump_bdat();
      case st::rset:
        if (auto a = take_reply(rep, command_timeout())) return *a;
        return net::action::done(error_);
    }
    return fatal(errc::unexpected_reply);
  }

  net::action start() {
    if (precheck_) return net::action::done(precheck_);
    if (auto a = check_ready()) return *a;
    const auto& caps = p_.capabilities();
    // ---- validate: nothing is sent unless all of it can be
    if (env_->recipients.empty()) return net::action::done(errc::no_recipients);
    bool utf8 = env_->smtputf8, u = false;
    if (!env_->from.empty()) {
      if (auto ec = check_address(env_->from, u)) return net::action::done(ec);
      utf8 |= u;
    }
    for (const auto& r : env_->recipients) {
      if (auto ec = check_address(r.address, u)) return net::action::done(ec);
      utf8 |= u;
      if (!r.original_recipient.empty() && !net::is_safe_wire_value(r.original_recipient))
        return net::action::done(net::errc::unsafe_argument);
      if (r.notify_on != notify::none || !r.original_recipient.empty())
        if (!caps.dsn) return net::action::done(errc::extension_not_supported);
    }
    if (!net::is_safe_wire_value(env_->envid)) return net::action::done(net::errc::unsafe_argument);
    // RFC 6531 §3.4: UTF-8 in the envelope needs the server's SMTPUTF8.
    if (utf8 && !caps.smtputf8) return net::action::done(errc::smtputf8_required);
    if ((env_->ret != dsn_return::none || !env_->envid.empty()) && !caps.dsn)
      return net::action::done(errc::extension_not_supported);
    if (env_->require_tls && (!caps.require_tls || !p_.tls_active()))
      return net::action::done(errc::extension_not_supported);
    if (env_->body == body_type::eight_bit && !caps.eight_bit_mime)
      return net::action::done(errc::extension_not_supported);
    if (env_->body == body_type::binary && !(caps.binary_mime && caps.chunking))
      return net::action::done(errc::extension_not_supported);
    use_bdat_ = env_->body == body_type::binary || opts_.transfer == transfer_mode::bdat ||
                (opts_.transfer == transfer_mode::automatic && caps.chunking);
    if (use_bdat_ && !caps.chunking) return net::action::done(errc::extension_not_supported);
    if (opts_.chunk_size == 0) opts_.chunk_size = 64 * 1024;
    encoder_ = body_encoder(env_->body == body_type::binary ? body_encoder::mode::binary
                            : use_bdat_                     ? body_encoder::mode::bdat
                                                            : body_encoder::mode::data);
    known_size_init_ = true;
    known_size_ = body_.size();
    // A small body of known size is read now: SIZE= exact, and a source error ends the send
    // before anything is on the wire.
    std::optional<std::uint64_t> exact;
    if (known_size_ && *known_size_ <= prefetch_limit) {
      if (!prefetch()) return net::action::done(source_ec_);
      // A body that needs no encoding (the usual case) is copied whole, and its size is its
      // length (plus the CRLF a last line without one gets).
      plain_ = env_->body != body_type::binary && body_encoder::plain(pre_, !use_bdat_);
      if (plain_)
        exact = body_encoder::plain_size(pre_);
      else
        exact = body_encoder::transmitted_size(pre_, env_->body == body_type::binary
                                                         ? body_encoder::mode::binary
                                                         : body_encoder::mode::bdat);
    }
    // RFC 1870 §6: a message known to exceed the server's SIZE is not even offered.
    std::optional<std::uint64_t> size = env_->size ? env_->size : exact ? exact : known_size_;
    if (size && caps.size && *caps.size > 0 && *size > *caps.size)
      return net::action::done(errc::message_too_large);

    // ---- build MAIL FROM (RFC 5321 §4.1.1.2) with its extension parameters
    std::string mail;
    mail.reserve(64 + env_->from.size());
    mail.append("MAIL FROM:<").append(env_->from).append(">");
    if (size && caps.size) mail += " SIZE=" + std::to_string(*size);
    if (env_->body == body_type::eight_bit) mail += " BODY=8BITMIME";
    if (env_->body == body_type::binary) mail += " BODY=BINARYMIME";
    if (utf8) mail += " SMTPUTF8";
    if (env_->ret == dsn_return::full) mail += " RET=FULL";
    if (env_->ret == dsn_return::headers) mail += " RET=HDRS";
    if (!env_->envid.empty()) mail += " ENVID=" + xtext(env_->envid);
    if (env_->require_tls) mail += " REQUIRETLS";
    mail += "\r\n";
    rcpt_lines_.clear();
    for (const auto& r : env_->recipients) {
      std::string l;
      l.reserve(16 + r.address.size());
      l.append("RCPT TO:<").append(r.address).append(">");
      if (r.notify_on != notify::none) {
        // RFC 3461 §4.1: NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY.
        if (has_flag(r.notify_on, notify::never)) {
          l += " NOTIFY=NEVER";
        } else {
          std::string v;
          if (has_flag(r.notify_on, notify::success)) v += ",SUCCESS";
          if (has_flag(r.notify_on, notify::failure)) v += ",FAILURE";
          if (has_flag(r.notify_on, notify::delay)) v += ",DELAY";
          if (!v.empty()) l += " NOTIFY=" + v.substr(1);
        }
      }
      if (!r.original_recipient.empty()) l += " ORCPT=rfc822;" + xtext(r.original_recipient);
      l += "\r\n";
      rcpt_lines_.push_back(std::move(l));
      result_.recipients.push_back({r.address, false, {}});
    }

    // ---- send
    pipelined_ = caps.pipelining;
    step_ = st::mail;
    if (!pipelined_) {
      out_ = std::move(mail);
      return write(out_, command_timeout());
    }
    // RFC 2920 §3.1: DATA may end a pipelined group; not with all_or_nothing, where the
    // decision to transfer waits for every RCPT reply. RFC 3030 §4.2: so may BDAT chunks,
    // the first of them in the same write as MAIL and RCPT (same exception).
    data_pipelined_ = !use_bdat_ && !opts_.all_or_nothing;
    bdat_pipelined_ = use_bdat_ && !opts_.all_or_nothing;
    out_ = std::move(mail);
    std::size_t group = out_.size() + 6;
    for (const auto& l : rcpt_lines_) group += l.size();
    out_.reserve(group);
    for (const auto& l : rcpt_lines_) out_ += l;
    if (data_pipelined_) out_ += "DATA\r\n";
    if (bdat_pipelined_ && !append_chunk(out_)) return net::action::done(source_ec_);
    return write(out_, command_timeout());
  }

  net::action next_rcpt() {
    step_ = st::rcpt;
    out_ = rcpt_lines_[rcpt_sent_++];
    return write(out_, command_timeout());
  }

  net::action decide() {
    const std::size_t ok = send_result_accepted(result_);
    if (!error_) {
      if (ok == 0)
        error_ = deferred_ ? errc::recipients_deferred : errc::all_recipients_rejected;
      else if (opts_.all_or_nothing && ok < result_.recipients.size())
        error_ = errc::some_recipients_rejected;
    }
    if (data_pipelined_) {  // the DATA reply is still to come
      step_ = st::data_reply;
      return step();
    }
    if (bdat_pipelined_) {  // chunk replies are still to come
      step_ = st::bdat_pipe;
      return pump_bdat();
    }
    if (error_) return finish_failed();
    if (use_bdat_) return bdat_chunk();
    step_ = st::data_reply;
    out_ = "DATA\r\n";
    return write(out_, command_timeout());
  }

  // A failed transaction: RSET if MAIL was accepted (the server holds a transaction),
  // else finish with the error at once.
  net::action finish_failed() {
    if (positive(result_.mail_reply)) return send_rset();
    return net::action::done(error_);
  }

  net::action send_rset() {
    step_ = st::rset;
    out_ = "RSET\r\n";
    return write(out_, command_timeout());
  }

  // Read the whole body (known to be small) into pre_. False on a source error.
  bool prefetch() {
    pre_.resize(static_cast<std::size_t>(*known_size_) + 1);
    std::size_t got = 0;
    for (;;) {
      std::error_code ec;
      const std::size_t n = body_.read(std::span<char>(pre_.data() + got, pre_.size() - got), ec);
      if (ec) {
        source_ec_ = ec;
        return false;
      }
      if (n == 0) break;
      got += n;
      if (got == pre_.size()) pre_.resize(pre_.size() * 2);  // the source said less: go on
    }
    pre_.resize(got);
    prefetched_ = true;
    return true;
  }

  // Read up to about chunk_size bytes from the body and encode them into out_.
  // Returns false on a source error (fatal_source_ set).
  bool fill(std::string& out, bool& end) {
    end = false;
    if (prefetched_) {
      const std::size_t take = std::min(pre_.size() - pre_pos_, opts_.chunk_size);
      const std::string_view piece = std::string_view(pre_).substr(pre_pos_, take);
      if (plain_)
        encoder_.append_plain(piece, out);
      else
        encoder_.encode(piece, out);
      pre_pos_ += take;
      if (pre_pos_ == pre_.size()) {
        end = true;
        encoder_.finish(out);
      }
      return true;
    }
    if (buf_.empty()) {
      // No bigger than needed: a small message must not pay for a 64 KiB buffer.
      std::size_t cap = std::min<std::size_t>(opts_.chunk_size, 64 * 1024);
      if (known_size_)
        cap = static_cast<std::size_t>(std::min<std::uint64_t>(cap, *known_size_ + 1));
      buf_.resize(std::max<std::size_t>(cap, 1));
    }
    while (out.size() < opts_.chunk_size) {
      std::error_code ec;
      const std::size_t n = body_.read(std::span<char>(buf_.data(), buf_.size()), ec);
      if (ec) {
        source_ec_ = ec;
        return false;
      }
      if (n == 0) {
        end = true;
        encoder_.finish(out);
        return true;
      }
      read_total_ += n;
      encoder_.encode(std::string_view(buf_.data(), n), out);
      if (known_size_ && read_total_ >= *known_size_) {
        // The size is known: the next read would return 0; finish now, so BDAT can mark
        // this chunk LAST without an extra empty one.
        std::error_code ec2;
        char probe;
        if (body_.read(std::span<char>(&probe, 1), ec2) == 0 && !ec2) {
          end = true;
          encoder_.finish(out);
          return true;
        }
        if (ec2) {
          source_ec_ = ec2;
          return false;
        }
        encoder_.encode(std::string_view(&probe, 1), out);
        ++read_total_;
        known_size_.reset();
      }
    }
    return true;
  }

  net::action stream() {
    if (data_done_) {
      step_ = st::data_end;
      return step();
    }
    if (!known_size_init_) {
      known_size_init_ = true;
      known_size_ = body_.size();
    }
    out_.clear();
    bool end = false;
    if (!fill(out_, end)) return fatal(source_ec_);
    result_.bytes_sent += out_.size();
    if (end) data_done_ = true;
    if (out_.empty()) return stream();
    return write(out_, p_.options().timeouts.data_block);
  }

  // Append the next "BDAT n [LAST]" command and its n bytes to `out`. False on a source
  // error (nothing of this chunk appended).
  bool append_chunk(std::string& out) {
    if (!known_size_init_) {
      known_size_init_ = true;
      known_size_ = body_.size();
    }
    chunk_.clear();
    bool end = false;
    if (!fill(chunk_, end)) return false;
    last_chunk_ = end;
    out += "BDAT ";
    out += std::to_string(chunk_.size());
    if (end) out += " LAST";
    out += "\r\n";
    out += chunk_;
    result_.bytes_sent += chunk_.size();
    if (bdat_pipelined_) {
      ++chunks_in_flight_;
      last_sent_ = end;
    }
    return true;
  }

  net::action bdat_chunk() {
    out_.clear();
    if (!append_chunk(out_)) {
      // Nothing of this chunk is on the wire yet: RSET ends the transaction cleanly
      // (RFC 3030 §4: RSET discards the chunks received so far).
      error_ = source_ec_;
      return send_rset();
    }
    step_ = st::bdat;
    return write(out_, p_.options().timeouts.data_block);
  }

  // Pipelined BDAT (RFC 3030 §4.2): take the chunk replies that are buffered, keep up to
  // bdat_window chunks in flight, read when the window is full or the body all sent.
  net::action pump_bdat() {
    for (;;) {
      while (chunks_in_flight_ > 0) {
        server_reply rep;
        std::error_code ec;
        if (!p_.next_reply(rep, ec)) {
          if (ec) return fatal(ec);
          break;
        }
        if (rep.code == 421) return fatal(errc::service_closing);  // RFC 5321 §3.8
        if (!(rep.code >= 200 && rep.code < 600) || (rep.code >= 300 && rep.code < 400))
          return fatal(errc::unexpected_reply);
        --chunks_in_flight_;
        const bool final = last_sent_ && chunks_in_flight_ == 0;
        if (!positive(rep) && !error_) error_ = refusal(rep);
        if (final) {
          result_.final_reply = rep;
          if (!error_) {
            result_.delivered = true;
            return net::action::done();
          }
        }
      }
      if (!error_ && !last_sent_ && chunks_in_flight_ < bdat_window) {
        out_.clear();
        if (!append_chunk(out_)) {
          error_ = source_ec_;  // nothing of it sent: drain, then RSET
          continue;
        }
        return write(out_, p_.options().timeouts.data_block);
      }
      if (chunks_in_flight_ > 0)
        return net::action::read(last_sent_ ? p_.options().timeouts.data_end : command_timeout());
      // Everything answered and something failed (a chunk, or every recipient): the
      // transaction is over or pointless; RSET leaves the session clean (RFC 3030 §4).
      return finish_failed();
    }
  }

  std::unique_ptr<byte_source> owned_;  // declared before body_, which may refer to it
  byte_source& body_;
  envelope own_env_;                 // the envelope, unless borrowed
  const envelope* env_ = &own_env_;  // what start() reads
  send_options opts_;
  send_result result_;
  std::vector<std::string> rcpt_lines_;
  std::size_t rcpt_sent_ = 0;
  std::size_t rcpt_replies_ = 0;
  bool pipelined_ = false;
  bool data_pipelined_ = false;
  bool bdat_pipelined_ = false;
  bool last_sent_ = false;  // the LAST chunk is on the wire (pipelined BDAT)
  std::size_t chunks_in_flight_ = 0;
  bool prefetched_ = false;  // the whole body is in pre_
  bool plain_ = false;       // ... and needs no encoding (body_encoder::plain)
  std::string pre_;
  std::size_t pre_pos_ = 0;
  std::string chunk_;
  bool deferred_ = false;
  bool use_bdat_ = false;
  bool last_chunk_ = false;
  bool data_done_ = false;
  bool known_size_init_ = false;
  std::optional<std::uint64_t> known_size_;
  std::uint64_t read_total_ = 0;
  std::vector<char> buf_;
  body_encoder encoder_;
  std::error_code error_;
  std::error_code source_ec_;
  st step_ = st::start;
  std::error_code precheck_;
};

// The batch operation: one send_op per message, run in order on the same session.
//
// With PIPELINING (RFC 2920 §3.1: "The actual transfer of message content is explicitly
// allowed to be the first 'command' in a group") the write that ends one message's data
// also carries the next message's first group (MAIL FROM, RCPT TO..., DATA, or with
// CHUNKING its first BDAT chunks):
//
//   C: MAIL FROM / RCPT TO / DATA          S: 250 / 250 / 354
//   C: body 1, ".", MAIL / RCPT / DATA      S: 250 (message 1 queued) / 250 / 250 / 354
//   C: body 2, ".", MAIL / RCPT / DATA      ...
//
// so a small message costs one round trip and one write. The replies come in the order of
// the commands; both ops take theirs from the one reply parser of the session, the older op
// first (it runs until it is done before the newer one is resumed), so no reply can go to
// the wrong message. Only a message that has nothing left but its final reply is merged
// with the next (send_op::only_final_reply_left): a message that may still have to write
// (RSET after a refused pipelined BDAT chunk, the lone "." after an unexpected 354) ends
// before the next one starts, and the next one then begins with its own write.
//
// Per message ("nothing lost", RFC 5321 §4.1.1.4, §6.1): a message is sent when its final
// 2xx arrived, whatever happens later; a refusal (MAIL, every RCPT, the data) fails that
// message only; the session stays ready and the next transaction starts cleanly (send_op
// sends RSET when the server still holds a transaction; after "." the transaction is over
// whatever the reply). A fatal error (I/O, timeout, 421, protocol violation) fails the
// message in progress and, when its group was already on the wire, the next one with the
// same error (neither got its final reply); every later message fails at once with
// net::errc::connection_unusable, without I/O.
//
// The batch comes as a span (results collected, one per message: client::send_batch's vector
// form) or as a stream (messages pulled from batch_next one at a time, results handed to
// batch_report as they are known, nothing kept: any number of messages in constant memory).
// A streamed batch takes no further message once the session failed or a callback threw.
template <class R>
class batch_op final : public net::result_operation<R> {
  static constexpr bool stream = std::is_same_v<R, std::size_t>;

 public:
  /// Owning the messages (an async batch). The span stays valid: moving the vector hands
  /// its buffer over.
  batch_op(protocol& p, std::vector<batch_message> msgs, send_options opts) requires(!stream)
      : batch_op(p, std::span<const batch_message>(msgs), std::move(opts)) {
    owned_ = std::move(msgs);
  }
  /// The caller's messages read in place (a synchronous batch: they outlive the operation).
  batch_op(protocol& p, std::span<const batch_message> msgs, send_options opts) requires(!stream)
      : p_(p),
        msgs_(msgs),
        opts_(std::move(opts)),
        // Until a message finishes it counts as not sent (an operation that never ran, e.g.
        // operation_in_progress, leaves every message so).
        results_(msgs_.size(), batch_result{make_error_code(net::errc::connection_unusable), {}}) {}
  /// A streamed batch; `thrown` (may be null) receives an exception a callback threw.
  batch_op(protocol& p, batch_next next, batch_report report, send_options opts,
           std::exception_ptr* thrown) requires(stream)
      : p_(p),
        opts_(std::move(opts)),
        next_fn_(std::move(next)),
        report_fn_(std::move(report)),
        thrown_(thrown) {}

  R take_result() override {
    if constexpr (stream)
      return started_;
    else
      return std::move(results_);
  }

  net::action resume(const net::io_result& r) override {
    if (!cur_) return next_message();  // first call
    return drive(cur_->resume(r));
  }

 private:
  // The next message not yet started, or nullptr.
  const batch_message* fetch() {
    if constexpr (stream) {
      if (stopped_) return nullptr;
      try {
        const batch_message* m = next_fn_ ? next_fn_() : nullptr;
        if (!m) stopped_ = true;
        return m;
      } catch (...) {
        callback_threw();
        return nullptr;
      }
    } else {
      return started_ < msgs_.size() ? &msgs_[started_] : nullptr;
    }
  }

  void record(std::size_t i, batch_result&& r) {
    if constexpr (stream) {
      // Reported even after a callback threw: every message taken is accounted for.
      if (!report_fn_) return;
      try {
        report_fn_(i, r);
      } catch (...) {
        callback_threw();
      }
    } else {
      results_[i] = std::move(r);
    }
  }

  void callback_threw() {
    if (!callback_failed_ && thrown_) *thrown_ = std::current_exception();
    callback_failed_ = stopped_ = true;
  }

  std::unique_ptr<send_op> make(const batch_message& m) {
    if (!m.source)
      return std::make_unique<send_op>(p_, nullptr, m.env, opts_,
                                       std::make_error_code(std::errc::invalid_argument));
    return std::make_unique<send_op>(p_, *m.source, &m.env, opts_);
  }

  // The current op finished with `ec`: keep its result.
  void finish_current(std::error_code ec) {
    if (ec && !p_.usable() && !batch_ec_) {
      batch_ec_ = ec;
      if constexpr (stream) stopped_ = true;  // nothing more can be sent
    }
    record(cur_i_, batch_result{ec, cur_->take_result()});
    cur_.reset();
  }

  // Start the next message not yet started; messages that end at once (a check failed,
  // the session is unusable) are recorded and skipped.
  net::action next_message() {
    while (const batch_message* m = fetch()) {
      cur_i_ = started_++;
      cur_ = make(*m);
      net::action a = cur_->resume({});
      if (a.kind != net::action::type::done) return drive(std::move(a));
      finish_current(a.ec);
    }
    if (!batch_ec_ && callback_failed_) return net::action::done(net::errc::cancelled);
    return net::action::done(batch_ec_);
  }

  // Hand the current op's action to the driver, merging writes and switching ops.
  net::action drive(net::action a) {
    for (;;) {
      if (a.kind == net::action::type::done) {
        const std::error_code ec = a.ec;
        finish_current(ec);
        if (!next_) return next_message();
        cur_ = std::move(next_);
        cur_i_ = next_i_;
        if (!p_.usable()) {
          // The session ended before this message's replies came: not sent (its group may
          // have reached the server, but it never answered the data).
          finish_current(ec ? ec : make_error_code(net::errc::connection_unusable));
          return next_message();
        }
        if (pending_) {
          a = std::move(*pending_);
          pending_.reset();
          continue;
        }
        a = cur_->resume({});  // its first write went out with the previous message's end
        continue;
      }
      if (a.kind == net::action::type::write && !next_ && cur_->only_final_reply_left() &&
          p_.capabilities().pipelining && p_.usable())
        return merge(std::move(a));
      return a;
    }
  }

  // `a` ends the current message's data: start the next message and send its first write
  // with it (RFC 2920 §3.1).
  net::action merge(net::action a) {
    while (const batch_message* m = fetch()) {
      next_i_ = started_++;
      next_ = make(*m);
      net::action b = next_->resume({});
      if (b.kind == net::action::type::done) {
        // Refused before sending anything (a check failed): record it, try the one after.
        // A stream takes no third message while the current one is in flight (batch_next:
        // at most two): the one after starts when the current one is done.
        record(next_i_, batch_result{b.ec, next_->take_result()});
        next_.reset();
        if constexpr (stream) return a;
        continue;
      }
      if (b.kind != net::action::type::write) {
        pending_ = std::move(b);  // not a send_op's first step; run it after the current op
        return a;
      }
      merged_.assign(a.bytes.data(), a.bytes.size());
      merged_.append(b.bytes.data(), b.bytes.size());
      for (auto s : b.secrets) {
        s.offset += a.bytes.size();
        a.secrets.push_back(s);
      }
      a.bytes = merged_;
      return a;
    }
    return a;
  }

  protocol& p_;
  std::vector<batch_message> owned_;     // the messages, when the operation owns them
  std::span<const batch_message> msgs_;  // the messages (owned_ or the caller's)
  send_options opts_;
  std::vector<batch_result> results_;  // the span form's results
  batch_next next_fn_;                 // the stream form's supply and results
  batch_report report_fn_;
  std::exception_ptr* thrown_ = nullptr;
  bool stopped_ = false;          // stream: take no further message
  bool callback_failed_ = false;  // stream: a callback threw
  std::unique_ptr<send_op> cur_;  // the message whose replies are read now
  std::size_t cur_i_ = 0;
  std::unique_ptr<send_op> next_;  // the next message, its first write already sent
  std::size_t next_i_ = 0;
  std::optional<net::action> pending_;  // next_'s first action, when not a write
  std::size_t started_ = 0;             // messages started so far
  std::string merged_;                  // the merged write (valid until the next resume)
  std::error_code batch_ec_;            // the error that ended the session, if any
};

}  // namespace

std::unique_ptr<net::result_operation<std::vector<batch_result>>> make_batch_op(
    protocol& p, std::vector<batch_message> messages, send_options opts) {
  return std::make_unique<batch_op<std::vector<batch_result>>>(p, std::move(messages),
                                                               std::move(opts));
}

std::unique_ptr<net::result_operation<std::vector<batch_result>>> make_batch_op_borrowed(
    protocol& p, std::span<const batch_message> messages, send_options opts) {
  return std::make_unique<batch_op<std::vector<batch_result>>>(p, messages, std::move(opts));
}

std::unique_ptr<net::result_operation<std::size_t>> make_batch_stream_op(
    protocol& p, batch_next next, batch_report report, send_options opts,
    std::exception_ptr* thrown) {
  return std::make_unique<batch_op<std::size_t>>(p, std::move(next), std::move(report),
                                                 std::move(opts), thrown);
}

std::unique_ptr<net::result_operation<send_result>> make_send_op(protocol& p, byte_source& body,
                                                                 envelope env, send_options opts) {
  return std::make_unique<send_op>(p, body, std::move(env), std::move(opts));
}

std::unique_ptr<net::result_operation<send_result>> make_send_op(protocol& p,
                                                                 std::unique_ptr<byte_source> body,
                                                                 envelope env, send_options opts,
                                                                 std::error_code precheck) {
  if (!body && !precheck) precheck = std::make_error_code(std::errc::invalid_argument);
  return std::make_unique<send_op>(p, std::move(body), std::move(env), std::move(opts), precheck);
}

}  // namespace mailproto::smtp::detail

namespace mailproto::smtp {
std::size_t send_result::accepted() const noexcept {
  return detail::send_result_accepted(*this);
}
}  // namespace mailproto::smtp
