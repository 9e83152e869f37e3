// The IMAP operations: one class per command or flow (see ops_base.hpp for the skeleton).
#include "imap/ops_base.hpp"

#include <mailproto/mime/parser.hpp>
#include <mailproto/sasl/base64.hpp>

#include <algorithm>
#include <array>

namespace mailproto::imap::detail {

std::error_code status_error(const response& r) {
  if (r.name == "OK") return {};
  if (r.name == "NO") {
    // RFC 5530 codes that mean "try again later".
    if (r.code == "UNAVAILABLE" || r.code == "INUSE" || r.code == "LIMIT" ||
        r.code == "OVERQUOTA" || r.code == "SERVERBUG" || r.code == "EXPUNGEISSUED")
      return errc::unavailable;
    return errc::no;
  }
  return errc::bad;
}

namespace {

std::error_code require_connected(const protocol& p) {
  if (p.state() == session_state::not_connected || p.state() == session_state::logged_out)
    return net::errc::not_connected;
  return {};
}

// COPYUID uidvalidity source-set dest-set (RFC 4315 §3)
void read_copyuid(const response& r, copy_result& out) {
  if (r.code != "COPYUID" || r.code_args.size() != 3) return;
  if (auto n = r.code_args[0].number()) out.uidvalidity = static_cast<std::uint32_t>(*n);
  if (auto s = sequence_set::parse(r.code_args[1].text)) out.source_uids = *s;
  if (auto s = sequence_set::parse(r.code_args[2].text)) out.dest_uids = *s;
}

// ------------------------------------------------------------------ connect

class connect_op final : public command_op<void> {
 public:
  using command_op::command_op;

  action resume(const io_result& r) override {
    if (step_ == step::start) {
      step_ = step::custom;
      ph_ = phase::connect;
      return action::connect();
    }
    return command_op::resume(r);
  }

 private:
  enum class phase { connect, greeting, capability, starttls, tls };

  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, ph_ == phase::starttls ? "STARTTLS" : "CAPABILITY");
    return {};
  }

  action on_custom(const io_result& r) override {
    switch (ph_) {
      case phase::connect:
        if (r.ec) return fatal(r.ec);
        p_.set_tls(p_.options().net.tls == net::tls_mode::implicit);
        ph_ = phase::greeting;
        return action::read();
      case phase::greeting: {
        if (r.ec) return fatal(io_error(r.ec));
        p_.parser().feed(r.data);
        std::error_code ec;
        const parser_event ev = p_.parser().next(ec);
        if (ec) return fatal(ec);
        if (ev.kind == parser_event::type::need_more) return action::read();
        const response& g = p_.parser().get();
        if (ev.kind != parser_event::type::response || g.type != response::kind::untagged)
          return fatal(errc::bad_greeting);
        // greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF  (RFC 9051 §7.1.4, §7.1.5)
        p_.set_reply(g);
        if (g.name == "BYE") return fatal(errc::bye);
        if (g.name == "OK")
          p_.set_state(session_state::not_authenticated);
        else if (g.name == "PREAUTH")
          p_.set_state(session_state::authenticated);
        else
          return fatal(errc::bad_greeting);
        p_.apply_untagged(g, true);
        p_.detect_quirks(g.text);
        return next_stage();
      }
      case phase::tls:
        if (r.ec) return fatal(r.ec);
        p_.set_tls(true);
        p_.forget_caps();  // RFC 9051 §6.2.1: discard what was learnt before TLS
        ph_ = phase::capability;
        return send_command();
      default:
        return fatal(errc::bad_response);
    }
  }

  action next_stage() {
    if (!p_.caps_known()) {
      ph_ = phase::capability;
      return send_command();
    }
    const auto mode = p_.options().net.tls;
    if ((mode == net::tls_mode::starttls || mode == net::tls_mode::starttls_if_available) &&
        !p_.tls_active()) {
      const bool offered =
          p_.caps().has("STARTTLS") && p_.state() == session_state::not_authenticated;
      if (offered) {
        ph_ = phase::starttls;
        return send_command();
      }
      if (mode == net::tls_mode::starttls) {
        p_.fail();
        final_ec_ = net::errc::starttls_not_offered;
        step_ = step::closing;
        return action::close();
      }
    }
    return finish({});
  }

  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) {
      if (ph_ == phase::starttls) p_.fail();  // we asked for TLS and did not get it
      if (ph_ == phase::starttls) return net::errc::tls_handshake_failed;
      return ec;
    }
    if (ph_ == phase::capability) {
      if (!p_.caps_known()) p_.set_caps({});
      handoff_ = true;
      pending_ = next_stage();
      return {};
    }
    // STARTTLS go-ahead: anything already buffered was sent before the handshake and could
    // be an injected response (RFC 3207 §4 analogue, CVE-2011-0411): refuse.
    handoff_ = true;
    if (p_.parser().has_buffered()) {
      pending_ = fatal(net::errc::data_before_tls_handshake);
      return {};
    }
    ph_ = phase::tls;
    step_ = step::custom;
    pending_ = action::start_tls();
    return {};
  }

  phase ph_ = phase::connect;
};

// ------------------------------------------------------------------ authentication

class post_auth_op : public command_op<void> {
 public:
  using command_op::command_op;

 protected:
  enum class stage { main, capability, enable };
  virtual std::error_code build_main(command_writer& w, const std::string& tag) = 0;
  virtual std::error_code main_done(const response& r) = 0;

  std::error_code build(command_writer& w, const std::string& tag) override {
    switch (stage_) {
      case stage::main:
        return build_main(w, tag);
      case stage::capability:
        w.begin(tag, "CAPABILITY");
        return {};
      case stage::enable:
        w.begin(tag, "ENABLE");
        for (const auto& e : to_enable_) w.atom(e);
        return {};
    }
    return {};
  }

  std::error_code on_done(const response& r) override {
    if (stage_ == stage::main) {
      if (auto ec = main_done(r)) return ec;
      p_.set_state(session_state::authenticated);
      // RFC 9051 §6.2.2/§6.2.3: capabilities may change after authentication; a server that
      // does not send them in the OK must be asked again.
      if (r.code != "CAPABILITY") p_.forget_caps();
    } else if (stage_ == stage::capability) {
      if (auto ec = status_error(r)) return ec;
    } else {
      return status_error(r);  // ENABLE refused: authenticated anyway, report it
    }
    if (!p_.caps_known()) {
      stage_ = stage::capability;
      again_ = true;
      return {};
    }
    to_enable_.clear();
    if (p_.caps().has("ENABLE"))
      for (const auto& e : p_.options().enable)
        if (p_.caps().has(e) && !p_.is_enabled(e)) to_enable_.push_back(e);
    if (!to_enable_.empty()) {
      stage_ = stage::enable;
      again_ = true;
    }
    return {};
  }

  stage stage_ = stage::main;
  std::vector<std::string> to_enable_;
};

class login_op final : public post_auth_op {
 public:
  login_op(protocol& p, std::string u, std::string pw)
      : post_auth_op(p), user_(std::move(u)), pass_(std::move(pw)) {}

 private:
  std::error_code check_state() override {
    if (auto ec = require_connected(p_)) return ec;
    if (p_.state() != session_state::not_authenticated) return errc::wrong_state;
    if (!p_.tls_active() && !p_.options().allow_plaintext_auth)
      return net::errc::plaintext_auth_refused;
    if (p_.caps().has("LOGINDISABLED")) return errc::not_supported;  // RFC 9051 §6.2.3
    return {};
  }
  std::error_code build_main(command_writer& w, const std::string& tag) override {
    w.begin(tag, "LOGIN").astring(user_).astring_secret(pass_);
    return {};
  }
  std::error_code main_done(const response& r) override {
    if (r.name == "NO") return errc::authentication_failed;
    return status_error(r);
  }
  std::string user_, pass_;
};

class authenticate_op final : public post_auth_op {
 public:
  authenticate_op(protocol& p, sasl::credentials c) : post_auth_op(p), creds_(std::move(c)) {}

 private:
  std::error_code check_state() override {
    if (auto ec = require_connected(p_)) return ec;
    if (p_.state() != session_state::not_authenticated) return errc::wrong_state;
    std::error_code ec;
    const std::string name =
        sasl::choose(p_.caps().auth_mechanisms(), creds_, p_.tls_active(),
                     p_.options().allow_plaintext_auth, p_.options().sasl_mechanism, ec);
    if (ec) return ec;
    sasl::mechanism_options mo;
    mo.host = p_.options().net.host;
    mo.port = p_.options().net.port;
    mech_ = sasl::make_mechanism(name, creds_, mo, ec);
    if (ec) return ec;
    if (!mech_) return sasl::errc::unknown_mechanism;
    return {};
  }

  std::error_code build_main(command_writer& w, const std::string& tag) override {
    // authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp] (RFC 9051 §6.2.2, 4959)
    w.begin(tag, "AUTHENTICATE").atom(mech_->name());
    if (mech_->client_first() && p_.caps().has("SASL-IR")) {
      std::error_code ec;
      const std::string ir = mech_->respond("", ec);
      if (ec) return ec;
      w.astring_secret(ir.empty() ? std::string("=") : sasl::base64_encode(ir));
      sent_first_ = true;
    }
    return {};
  }

  action on_continuation(const response& r) override {
    if (stage_ != stage::main || cancelled_) return fatal(errc::unexpected_continuation);
    // continue-req = "+" SP base64 ; the server-final of SCRAM may come this way (Dovecot)
    auto challenge = sasl::base64_decode(r.text);
    std::error_code ec;
    std::string resp;
    if (!challenge) {
      ec = sasl::errc::bad_challenge;
    } else if (mech_->client_first() && !sent_first_ && challenge->empty()) {
      resp = mech_->respond("", ec);  // the initial response, asked for with "+ "
      sent_first_ = true;
    } else {
      resp = mech_->respond(*challenge, ec);
    }
    if (ec) {  // RFC 9051 §6.2.2: "*" cancels the exchange; the server answers BAD
      sasl_ec_ = ec;
      cancelled_ = true;
      return write_extra("*\r\n");
    }
    std::string line = sasl::base64_encode(resp);
    std::vector<net::secret_span> secrets;
    if (!line.empty()) secrets.push_back({0, line.size()});
    line += "\r\n";
    return write_extra(std::move(line), std::move(secrets));
  }

  std::error_code main_done(const response& r) override {
    if (cancelled_) return sasl_ec_;
    if (r.name == "NO") return errc::authentication_failed;
    if (auto ec = status_error(r)) return ec;
    std::error_code ec;
    mech_->verify_success("", ec);
    if (ec) {
      p_.fail();  // the server could not prove it knows the password (SCRAM)
      return ec;
    }
    return {};
  }

  sasl::credentials creds_;
  std::unique_ptr<sasl::mechanism> mech_;
  bool sent_first_ = false;
  bool cancelled_ = false;
  std::error_code sasl_ec_;
};

// ------------------------------------------------------------------ small commands

class capability_op final : public command_op<capabilities> {
 public:
  using command_op::command_op;

 private:
  std::error_code check_state() override { return require_connected(p_); }
  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, "CAPABILITY");
    return {};
  }
  bool on_untagged(const response& r) override { return r.name == "CAPABILITY"; }
  std::error_code on_done(const response& r) override {
    result_ = p_.caps();
    return status_error(r);
  }
};

class enable_op final : public command_op<std::vector<std::string>> {
 public:
  enable_op(protocol& p, std::vector<std::string> e) : command_op(p), exts_(std::move(e)) {}

 private:
  std::error_code check_state() override {
    if (p_.state() != session_state::authenticated) return errc::wrong_state;
    if (!p_.caps().has("ENABLE") && !p_.caps().has("IMAP4rev2")) return errc::not_supported;
    if (exts_.empty()) return errc::invalid_argument;
    return {};
  }
  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, "ENABLE");
    for (const auto& e : exts_) w.atom(e);
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name != "ENABLED") return false;
    for (const auto& v : r.args)
      if (v.is_atom()) result_.push_back(v.text);
    return true;
  }
  std::vector<std::string> exts_;
};

class id_op final : public command_op<id_fields> {
 public:
  id_op(protocol& p, id_fields f) : command_op(p), fields_(std::move(f)) {}

 private:
  std::error_code check_state() override { return require_connected(p_); }
  std::error_code build(command_writer& w, const std::string& tag) override {
    // id = "ID" SP id-params-list ; id-params-list = "(" *(string SP nstring) ")" / nil
    w.begin(tag, "ID");
    if (fields_.empty()) {
      w.raw("NIL");
      return {};
    }
    w.open_list();
    for (const auto& [k, v] : fields_) w.string(k).nstring(v);
    w.close_list();
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name != "ID") return false;
    std::error_code ec;
    result_ = decode_id(r, ec);
    p_.detect_quirks("", result_);
    return true;
  }
  id_fields fields_;
};

class namespace_op final : public command_op<namespace_info> {
 public:
  using command_op::command_op;

 private:
  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, "NAMESPACE");
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name != "NAMESPACE") return false;
    result_ = decode_namespace(r, decode_ec_);
    return true;
  }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) return ec;
    return decode_ec_;
  }
  std::error_code decode_ec_;
};

class simple_op final : public command_op<void> {
 public:
  simple_op(protocol& p, std::string verb) : command_op(p), verb_(std::move(verb)) {}

 private:
  std::error_code check_state() override {
    if (auto ec = require_connected(p_)) return ec;
    if (verb_ == "NOOP") return {};
    if (verb_ == "UNSELECT" && !p_.caps().has("UNSELECT") && !p_.caps().has("IMAP4rev2"))
      return errc::not_supported;
    return require_selected();
  }
  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, verb_);
    return {};
  }
  bool on_untagged(const response& r) override {
    // CLOSE expunges silently (RFC 9051 §6.4.1: no EXPUNGE responses are sent)
    return verb_ == "CLOSE" && r.name == "EXPUNGE";
  }
  std::error_code on_done(const response& r) override {
    auto ec = status_error(r);
    if (!ec && (verb_ == "CLOSE" || verb_ == "UNSELECT")) {
      p_.set_state(session_state::authenticated);
      p_.mailbox() = {};
    }
    return ec;
  }
  std::string verb_;
};

class mailbox_op final : public command_op<void> {
 public:
  mailbox_op(protocol& p, std::string verb, std::string m, std::string to)
      : command_op(p), verb_(std::move(verb)), mbox_(std::move(m)), to_(std::move(to)) {}

 private:
  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, verb_).mailbox(mbox_);
    if (verb_ == "RENAME") w.mailbox(to_);
    return {};
  }
  std::string verb_, mbox_, to_;
};

// ------------------------------------------------------------------ mailboxes

class list_op final : public command_op<std::vector<list_entry>> {
 public:
  list_op(protocol& p, std::string ref, std::string pat, list_options o, bool lsub)
      : command_op(p), ref_(std::move(ref)), pat_(std::move(pat)), o_(o), lsub_(lsub) {}

 private:
  std::error_code build(command_writer& w, const std::string& tag) override {
    // list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    w.begin(tag, lsub_ ? "LSUB" : "LIST");
    if (ref_.empty())
      w.quoted("");
    else
      w.list_pattern(ref_);
    if (pat_.empty())
      w.quoted("");
    else
      w.list_pattern(pat_);
    if (lsub_) return {};
    const auto& c = p_.caps();
    const bool ext = c.has("LIST-EXTENDED") || c.has("IMAP4rev2");
    const bool su = o_.special_use && c.has("SPECIAL-USE") && ext;
    const bool st = o_.status_items != 0 && c.has("LIST-STATUS");
    if (su || st) {
      // RFC 5258 §4: with RETURN, child information is only sent when asked for.
      w.raw("RETURN").open_list();
      if (ext) w.raw("CHILDREN");
      if (su) w.raw("SPECIAL-USE");
      if (st) {
        w.raw("STATUS").open_list();
        write_status_items(w, o_.status_items);
        w.close_list();
      }
      w.close_list();
    }
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name == (lsub_ ? "LSUB" : "LIST")) {
      std::error_code ec;
      auto e = decode_list(r, p_.utf8(), ec);
      if (ec) {
        decode_ec_ = ec;
        return true;
      }
      result_.push_back(std::move(e));
      return true;
    }
    if (r.name == "STATUS") {
      std::error_code ec;
      auto s = decode_status(r, p_.utf8(), ec);
      if (ec) return true;
      for (auto& e : result_)
        if (e.name == s.mailbox) e.status = std::move(s);
      return true;
    }
    return false;
  }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) return ec;
    return decode_ec_;
  }

 public:
  static void write_status_items(command_writer& w, unsigned items) {
    static constexpr std::pair<unsigned, const char*> names[] = {
        {status_messages, "MESSAGES"},       {status_uidnext, "UIDNEXT"},
        {status_uidvalidity, "UIDVALIDITY"}, {status_unseen, "UNSEEN"},
        {status_deleted, "DELETED"},         {status_size, "SIZE"},
        {status_recent, "RECENT"},           {status_highestmodseq, "HIGHESTMODSEQ"}};
    for (const auto& [bit, name] : names)
      if (items & bit) w.raw(name);
  }

 private:
  std::string ref_, pat_;
  list_options o_;
  bool lsub_;
  std::error_code decode_ec_;
};

class status_op final : public command_op<status_info> {
 public:
  status_op(protocol& p, std::string m, unsigned items)
      : command_op(p), mbox_(std::move(m)), items_(items) {}

 private:
  std::error_code build(command_writer& w, const std::string& tag) override {
    if (items_ == 0) return errc::invalid_argument;
    w.begin(tag, "STATUS").mailbox(mbox_).open_list();
    list_op::write_status_items(w, items_);
    w.close_list();
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name != "STATUS") return false;
    result_ = decode_status(r, p_.utf8(), decode_ec_);
    return true;
  }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) return ec;
    return decode_ec_;
  }
  std::string mbox_;
  unsigned items_;
  std::error_code decode_ec_;
};

// Several STATUS commands written at once (RFC 9051 §5.5: commands that do not depend on
// each other may be pipelined); each answer is matched to its command by tag and order.
class status_many_op final : public command_op<std::vector<status_entry>> {
 public:
  status_many_op(protocol& p, std::vector<std::string> boxes, unsigned items)
      : command_op(p), boxes_(std::move(boxes)), items_(items) {}

  action resume(const io_result& r) override {
    if (step_ != step::start) return command_op::resume(r);
    if (p_.failed()) return finish(net::errc::connection_unusable);
    if (auto ec = require_auth()) return finish(ec);
    if (boxes_.empty() || items_ == 0) return finish(errc::invalid_argument);
    // Build every command before anything is sent. A synchronising literal (a very long
    // name without LITERAL+) would need a "+" per command, so it cannot be pipelined.
    std::string all;
    for (std::size_t i = 0; i < boxes_.size(); ++i) {
      command_writer w(p_.lit_mode(), p_.utf8());
      w.begin(p_.opts_tag(i), "STATUS").mailbox(boxes_[i]).open_list();
      list_op::write_status_items(w, items_);
      w.close_list();
      if (auto ec = w.finish()) return finish(ec);
      if (w.parts().size() != 1) return finish(errc::invalid_argument);
      all += w.parts()[0].bytes;
    }
    for (std::size_t i = 0; i < boxes_.size(); ++i) tags_.push_back(p_.next_tag());
    tag_ = tags_[0];
    result_.resize(boxes_.size());
    for (std::size_t i = 0; i < boxes_.size(); ++i) result_[i].mailbox = boxes_[i];
    parts_.assign(1, command_writer::part{std::move(all), {}, false});
    idx_ = 0;
    return write_part();
  }

 private:
  std::error_code build(command_writer&, const std::string&) override {
    return errc::invalid_argument;  // resume() builds the pipelined commands itself
  }
  bool owns_tag(const std::string& tag) const override {
    return std::find(tags_.begin(), tags_.end(), tag) != tags_.end();
  }
  bool on_untagged(const response& r) override {
    if (r.name != "STATUS" || done_ >= result_.size()) return false;
    std::error_code ec;
    result_[done_].status = decode_status(r, p_.utf8(), ec);
    if (ec) result_[done_].error = ec;
    return true;
  }
  std::error_code on_done(const response& r) override {
    const auto it = std::find(tags_.begin(), tags_.end(), r.tag);
    const std::size_t i = static_cast<std::size_t>(it - tags_.begin());
    if (i != done_) {  // answers come in command order for these commands
      p_.fail();
      return errc::unexpected_tag;
    }
    if (auto ec = status_error(r)) {
      result_[i].error = ec;
      result_[i].reply = to_server_reply(r);
    }
    if (++done_ < tags_.size()) keep_reading_ = true;
    return {};
  }

  std::vector<std::string> boxes_;
  unsigned items_;
  std::vector<std::string> tags_;
  std::size_t done_ = 0;
};

class select_op final : public command_op<mailbox_state> {
 public:
  select_op(protocol& p, std::string m, bool ro, select_options o)
      : command_op(p), mbox_(std::move(m)), ro_(ro), o_(std::move(o)) {}
  bool events_for_own_fetch() const override { return false; }

 private:
  std::error_code build(command_writer& w, const std::string& tag) override {
    // select = "SELECT" SP mailbox [SP "(" select-param *(SP select-param) ")"]
    // (RFC 9051 §6.3.2, select-param: RFC 4466 §2.5, CONDSTORE / QRESYNC: RFC 7162)
    if (o_.condstore && !p_.caps().has("CONDSTORE")) return errc::not_supported;
    if (o_.qresync && !p_.is_enabled("QRESYNC")) return errc::not_supported;  // §3.2.5
    const auto& q = o_.qresync;
    if (q && (q->uidvalidity == 0 || q->modseq == 0 ||
              q->known_seqs.empty() != q->known_seq_uids.empty()))
      return errc::invalid_argument;
    w.begin(tag, ro_ ? "EXAMINE" : "SELECT").mailbox(mbox_);
    if (o_.condstore || q) {
      w.open_list();
      if (o_.condstore) w.raw("CONDSTORE");
      if (q) {
        // "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
        //     [SP seq-match-data] ")"   (RFC 7162 §3.2.5; seq-match-data needs known-uids)
        w.raw("QRESYNC").open_list().number(q->uidvalidity).number(q->modseq);
        if (!q->known_uids.empty() || !q->known_seqs.empty())
          w.sequence(q->known_uids.empty() ? sequence_set::range(1, 0) : q->known_uids);
        if (!q->known_seqs.empty())
          w.open_list().sequence(q->known_seqs).sequence(q->known_seq_uids).close_list();
        w.close_list();
      }
      w.close_list();
    }
    if (w.error()) return w.error();
    // RFC 9051 §6.3.2: a SELECT, even one that fails, deselects the current mailbox.
    p_.set_state(session_state::authenticated);
    p_.mailbox() = {};
    p_.mailbox().name = mbox_;
    p_.mailbox().read_only = ro_;
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name == "VANISHED") {  // RFC 7162 §3.2.10: (EARLIER) answers our QRESYNC
      bool earlier = false;
      std::error_code ec;
      const sequence_set uids = decode_vanished(r, earlier, ec);
      if (ec || !earlier) return false;
      for (const auto& [a, b] : uids.ranges()) p_.mailbox().vanished.add(a, b);
      return true;
    }
    if (r.name == "FETCH" && o_.qresync) {  // changed since modseq (§3.2.5.2)
      std::error_code ec;
      fetch_message m = decode_fetch(r, ec);
      if (!ec) p_.mailbox().changed.push_back(std::move(m));
      p_.track_fetch_modseq(r);
      return true;
    }
    return r.name == "EXISTS" || r.name == "RECENT" || r.name == "FLAGS" ||
           (r.name == "OK" && !r.code.empty());
  }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) {
      p_.mailbox() = {};
      return ec;
    }
    p_.set_state(session_state::selected);
    if (ro_) p_.mailbox().read_only = true;
    if (o_.condstore || o_.qresync) {
      if (!p_.is_enabled("CONDSTORE")) p_.add_enabled("CONDSTORE");  // RFC 7162 §3.1
    }
    result_ = p_.mailbox();
    return {};
  }
  std::string mbox_;
  bool ro_;
  select_options o_;
};

class append_op final : public command_op<append_result> {
 public:
  append_op(protocol& p, std::string m, byte_source& src, std::vector<std::string> flags,
            std::optional<std::string> date)
      : command_op(p),
        mbox_(std::move(m)),
        src_(src),
        flags_(std::move(flags)),
        date_(std::move(date)) {}

 private:
  std::error_code check_state() override {
    if (auto ec = require_auth()) return ec;
    if (auto n = src_.size()) {
      size_ = *n;
      return {};
    }
    // Size unknown: the literal needs it up front, so the message is read into memory.
    std::array<char, 64 * 1024> buf;
    std::error_code ec;
    for (;;) {
      const std::size_t n = src_.read(buf, ec);
      if (ec) return ec;
      if (n == 0) break;
      buffered_.append(buf.data(), n);
    }
    size_ = buffered_.size();
    use_buffer_ = true;
    return {};
  }
  std::error_code build(command_writer& w, const std::string& tag) override {
    // append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal
    // With UTF8=ACCEPT enabled the message may carry UTF-8 headers and goes as
    //   append-data =/ "UTF8" SP "(" literal8 ")"   (RFC 6855 §4)
    const bool utf8 = p_.is_enabled("UTF8=ACCEPT");
    w.begin(tag, "APPEND").mailbox(mbox_);
    if (!flags_.empty()) w.flag_list(flags_);
    if (date_) w.date_time(*date_);
    if (utf8) w.raw("UTF8").open_list();
    w.literal_header(size_, utf8);
    if (utf8) w.close_list();
    return {};
  }
  action advance() override {
    if (idx_ == 0 && !streamed_) {
      streaming_ = true;
      return next_chunk();
    }
    return command_op::advance();
  }
  action after_write() override {
    if (streaming_ && !extra_write_) return next_chunk();
    return command_op::after_write();
  }
  action next_chunk() {
    std::size_t n = 0;
    if (use_buffer_) {
      chunk_ = std::move(buffered_);
      buffered_.clear();
      n = chunk_.size();
    } else {
      chunk_.resize(64 * 1024);
      std::error_code ec;
      n = src_.read(std::span<char>(chunk_.data(), chunk_.size()), ec);
      if (ec) return fatal(ec);  // the literal was announced: the session cannot go on
      chunk_.resize(n);
    }
    if (n == 0) {
      if (sent_ != size_) return fatal(errc::invalid_argument);  // source shorter than size()
      streaming_ = false;
      streamed_ = true;
      idx_ = 1;
      return write_part();  // the CRLF that ends the command
    }
    sent_ += n;
    if (sent_ > size_) return fatal(errc::invalid_argument);  // longer than announced
    step_ = step::writing;
    return action::write(chunk_);
  }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) return ec;
    if (r.code == "APPENDUID" && r.code_args.size() == 2) {  // RFC 4315 §3
      if (auto n = r.code_args[0].number()) result_.uidvalidity = static_cast<std::uint32_t>(*n);
      if (auto n = r.code_args[1].number()) result_.uid = static_cast<std::uint32_t>(*n);
    }
    return {};
  }

  std::string mbox_;
  byte_source& src_;
  std::vector<std::string> flags_;
  std::optional<std::string> date_;
  std::uint64_t size_ = 0, sent_ = 0;
  std::string buffered_, chunk_;
  bool use_buffer_ = false, streaming_ = false, streamed_ = false;
};

// ------------------------------------------------------------------ messages

// Command builders shared by the single-command ops and the pipelined batch.

// fetch = ["UID" SP] "FETCH" SP sequence-set SP fetch-atts [fetch-modifiers]
// (RFC 9051 §6.4.5; CHANGEDSINCE: RFC 7162 §3.1.4.1)
void write_fetch(command_writer& w, const std::string& tag, const sequence_set& set,
                 const fetch_items& items, const fetch_options& o) {
  w.begin(tag, o.uid ? "UID FETCH" : "FETCH").sequence(set).fetch_atts(items);
  if (o.changed_since) w.open_list().raw("CHANGEDSINCE").number(o.changed_since).close_list();
}

// store = ["UID" SP] "STORE" SP sequence-set [store-modifiers] SP store-att-flags
// (RFC 9051 §6.4.6; UNCHANGEDSINCE: RFC 7162 §3.1.3)
void write_store(command_writer& w, const std::string& tag, const sequence_set& set,
                 store_mode mode, const std::vector<std::string>& flags, const store_options& o) {
  w.begin(tag, o.uid ? "UID STORE" : "STORE").sequence(set);
  if (o.unchanged_since)
    w.open_list().raw("UNCHANGEDSINCE").number(*o.unchanged_since).close_list();
  std::string att = mode == store_mode::add      ? "+FLAGS"
                    : mode == store_mode::remove ? "-FLAGS"
                                                 : "FLAGS";
  if (o.silent) att += ".SILENT";
  w.raw(att).flag_list(flags);
}

// search = ["UID" SP] "SEARCH" [search-return-opts] SP search-program (RFC 9051 §6.4.4,
// ESEARCH RFC 4731)
void write_search(command_writer& w, const std::string& tag, const protocol& p,
                  const search_key& key, const search_options& o) {
  w.begin(tag, o.uid ? "UID SEARCH" : "SEARCH");
  if (o.esearch && (p.caps().has("ESEARCH") || p.caps().has("IMAP4rev2")))
    w.raw("RETURN").open_list().raw("MIN").raw("MAX").raw("COUNT").raw("ALL").close_list();
  if (!o.charset.empty()) w.raw("CHARSET").astring(o.charset);
  w.search(key);
}

class fetch_op final : public command_op<std::vector<fetch_message>> {
 public:
  bool events_for_own_fetch() const override { return false; }
  fetch_op(protocol& p, sequence_set s, fetch_items i, fetch_options o)
      : command_op(p), set_(std::move(s)), items_(std::move(i)), o_(std::move(o)) {}
  ~fetch_op() override { p_.parser().set_stream_bodies(false); }

 private:
  std::error_code check_state() override { return require_selected(); }
  std::error_code build(command_writer& w, const std::string& tag) override {
    // fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
    //         "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
    write_fetch(w, tag, set_, items_, o_);
    if (o_.body_sink) p_.parser().set_stream_bodies(true);
    return {};
  }
  void on_literal(const parser_event& ev) override {
    switch (ev.kind) {
      case parser_event::type::literal_begin:
        if (!o_.body_sink) lost_ = true;
        if (o_.on_body && ev.number)
          o_.on_body(static_cast<std::uint32_t>(*ev.number), ev.item, ev.size);
        break;
      case parser_event::type::literal_chunk:
        if (o_.body_sink && !sink_ec_) o_.body_sink->write(ev.chunk, sink_ec_);
        break;
      default:
        break;
    }
  }
  bool on_untagged(const response& r) override {
    if (r.name != "FETCH") return false;
    std::error_code ec;
    if (o_.on_message) {  // one message at a time: decode into the same object (no churn)
      decode_fetch(r, msg_, ec);
      if (!ec) o_.on_message(msg_);
    } else {
      fetch_message m = decode_fetch(r, ec);
      if (!ec) result_.push_back(std::move(m));
    }
    if (ec && !decode_ec_) decode_ec_ = ec;
    return true;
  }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) return ec;
    if (o_.body_sink && !sink_ec_) o_.body_sink->finish(sink_ec_);
    if (sink_ec_) return sink_ec_;
    if (lost_) return errc::body_not_stored;  // a body too large to hold, and no sink
    return decode_ec_;
  }
  sequence_set set_;
  fetch_items items_;
  fetch_options o_;
  fetch_message msg_;  // reused for on_message
  std::error_code sink_ec_, decode_ec_;
  bool lost_ = false;
};

// One message fetched whole (BODY.PEEK[]) and streamed straight into the MIME parser: the
// local alternative to BODYSTRUCTURE when server_quirks::bodystructure_unreliable says
// the server's is wrong. The raw message is never held whole by this op.
class fetch_mime_op final : public command_op<mime::message> {
 public:
  fetch_mime_op(protocol& p, std::uint32_t n, bool uid, mime::parser_limits limits)
      : command_op(p), n_(n), uid_(uid), parser_(builder_, limits) {}
  ~fetch_mime_op() override { p_.parser().set_stream_bodies(false); }
  bool events_for_own_fetch() const override { return false; }

 private:
  std::error_code check_state() override {
    if (n_ == 0) return errc::invalid_argument;
    return require_selected();
  }
  std::error_code build(command_writer& w, const std::string& tag) override {
    fetch_options o;
    o.uid = uid_;
    write_fetch(w, tag, sequence_set::single(n_), fetch_items{}.body_section(), o);
    p_.parser().set_stream_bodies(true);  // every BODY[] literal comes as chunks
    return {};
  }
  void on_literal(const parser_event& ev) override {
    if (ev.kind == parser_event::type::literal_begin) {
      // The first BODY[] literal of our message (by number; for UID FETCH the server sends
      // only the one asked for, its sequence number being unknown here).
      mine_ = !seen_ && (uid_ || ev.number == std::optional<std::uint64_t>(n_));
      seen_ = seen_ || mine_;
    } else if (ev.kind == parser_event::type::literal_chunk && mine_ && !mime_ec_) {
      parser_.feed(ev.chunk, mime_ec_);
    } else if (ev.kind == parser_event::type::literal_end) {
      mine_ = false;
    }
  }
  bool on_untagged(const response& r) override { return r.name == "FETCH"; }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) return ec;
    if (!seen_) return errc::no;  // no such message: the server sent no body
    parser_.finish(mime_ec_);
    if (mime_ec_) return mime_ec_;
    result_ = builder_.take();
    return {};
  }
  std::uint32_t n_;
  bool uid_;
  mime::tree_builder builder_;
  mime::parser parser_;
  std::error_code mime_ec_;
  bool mine_ = false, seen_ = false;
};

class store_op final : public command_op<std::vector<fetch_message>> {
 public:
  bool events_for_own_fetch() const override { return false; }
  store_op(protocol& p, sequence_set s, store_mode m, std::vector<std::string> f, store_options o)
      : command_op(p), set_(std::move(s)), mode_(m), flags_(std::move(f)), o_(o) {}

 private:
  std::error_code check_state() override { return require_selected(); }
  std::error_code build(command_writer& w, const std::string& tag) override {
    // store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
    write_store(w, tag, set_, mode_, flags_, o_);
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name != "FETCH") return false;
    std::error_code ec;
    auto m = decode_fetch(r, ec);
    if (!ec) result_.push_back(std::move(m));
    return true;
  }
  sequence_set set_;
  store_mode mode_;
  std::vector<std::string> flags_;
  store_options o_;
};

class search_op final : public command_op<search_result> {
 public:
  search_op(protocol& p, search_key k, search_options o)
      : command_op(p), key_(std::move(k)), o_(std::move(o)) {}

 private:
  std::error_code check_state() override { return require_selected(); }
  std::error_code build(command_writer& w, const std::string& tag) override {
    // search = "SEARCH" [search-return-opts] SP search-program  (RFC 9051 §6.4.4, RFC 4731)
    write_search(w, tag, p_, key_, o_);
    result_.uid = o_.uid;
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name != "SEARCH" && r.name != "ESEARCH") return false;
    decode_search(r, result_, decode_ec_);
    return true;
  }
  std::error_code on_done(const response& r) override {
    if (auto ec = status_error(r)) return ec;
    result_.uid = o_.uid;
    return decode_ec_;
  }
  search_key key_;
  search_options o_;
  std::error_code decode_ec_;
};

// A command_batch (client::pipeline): the commands written together (RFC 9051 §5.5), in
// segments where the ambiguity rule requires waiting (see command_batch). Untagged data is
// matched to the command it answers: FETCH to the oldest FETCH/STORE still running, STATUS
// by mailbox name, ESEARCH by its (TAG "...") correlator (RFC 4731 §3.1), SEARCH to the
// oldest SEARCH still running. An unsolicited FETCH (a flag change made elsewhere) arriving
// while a FETCH/STORE runs cannot be told apart and is counted as its data — as in any
// IMAP client.
class batch_op final : public command_op<std::vector<batch_result>> {
 public:
  bool events_for_own_fetch() const override { return false; }
  batch_op(protocol& p, command_batch b) : command_op(p), batch_(std::move(b)) {}

  action resume(const io_result& r) override {
    if (step_ != step::start) return command_op::resume(r);
    if (p_.failed()) return finish(net::errc::connection_unusable);
    const auto& es = batch_.entries();
    if (es.empty()) return finish(errc::invalid_argument);
    bool needs_selected = false;
    for (const auto& e : es) needs_selected |= e.type != command_batch::entry::kind::status;
    if (auto ec = needs_selected ? require_selected() : require_auth()) return finish(ec);
    // Build every command before anything is sent (a bad argument sends nothing).
    std::vector<std::string> bytes(es.size());
    for (std::size_t i = 0; i < es.size(); ++i) {
      const auto& e = es[i];
      command_writer w(p_.lit_mode(), p_.utf8());
      const std::string tag = p_.opts_tag(i);
      switch (e.type) {
        case command_batch::entry::kind::fetch:
          if (e.fetch.body_sink) return finish(errc::invalid_argument);
          write_fetch(w, tag, e.set, e.items, e.fetch);
          break;
        case command_batch::entry::kind::store:
          write_store(w, tag, e.set, e.mode, e.flags, e.store);
          break;
        case command_batch::entry::kind::status:
          if (e.status_items == 0) return finish(errc::invalid_argument);
          w.begin(tag, "STATUS").mailbox(e.mailbox).open_list();
          list_op::write_status_items(w, e.status_items);
          w.close_list();
          break;
        case command_batch::entry::kind::search:
          write_search(w, tag, p_, e.key, e.search);
          break;
      }
      if (auto ec = w.finish()) return finish(ec);
      // A synchronising literal needs a "+" before the rest: not pipelinable.
      if (w.parts().size() != 1) return finish(errc::invalid_argument);
      bytes[i] = w.parts()[0].bytes;
    }
    // Segments: a command using sequence numbers after an EXPUNGE-permitting one waits.
    bool dirty = false;
    seg_start_.push_back(0);
    for (std::size_t i = 0; i < es.size(); ++i) {
      if (dirty && es[i].uses_sequence_numbers()) {
        seg_start_.push_back(i);
        dirty = false;
      }
      dirty |= es[i].permits_expunge();
    }
    seg_start_.push_back(es.size());
    for (std::size_t i = 0; i < es.size(); ++i) tags_.push_back(p_.next_tag());
    done_.assign(es.size(), false);
    got_.assign(es.size(), {});
    result_.resize(es.size());
    for (std::size_t i = 0; i < es.size(); ++i) {
      if (es[i].type == command_batch::entry::kind::search) {
        result_[i].search.emplace();
        result_[i].search->uid = es[i].search.uid;
      }
    }
    segments_.resize(seg_start_.size() - 1);
    for (std::size_t k = 0; k + 1 < seg_start_.size(); ++k)
      for (std::size_t i = seg_start_[k]; i < seg_start_[k + 1]; ++i) segments_[k] += bytes[i];
    tag_ = tags_[0];
    return write_segment();
  }

 private:
  using kind = command_batch::entry::kind;

  action write_segment() {
    parts_.assign(1, command_writer::part{std::move(segments_[seg_]), {}, false});
    idx_ = 0;
    return write_part();
  }
  std::error_code build(command_writer&, const std::string&) override {
    return errc::invalid_argument;  // resume() builds the pipelined commands itself
  }
  bool owns_tag(const std::string& tag) const override {
    return std::find(tags_.begin(), tags_.end(), tag) != tags_.end();
  }
  // The oldest command of the running segment that is not complete and accepts `pred`.
  template <class Pred>
  std::optional<std::size_t> running(Pred pred) const {
    for (std::size_t i = seg_start_[seg_]; i < seg_start_[seg_ + 1]; ++i)
      if (!done_[i] && pred(batch_.entries()[i])) return i;
    return std::nullopt;
  }
  bool on_untagged(const response& r) override {
    std::error_code ec;
    if (r.name == "FETCH") {
      const auto i = fetch_owner(r);
      if (!i) return false;
      got_[*i].push_back(fetch_key(r, batch_.entries()[*i]));
      const auto& e = batch_.entries()[*i];
      if (e.type == kind::fetch && e.fetch.on_message) {
        decode_fetch(r, msg_, ec);
        if (!ec) e.fetch.on_message(msg_);
      } else {
        fetch_message m = decode_fetch(r, ec);
        if (!ec) result_[*i].messages.push_back(std::move(m));
      }
      if (ec && !result_[*i].error) result_[*i].error = ec;
      return true;
    }
    if (r.name == "STATUS") {
      status_info st = decode_status(r, p_.utf8(), ec);
      auto i =
          running([&](const auto& e) { return e.type == kind::status && e.mailbox == st.mailbox; });
      if (!i) i = running([](const auto& e) { return e.type == kind::status; });
      if (!i) return false;
      result_[*i].status = std::move(st);
      if (ec && !result_[*i].error) result_[*i].error = ec;
      return true;
    }
    if (r.name == "SEARCH" || r.name == "ESEARCH") {
      std::optional<std::size_t> i;
      // search-correlator = SP "(" "TAG" SP tag-string ")"  (RFC 4731 §3.1)
      if (r.name == "ESEARCH" && !r.args.empty() && r.args[0].is_list() &&
          r.args[0].list.size() == 2 && r.args[0].list[0].atom_is("TAG")) {
        const auto it = std::find(tags_.begin(), tags_.end(), r.args[0].list[1].text);
        if (it != tags_.end()) i = static_cast<std::size_t>(it - tags_.begin());
      }
      if (!i) i = running([](const auto& e) { return e.type == kind::search; });
      if (!i || batch_.entries()[*i].type != kind::search) return false;
      decode_search(r, *result_[*i].search, ec);
      if (ec && !result_[*i].error) result_[*i].error = ec;
      return true;
    }
    return false;
  }
  std::error_code on_done(const response& r) override {
    const auto i =
        static_cast<std::size_t>(std::find(tags_.begin(), tags_.end(), r.tag) - tags_.begin());
    if (i < seg_start_[seg_] || i >= seg_start_[seg_ + 1] || done_[i]) {
      p_.fail();  // a completion for a command not sent yet, or twice
      return errc::unexpected_tag;
    }
    done_[i] = true;
    if (auto ec = status_error(r)) {
      result_[i].error = ec;
      result_[i].reply = to_server_reply(r);
    }
    for (std::size_t k = seg_start_[seg_]; k < seg_start_[seg_ + 1]; ++k)
      if (!done_[k]) {
        keep_reading_ = true;
        return {};
      }
    if (++seg_ + 1 < seg_start_.size()) {  // the next segment may go now
      pending_ = write_segment();
      handoff_ = true;
    }
    return {};
  }

  // The number a FETCH response is known by for entry `e`: its UID for UID commands.
  static std::uint32_t fetch_key(const response& r, const command_batch::entry& e) {
    const bool uid = e.type == kind::fetch ? e.fetch.uid : e.store.uid;
    if (uid && r.args.size() == 1 && r.args[0].is_list()) {
      const auto& l = r.args[0].list;
      for (std::size_t k = 0; k + 1 < l.size(); k += 2)
        if (l[k].atom_is("UID"))
          if (auto n = l[k + 1].number(); n && *n <= UINT32_MAX) return std::uint32_t(*n);
    }
    return r.number && *r.number <= UINT32_MAX ? std::uint32_t(*r.number) : 0;
  }
  // Whether the response carries every item a FETCH entry asked for (BODY.PEEK[x] comes
  // back as BODY[x]); a STORE's answer carries FLAGS (and UID / MODSEQ) only.
  static bool has_items(const response& r, const command_batch::entry& e) {
    if (r.args.size() != 1 || !r.args[0].is_list()) return false;
    const auto& l = r.args[0].list;
    auto up = [](char c) { return c >= 'a' && c <= 'z' ? char(c - 32) : c; };
    for (std::string want : e.items.items()) {
      if (const auto pk = want.find(".PEEK["); pk != std::string::npos) want.erase(pk, 5);
      if (const auto lt = want.find('<'); lt != std::string::npos) want.erase(lt);
      bool found = false;
      for (std::size_t k = 0; k < l.size() && !found; k += 2)
        found = l[k].is_atom() && l[k].text.size() >= want.size() &&
                std::equal(want.begin(), want.end(), l[k].text.begin(),
                           [&](char a, char b) { return up(a) == up(b); });
      if (!found) return false;
    }
    return true;
  }
  // Which running FETCH/STORE a FETCH response answers. Servers may interleave the answers
  // of pipelined commands (Dovecot sends a STORE's FETCH before the FETCH's completion), so:
  // the first running entry whose set holds the message, that has not had it yet, and (for
  // a FETCH) whose items it carries; failing that, the oldest running FETCH/STORE.
  std::optional<std::size_t> fetch_owner(const response& r) const {
    for (std::size_t i = seg_start_[seg_]; i < seg_start_[seg_ + 1]; ++i) {
      const auto& e = batch_.entries()[i];
      if (done_[i] || (e.type != kind::fetch && e.type != kind::store)) continue;
      if (e.type == kind::store && e.store.silent) continue;
      const std::uint32_t key = fetch_key(r, e);
      if (!e.set.contains(key, 0)) continue;
      if (std::find(got_[i].begin(), got_[i].end(), key) != got_[i].end()) continue;
      if (e.type == kind::fetch && !has_items(r, e)) continue;
      return i;
    }
    return running([](const auto& e) { return e.type == kind::fetch || e.type == kind::store; });
  }

  command_batch batch_;
  std::vector<std::vector<std::uint32_t>> got_;  // per entry: messages answered so far
  std::vector<std::string> tags_;
  std::vector<std::size_t> seg_start_;  // first command of each segment, then size()
  std::vector<std::string> segments_;   // the bytes of each segment
  std::size_t seg_ = 0;
  std::vector<bool> done_;
  fetch_message msg_;  // reused for on_message
};

class copy_op final : public command_op<copy_result> {
 public:
  copy_op(protocol& p, sequence_set s, std::string dest, bool uid, bool move)
      : command_op(p), set_(std::move(s)), dest_(std::move(dest)), uid_(uid), move_(move) {}

 private:
  enum class stage { move, copy, store, expunge };
  std::error_code check_state() override {
    if (auto ec = require_selected()) return ec;
    if (move_ && (p_.caps().has("MOVE") || p_.caps().has("IMAP4rev2")))
      stage_ = stage::move;
    else
      stage_ = stage::copy;
    return {};
  }
  std::error_code build(command_writer& w, const std::string& tag) override {
    const char* u = uid_ ? "UID " : "";
    switch (stage_) {
      case stage::move:  // RFC 6851 §3.1
        w.begin(tag, std::string(u) + "MOVE").sequence(set_).mailbox(dest_);
        break;
      case stage::copy:
        w.begin(tag, std::string(u) + "COPY").sequence(set_).mailbox(dest_);
        break;
      case stage::store:
        w.begin(tag, std::string(u) + "STORE").sequence(set_).raw("+FLAGS.SILENT");
        w.flag_list({"\\Deleted"});
        break;
      case stage::expunge:
        if (expunge_uids_.empty())
          w.begin(tag, "EXPUNGE");
        else
          w.begin(tag, "UID EXPUNGE").sequence(expunge_uids_);
        break;
    }
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name == "OK" && r.code == "COPYUID") {
      read_copyuid(r, result_);
      return true;
    }
    return false;  // EXPUNGE / VANISHED go through apply_untagged (mailbox state, events)
  }
  std::error_code on_done(const response& r) override {
    auto ec = status_error(r);
    read_copyuid(r, result_);
    if (ec || stage_ == stage::move || stage_ == stage::expunge) return ec;
    if (stage_ == stage::copy && !move_) return {};
    if (stage_ == stage::copy) {  // MOVE fallback (RFC 6851 §3.3): copied; now flag ...
      stage_ = stage::store;
      again_ = true;
      return {};
    }
    // ... and expunge only what was copied: UID EXPUNGE with UIDPLUS (RFC 4315 §2.1).
    const bool uidplus = p_.caps().has("UIDPLUS") || p_.caps().has("IMAP4rev2");
    if (uidplus) {
      expunge_uids_ = uid_ ? set_ : result_.source_uids;
      if (expunge_uids_.empty()) return {};  // cannot name them safely: leave \Deleted set
    }
    stage_ = stage::expunge;
    again_ = true;
    return {};
  }
  sequence_set set_;
  std::string dest_;
  bool uid_, move_;
  stage stage_ = stage::copy;
  sequence_set expunge_uids_;
};

class expunge_op final : public command_op<std::vector<std::uint32_t>> {
 public:
  expunge_op(protocol& p, std::optional<sequence_set> u) : command_op(p), uids_(std::move(u)) {}

 private:
  std::error_code check_state() override {
    if (auto ec = require_selected()) return ec;
    if (uids_ && !p_.caps().has("UIDPLUS") && !p_.caps().has("IMAP4rev2"))
      return errc::not_supported;
    return {};
  }
  std::error_code build(command_writer& w, const std::string& tag) override {
    if (uids_)
      w.begin(tag, "UID EXPUNGE").sequence(*uids_);
    else
      w.begin(tag, "EXPUNGE");
    return {};
  }
  bool on_untagged(const response& r) override {
    if (r.name == "EXPUNGE" && r.number) {
      result_.push_back(static_cast<std::uint32_t>(*r.number));
      return true;
    }
    if (r.name == "VANISHED") {
      bool earlier = false;
      std::error_code ec;
      for (auto u : decode_vanished(r, earlier, ec).expand()) result_.push_back(u);
      return true;
    }
    return false;
  }
  std::optional<sequence_set> uids_;
};

class idle_op final : public command_op<void> {
 public:
  idle_op(protocol& p, idle_options o) : command_op(p), o_(std::move(o)) {
    constexpr std::chrono::milliseconds cap = std::chrono::minutes(29) - std::chrono::seconds(1);
    if (o_.interval <= std::chrono::milliseconds(0) || o_.interval > cap) o_.interval = cap;
    wakeable_reads_ = true;  // client::stop_idle from another thread wakes them
  }

 private:
  std::error_code check_state() override {
    if (auto ec = require_auth()) return ec;
    if (!p_.caps().has("IDLE") && !p_.caps().has("IMAP4rev2")) return errc::not_supported;
    return {};
  }
  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, "IDLE");
    return {};
  }
  action on_continuation(const response&) override {
    if (idling_ || done_sent_) return fatal(errc::unexpected_continuation);
    idling_ = true;  // RFC 2177: "+ idling"; now only unsolicited responses until DONE
    read_timeout_ = o_.interval;
    // The caller may already have asked to stop: through idle_stop(), or by returning false
    // from on_event for a response that arrived before "+ idling".
    if (p_.idle_stop().load() || want_done_) return send_done();
    return process();
  }
  bool on_untagged(const response&) override { return static_cast<bool>(o_.on_event); }
  void on_event(const event& e) override {
    if (o_.on_event && !o_.on_event(e)) want_done_ = true;
  }
  std::optional<action> on_read_error(std::error_code ec) override {
    if (!idling_ || done_sent_) return std::nullopt;
    if (ec == net::errc::timeout) return send_done();
    if (ec == net::errc::cancelled) {
      if (!p_.idle_stop().load()) cancelled_ = true;
      return send_done();
    }
    return std::nullopt;
  }
  action after_write() override {
    if (extra_write_) {
      extra_write_ = false;
      return process();
    }
    return command_op::after_write();
  }
  action send_done() {
    done_sent_ = true;
    read_timeout_ = std::chrono::milliseconds(0);
    return write_extra("DONE\r\n");
  }
  std::error_code on_done(const response& r) override {
    p_.idle_stop() = false;
    if (auto ec = status_error(r)) return ec;
    if (cancelled_) return net::errc::cancelled;
    return {};
  }

  std::optional<action> after_event() override {
    if (want_done_ && !done_sent_ && idling_) return send_done();
    return std::nullopt;
  }

  idle_options o_;
  bool idling_ = false, done_sent_ = false, want_done_ = false, cancelled_ = false;
};

class logout_op final : public command_op<void> {
 public:
  using command_op::command_op;

 private:
  std::error_code check_state() override { return require_connected(p_); }
  std::error_code build(command_writer& w, const std::string& tag) override {
    w.begin(tag, "LOGOUT");
    return {};
  }
  bool on_untagged(const response& r) override { return r.name == "BYE"; }
  std::error_code on_done(const response& r) override {
    p_.set_state(session_state::logged_out);
    close_after_ = true;
    return status_error(r);
  }
  std::optional<action> on_read_error(std::error_code ec) override {
    if (ec == asio::error::eof && p_.bye_received()) {  // BYE, then the close: fine
      p_.set_state(session_state::logged_out);
      return finish({});
    }
    return std::nullopt;
  }
};

}  // namespace

op_ptr<void> make_connect_op(protocol& p) {
  return std::make_unique<connect_op>(p);
}
op_ptr<void> make_login_op(protocol& p, std::string user, std::string password) {
  return std::make_unique<login_op>(p, std::move(user), std::move(password));
}
op_ptr<void> make_authenticate_op(protocol& p, sasl::credentials creds) {
  return std::make_unique<authenticate_op>(p, std::move(creds));
}
op_ptr<capabilities> make_capability_op(protocol& p) {
  return std::make_unique<capability_op>(p);
}
op_ptr<std::vector<std::string>> make_enable_op(protocol& p, std::vector<std::string> exts) {
  return std::make_unique<enable_op>(p, std::move(exts));
}
op_ptr<id_fields> make_id_op(protocol& p, id_fields fields) {
  return std::make_unique<id_op>(p, std::move(fields));
}
op_ptr<namespace_info> make_namespace_op(protocol& p) {
  return std::make_unique<namespace_op>(p);
}
op_ptr<std::vector<list_entry>> make_list_op(protocol& p, std::string reference,
                                             std::string pattern, list_options o, bool lsub) {
  return std::make_unique<list_op>(p, std::move(reference), std::move(pattern), o, lsub);
}
op_ptr<status_info> make_status_op(protocol& p, std::string mailbox, unsigned items) {
  return std::make_unique<status_op>(p, std::move(mailbox), items);
}
op_ptr<std::vector<status_entry>> make_status_many_op(protocol& p,
                                                      std::vector<std::string> mailboxes,
                                                      unsigned items) {
  return std::make_unique<status_many_op>(p, std::move(mailboxes), items);
}
op_ptr<std::vector<batch_result>> make_batch_op(protocol& p, command_batch batch) {
  return std::make_unique<batch_op>(p, std::move(batch));
}
op_ptr<mailbox_state> make_select_op(protocol& p, std::string mailbox, bool read_only,
                                     select_options o) {
  return std::make_unique<select_op>(p, std::move(mailbox), read_only, std::move(o));
}
op_ptr<void> make_mailbox_op(protocol& p, std::string verb, std::string mailbox, std::string to) {
  return std::make_unique<mailbox_op>(p, std::move(verb), std::move(mailbox), std::move(to));
}
op_ptr<void> make_simple_op(protocol& p, std::string verb) {
  return std::make_unique<simple_op>(p, std::move(verb));
}
op_ptr<append_result> make_append_op(protocol& p, std::string mailbox, byte_source& message,
                                     std::vector<std::string> flags,
                                     std::optional<std::string> date) {
  return std::make_unique<append_op>(p, std::move(mailbox), message, std::move(flags),
                                     std::move(date));
}
op_ptr<std::vector<fetch_message>> make_fetch_op(protocol& p, sequence_set set, fetch_items items,
                                                 fetch_options o) {
  return std::make_unique<fetch_op>(p, std::move(set), std::move(items), std::move(o));
}
op_ptr<mime::message> make_fetch_mime_op(protocol& p, std::uint32_t n, bool uid,
                                         mime::parser_limits limits) {
  return std::make_unique<fetch_mime_op>(p, n, uid, limits);
}
op_ptr<std::vector<fetch_message>> make_store_op(protocol& p, sequence_set set, store_mode mode,
                                                 std::vector<std::string> flags, store_options o) {
  return std::make_unique<store_op>(p, std::move(set), mode, std::move(flags), o);
}
op_ptr<search_result> make_search_op(protocol& p, search_key key, search_options o) {
  return std::make_unique<search_op>(p, std::move(key), std::move(o));
}
op_ptr<copy_result> make_copy_op(protocol& p, sequence_set set, std::string dest, bool uid,
                                 bool move) {
  return std::make_unique<copy_op>(p, std::move(set), std::move(dest), uid, move);
}
op_ptr<std::vector<std::uint32_t>> make_expunge_op(protocol& p, std::optional<sequence_set> uids) {
  return std::make_unique<expunge_op>(p, std::move(uids));
}
op_ptr<void> make_idle_op(protocol& p, idle_options o) {
  return std::make_unique<idle_op>(p, std::move(o));
}
op_ptr<void> make_logout_op(protocol& p) {
  return std::make_unique<logout_op>(p);
}

}  // namespace mailproto::imap::detail
