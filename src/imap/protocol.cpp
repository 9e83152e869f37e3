// IMAP session state; theory of operation in include/mailproto/imap/protocol.hpp.
#include <mailproto/imap/protocol.hpp>

namespace mailproto::imap {
namespace {
bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = char(x - 32);
    if (y >= 'a' && y <= 'z') y = char(y - 32);
    if (x != y) return false;
  }
  return true;
}
bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (ieq(hay.substr(i, needle.size()), needle)) return true;
  return false;
}
}  // namespace

server_reply to_server_reply(const response& r) {
  server_reply s;
  s.status = r.type == response::kind::continuation ? "+" : r.name;
  s.enhanced = r.code;
  s.lines.push_back(r.text);
  return s;
}

protocol::protocol(client_options opts) : opts_(std::move(opts)), parser_(opts_.limits) {}

bool protocol::is_enabled(std::string_view ext) const noexcept {
  for (const auto& e : enabled_)
    if (ieq(e, ext)) return true;
  return false;
}

bool protocol::utf8() const noexcept {
  return is_enabled("UTF8=ACCEPT") || is_enabled("IMAP4rev2");
}

literal_mode protocol::lit_mode() const noexcept {
  if (opts_.quirks.no_literal_plus) return literal_mode::synchronizing;
  if (caps_.has("LITERAL+")) return literal_mode::plus;
  if (caps_.has("LITERAL-")) return literal_mode::minus;
  return literal_mode::synchronizing;
}

std::string protocol::peek_tag() const {
  return opts_.tag_prefix + std::to_string(tag_ + 1);
}

std::string protocol::opts_tag(std::size_t k) const {
  return opts_.tag_prefix + std::to_string(tag_ + 1 + k);
}

std::string protocol::next_tag() {
  return opts_.tag_prefix + std::to_string(++tag_);
}

void protocol::set_reply(const response& r) {
  reply_ = to_server_reply(r);
}

void protocol::detect_quirks(std::string_view greeting, const id_fields& id) {
  std::string name;
  for (const auto& [k, v] : id)
    if (ieq(k, "name") && v) name = *v;
  if (contains_ci(greeting, "Dovecot") || contains_ci(name, "Dovecot"))
    opts_.quirks.sasl_final_as_continuation = true;
  if (contains_ci(greeting, "Microsoft Exchange") || contains_ci(name, "Microsoft Exchange"))
    opts_.quirks.bodystructure_unreliable = true;
}

std::optional<event> protocol::apply_untagged(const response& r, bool wanted) {
  // Response codes first: they may come on any status response (RFC 9051 §7.1).
  if (r.is_status() && !r.code.empty()) {
    const auto num = [&r]() -> std::optional<std::uint64_t> {
      return r.code_args.empty() ? std::nullopt : r.code_args[0].number();
    };
    if (r.code == "CAPABILITY") {
      set_caps(decode_capability(r.code_args));
    } else if (r.code == "UIDVALIDITY") {
      if (auto n = num()) mbox_.uidvalidity = static_cast<std::uint32_t>(*n);
    } else if (r.code == "UIDNEXT") {
      if (auto n = num()) mbox_.uidnext = static_cast<std::uint32_t>(*n);
    } else if (r.code == "UNSEEN") {
      if (auto n = num()) mbox_.unseen = static_cast<std::uint32_t>(*n);
    } else if (r.code == "HIGHESTMODSEQ") {
      if (auto n = num()) mbox_.highestmodseq = *n;
    } else if (r.code == "NOMODSEQ") {
      mbox_.nomodseq = true;
    } else if (r.code == "PERMANENTFLAGS") {
      std::error_code ec;
      if (!r.code_args.empty()) mbox_.permanent_flags = decode_flags(r.code_args[0], ec);
    } else if (r.code == "READ-ONLY") {
      mbox_.read_only = true;
    } else if (r.code == "READ-WRITE") {
      mbox_.read_only = false;
    } else if (r.code == "ALERT") {
      event e;
      e.type = event::kind::alert;
      e.code = r.code;
      e.text = r.text;
      emit(e);
      if (r.type == response::kind::untagged) return e;
    }
  }
  if (r.type != response::kind::untagged) return std::nullopt;
  if (r.name == "CAPABILITY") {
    set_caps(decode_capability(r.args));
    return std::nullopt;
  }
  if (r.name == "ENABLED") {
    for (const auto& v : r.args)
      if (v.is_atom() && !is_enabled(v.text)) enabled_.push_back(v.text);
    return std::nullopt;
  }
  if (r.name == "BYE") {
    bye_ = true;
    reply_ = to_server_reply(r);
    event e;
    e.type = event::kind::bye;
    e.text = r.text;
    if (!wanted) emit(e);
    return e;
  }
  const bool in_mailbox = state_ == session_state::selected;
  event e;
  if (r.name == "EXISTS" && r.number) {
    mbox_.exists = static_cast<std::uint32_t>(*r.number);
    e.type = event::kind::exists;
    e.number = mbox_.exists;
  } else if (r.name == "RECENT" && r.number) {
    mbox_.recent = static_cast<std::uint32_t>(*r.number);
    e.type = event::kind::recent;
    e.number = mbox_.recent;
  } else if (r.name == "EXPUNGE" && r.number) {
    if (mbox_.exists > 0) --mbox_.exists;
    e.type = event::kind::expunge;
    e.number = static_cast<std::uint32_t>(*r.number);
  } else if (r.name == "FLAGS" && !r.args.empty()) {
    std::error_code ec;
    mbox_.flags = decode_flags(r.args[0], ec);
    e.type = event::kind::flags;
    e.flags = mbox_.flags;
  } else if (r.name == "VANISHED") {
    std::error_code ec;
    e.type = event::kind::vanished;
    e.uids = decode_vanished(r, e.earlier, ec);
    if (ec) return std::nullopt;
    if (!e.earlier) {
      const auto n = e.uids.expand(0, 1 << 24).size();
      mbox_.exists = n > mbox_.exists ? 0 : mbox_.exists - static_cast<std::uint32_t>(n);
    }
  } else if (r.name == "FETCH") {
    std::error_code ec;
    e.type = event::kind::fetch;
    e.message = decode_fetch(r, ec);
    if (ec) return std::nullopt;
    if (e.message.modseq && mbox_.highestmodseq && *e.message.modseq > *mbox_.highestmodseq)
      mbox_.highestmodseq = e.message.modseq;
  } else if ((r.name == "OK" || r.name == "NO" || r.name == "BAD") && !r.text.empty() &&
             r.code != "ALERT") {
    e.type = event::kind::status;
    e.code = r.code;
    e.text = r.text;
    if (!wanted) emit(e);
    return e;
  } else {
    return std::nullopt;
  }
  if (!wanted && (in_mailbox || e.type == event::kind::exists)) emit(e);
  return e;
}

void protocol::track_fetch_modseq(const response& r) {
  if (r.args.size() != 1 || !r.args[0].is_list() || !mbox_.highestmodseq) return;
  const auto& l = r.args[0].list;
  for (std::size_t i = 0; i + 1 < l.size(); i += 2) {
    if (!l[i].atom_is("MODSEQ")) continue;
    const value& v = l[i + 1];  // "MODSEQ" SP "(" mod-sequence-value ")"
    if (v.is_list() && v.list.size() == 1)
      if (auto n = v.list[0].number(); n && *n > *mbox_.highestmodseq) mbox_.highestmodseq = n;
    return;
  }
}

}  // namespace mailproto::imap
