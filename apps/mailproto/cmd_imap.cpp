// `mailproto imap ...`: list folders, mailbox status, fetch, search, append, move, idle
// (RFC 9051). The usage text below is what `mailproto help imap` prints.
//
// Port 143 with STARTTLS by default; --tls implicit defaults to port 993.
#include "cli.hpp"

#include <mailproto/imap/client.hpp>

#include "progress.hpp"

#include <cctype>
#include <cstdio>
#include <iostream>

namespace {

using namespace mailproto;

constexpr const char* usage =
    "usage: mailproto imap folders [--json]\n"
    "       mailproto imap status MBOX [--json]\n"
    "       mailproto imap fetch MBOX [--uid] SET [--json]\n"
    "       mailproto imap fetch MBOX [--uid] SET --headers|--body|--raw [--out FILE]\n"
    "       mailproto imap search MBOX KEY... [--json]\n"
    "       mailproto imap append MBOX FILE [--json]\n"
    "       mailproto imap move MBOX [--uid] SET DEST [--json]\n"
    "       mailproto imap idle MBOX [--json]\n"
    "\n"
    "  folders          every folder (LIST \"\" *, RFC 9051 §6.3.9), names decoded to UTF-8;\n"
    "                   --json: [{\"name\": \"Sent\", \"delimiter\": \"/\",\n"
    "                   \"attributes\": [\"\\\\HasNoChildren\", \"\\\\Sent\"]}, ...]\n"
    "  status MBOX      message, unseen, UIDNEXT and UIDVALIDITY counts (STATUS, §6.3.11);\n"
    "                   --json: {\"mailbox\", \"messages\", \"unseen\", \"uidnext\", "
    "\"uidvalidity\"}\n"
    "  fetch MBOX SET   one line per message: UID, size, date, from, subject (FETCH, §6.4.5);\n"
    "                   --json: [{\"seq\", \"uid\", \"size\", \"flags\", \"date\", \"from\",\n"
    "                   \"subject\"}, ...]. SET is a sequence set (1, 2:4, 5:*), message\n"
    "                   numbers or, with --uid, UIDs\n"
    "      --headers    the header section (BODY[HEADER]) of each message, raw, instead\n"
    "      --body       the body (BODY[TEXT]) of each message, raw, instead\n"
    "      --raw        the whole message (BODY[]), raw, instead\n"
    "      --out FILE   write the raw bytes to FILE instead of stdout\n"
    "  search MBOX KEY...  the UIDs of matching messages (UID SEARCH, §6.4.4); keys:\n"
    "                   ALL SEEN UNSEEN FLAGGED DELETED ANSWERED FROM s TO s CC s\n"
    "                   SUBJECT s BODY s TEXT s SINCE d BEFORE d ON d (d: 1-Jan-2026)\n"
    "                   LARGER n SMALLER n UID set NOT key; several keys: all must match;\n"
    "                   --json: [uid, ...]\n"
    "  append MBOX FILE store the message in FILE (APPEND, §6.3.12; streamed);\n"
    "                   --json: {\"mailbox\", \"uidvalidity\", \"uid\"} (null when unknown)\n"
    "  move MBOX SET DEST  move messages (MOVE, RFC 6851; COPY + STORE + EXPUNGE without it);\n"
    "                   --json: {\"mailbox\", \"destination\", \"uidvalidity\", \"source_uids\",\n"
    "                   \"dest_uids\"} (UID sets as strings, \"\" when unknown)\n"
    "  idle MBOX        print events as they happen until interrupted (IDLE, RFC 2177);\n"
    "                   --json: one object per line: {\"mailbox\", \"exists\"} first, then\n"
    "                   {\"event\": "
    "\"exists\"|\"expunge\"|\"fetch\"|\"vanished\"|\"alert\"|\"bye\", ...}\n"
    "\n"
    "Port 143 with STARTTLS by default, 993 with --tls implicit; logs in as --user (SASL when\n"
    "the server offers a mechanism, else LOGIN). The password comes from MAILPROTO_PASSWORD\n"
    "or a prompt. Transfers over 1 MiB (fetch --raw/--body/--headers, append) show a progress\n"
    "bar on stderr when it is a terminal.\n";

struct session {
  imap::client c;
  std::error_code ec;
};

// Connect and log in; returns an exit status (0 = go on).
int open(cli::context& ctx, session& s) {
  if (ctx.opts.server.empty()) return cli::fail(2, "imap: --server is required");
  if (ctx.opts.user.empty()) return cli::fail(2, "imap: --user is required");
  const auto tls = ctx.opts.tls.value_or(net::tls_mode::starttls);
  imap::client_options o;
  o.net = ctx.connect_options(tls == net::tls_mode::implicit ? 993 : 143, tls);
  auto pw = ctx.password();
  if (!pw) return 2;
  s.c.connect(o, s.ec);
  if (s.ec) return cli::fail_connect(s.ec, s.c.last_reply(), o.net.tls, !s.c.last_reply().empty());
  // SASL when the server offers a mechanism that fits, else LOGIN.
  if (!s.c.caps().auth_mechanisms().empty())
    s.c.authenticate(sasl::credentials::with_password(ctx.opts.user, *pw), s.ec);
  else
    s.c.login(ctx.opts.user, *pw, s.ec);
  if (s.ec) return cli::fail(s.ec, s.c.last_reply());
  return 0;
}

int done(session& s) {
  std::error_code ec;
  s.c.logout(ec);
  return 0;
}

int fail(session& s) {
  return cli::fail(s.ec, s.c.last_reply());
}

int folders(cli::context& ctx, const std::vector<std::string>& a) {
  bool json = ctx.opts.json;
  for (const auto& x : a) {
    if (x == "--json")
      json = true;
    else
      return cli::fail(2, std::string("imap folders: unexpected argument ") + x);
  }
  session s;
  if (int rc = open(ctx, s)) return rc;
  auto list = s.c.list("", "*", s.ec);
  if (s.ec) return fail(s);
  if (json) {
    std::cout << '[';
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& f = list[i];
      std::cout << (i ? ", " : "") << "{\"name\": " << cli::json_string(f.name)
                << ", \"delimiter\": "
                << (f.delimiter.empty() ? "null" : cli::json_string(f.delimiter))
                << ", \"attributes\": [";
      for (std::size_t k = 0; k < f.attributes.size(); ++k)
        std::cout << (k ? ", " : "") << cli::json_string(f.attributes[k]);
      std::cout << "]}";
    }
    std::cout << "]\n";
  } else {
    for (const auto& f : list) std::cout << f.name << '\n';
  }
  return done(s);
}

std::string json_opt(const std::optional<std::uint32_t>& v) {
  return v ? std::to_string(*v) : "null";
}

int status(cli::context& ctx, const std::vector<std::string>& a) {
  if (a.size() != 1) return cli::fail(2, "imap status: MBOX expected");
  session s;
  if (int rc = open(ctx, s)) return rc;
  auto st = s.c.status(a[0], s.ec);
  if (s.ec) return fail(s);
  auto n = [](const std::optional<std::uint32_t>& v) { return v ? std::to_string(*v) : "?"; };
  if (ctx.opts.json)
    std::cout << "{\"mailbox\": " << cli::json_string(a[0])
              << ", \"messages\": " << json_opt(st.messages)
              << ", \"unseen\": " << json_opt(st.unseen)
              << ", \"uidnext\": " << json_opt(st.uidnext)
              << ", \"uidvalidity\": " << json_opt(st.uidvalidity) << "}\n";
  else
    std::cout << a[0] << ": " << n(st.messages) << " messages, " << n(st.unseen)
              << " unseen, uidnext " << n(st.uidnext) << ", uidvalidity " << n(st.uidvalidity)
              << '\n';
  return done(s);
}

class stdout_sink final : public byte_sink {
 public:
  void write(std::string_view b, std::error_code& ec) override {
    if (std::fwrite(b.data(), 1, b.size(), stdout) != b.size())
      ec = std::make_error_code(std::errc::io_error);
  }
};

// Appends every message's bytes to one file (file_sink would be finished once per message).
class append_file_sink final : public byte_sink {
 public:
  explicit append_file_sink(std::FILE* f) : f_(f) {}
  void write(std::string_view b, std::error_code& ec) override {
    if (std::fwrite(b.data(), 1, b.size(), f_) != b.size())
      ec = std::make_error_code(std::errc::io_error);
  }

 private:
  std::FILE* f_;
};

std::string from_of(const imap::fetch_message& m) {
  if (!m.envelope || m.envelope->from.empty()) return {};
  const auto& f = m.envelope->from[0];
  return f.name ? *f.name + " <" + f.email() + ">" : f.email();
}

int fetch(cli::context& ctx, const std::vector<std::string>& a) {
  std::string mbox, set, what, out_file;
  bool uid = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& x = a[i];
    if (x == "--uid")
      uid = true;
    else if (x == "--headers" || x == "--body" || x == "--raw")
      what = x;
    else if (x == "--out" && i + 1 < a.size())
      out_file = a[++i];
    else if (!x.empty() && x[0] == '-' && x != "-")
      return cli::fail(2, "imap fetch: unknown option " + x + " (see mailproto help imap)");
    else if (mbox.empty())
      mbox = x;
    else if (set.empty())
      set = x;
    else
      return cli::fail(2, "imap fetch: unexpected argument " + x);
  }
  auto seq = imap::sequence_set::parse(set);
  if (mbox.empty() || !seq) return cli::fail(2, "imap fetch: MBOX and a sequence set expected");
  if (!what.empty() && ctx.opts.json)
    return cli::fail(2, "imap fetch: --json lists messages; " + what +
                            " writes raw message bytes (use one or the other)");
  if (what.empty() && !out_file.empty())
    return cli::fail(2, "imap fetch: --out goes with --headers, --body or --raw");
  std::FILE* file = nullptr;
  if (!out_file.empty()) {
    file = std::fopen(out_file.c_str(), "wb");
    if (!file) return cli::fail(2, "imap fetch: cannot create \"" + out_file + "\"");
  }
  struct closer {
    std::FILE*& f;
    ~closer() {
      if (f) std::fclose(f);
    }
  } close_file{file};
  session s;
  if (int rc = open(ctx, s)) return rc;
  s.c.examine(mbox, s.ec);
  if (s.ec) return fail(s);
  imap::fetch_options fo;
  fo.uid = uid;
  imap::fetch_items items;
  items.uid();
  stdout_sink to_stdout;
  append_file_sink to_file(file);
  byte_sink& raw_out = file ? static_cast<byte_sink&>(to_file) : to_stdout;
  cli::progress_meter meter("fetch " + set, std::nullopt,
                            !what.empty() && cli::progress_enabled(ctx.opts.json));
  cli::counting_sink counted(raw_out, meter);
  std::vector<imap::fetch_message> listed;
  if (what.empty()) {
    items.flags().size().envelope();
    const bool json = ctx.opts.json;
    fo.on_message = [json, &listed](imap::fetch_message& m) {
      if (json) {
        listed.push_back(m);
        return;
      }
      std::cout << m.uid.value_or(0) << '\t' << m.size.value_or(0) << '\t'
                << (m.envelope ? m.envelope->date.value_or("") : "") << '\t' << from_of(m) << '\t'
                << (m.envelope ? m.envelope->subject.value_or("") : "") << '\n';
    };
  } else {
    items.body_section(what == "--headers" ? "HEADER" : what == "--body" ? "TEXT" : "");
    fo.body_sink = &counted;
  }
  s.c.fetch(*seq, items, fo, s.ec);
  meter.finish();
  std::fflush(stdout);
  if (file && std::fflush(file) != 0 && !s.ec)
    return cli::fail(1, "imap fetch: cannot write \"" + out_file + "\"");
  if (s.ec) return fail(s);
  if (ctx.opts.json) {
    std::cout << '[';
    for (std::size_t i = 0; i < listed.size(); ++i) {
      const auto& m = listed[i];
      std::cout << (i ? ", " : "") << "{\"seq\": " << m.seq << ", \"uid\": " << json_opt(m.uid)
                << ", \"size\": " << (m.size ? std::to_string(*m.size) : "null")
                << ", \"flags\": [";
      if (m.flags)
        for (std::size_t k = 0; k < m.flags->size(); ++k)
          std::cout << (k ? ", " : "") << cli::json_string((*m.flags)[k]);
      const bool env = m.envelope.has_value();
      std::cout << "], \"date\": "
                << (env && m.envelope->date ? cli::json_string(*m.envelope->date) : "null")
                << ", \"from\": " << cli::json_string(from_of(m)) << ", \"subject\": "
                << (env && m.envelope->subject ? cli::json_string(*m.envelope->subject) : "null")
                << '}';
    }
    std::cout << "]\n";
  }
  return done(s);
}

// Parses KEY... into a search key; returns false on an unknown key.
bool parse_keys(const std::vector<std::string>& a, std::size_t& i, imap::search_key& out) {
  using k = imap::search_key;
  auto up = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string w = up(a[i++]);
  auto arg = [&](std::string& v) {
    if (i >= a.size()) return false;
    v = a[i++];
    return true;
  };
  std::string v;
  if (w == "ALL")
    out = k::all();
  else if (w == "SEEN")
    out = k::seen();
  else if (w == "UNSEEN")
    out = k::unseen();
  else if (w == "FLAGGED")
    out = k::flagged();
  else if (w == "DELETED")
    out = k::deleted();
  else if (w == "ANSWERED")
    out = k::answered();
  else if (w == "NOT") {
    imap::search_key inner;
    if (i >= a.size() || !parse_keys(a, i, inner)) return false;
    out = k::not_(inner);
  } else if (w == "LARGER" || w == "SMALLER") {
    if (!arg(v)) return false;
    try {
      out = w == "LARGER" ? k::larger(std::stoull(v)) : k::smaller(std::stoull(v));
    } catch (...) {
      return false;
    }
  } else if (w == "UID") {
    if (!arg(v)) return false;
    auto s = imap::sequence_set::parse(v);
    if (!s) return false;
    out = k::uid(*s);
  } else if (w == "FROM" || w == "TO" || w == "SUBJECT" || w == "BODY" || w == "TEXT" ||
             w == "CC") {
    if (!arg(v)) return false;
    out = k::atom(w).arg(v);
  } else if (w == "SINCE" || w == "BEFORE" || w == "ON") {
    if (!arg(v)) return false;
    out = k::atom(w).arg_atom(v);
  } else {
    return false;
  }
  return true;
}

int search(cli::context& ctx, const std::vector<std::string>& a) {
  if (a.size() < 2) return cli::fail(2, "imap search: MBOX and search keys expected");
  imap::search_key key;
  bool first = true;
  for (std::size_t i = 1; i < a.size();) {
    imap::search_key one;
    if (!parse_keys(a, i, one)) return cli::fail(2, "imap search: bad search key near " + a[i - 1]);
    if (first)
      key = one;
    else
      key.and_(one);
    first = false;
  }
  session s;
  if (int rc = open(ctx, s)) return rc;
  s.c.examine(a[0], s.ec);
  if (s.ec) return fail(s);
  imap::search_options so;
  so.uid = true;
  auto r = s.c.search(key, so, s.ec);
  if (s.ec) return fail(s);
  if (ctx.opts.json) {
    std::cout << '[';
    for (std::size_t i = 0; i < r.ids.size(); ++i) std::cout << (i ? ", " : "") << r.ids[i];
    std::cout << "]\n";
  } else {
    for (auto id : r.ids) std::cout << id << '\n';
  }
  return done(s);
}

int append(cli::context& ctx, const std::vector<std::string>& a) {
  if (a.size() != 2) return cli::fail(2, "imap append: MBOX FILE expected");
  file_source src(a[1]);
  if (!src.size()) return cli::fail(2, "imap append: cannot read \"" + a[1] + "\"");
  session s;
  if (int rc = open(ctx, s)) return rc;
  cli::progress_meter meter("append " + a[1], src.size(), cli::progress_enabled(ctx.opts.json));
  cli::counting_source counted(src, meter);
  auto r = s.c.append(a[0], counted, {}, std::nullopt, s.ec);
  meter.finish();
  if (s.ec) return fail(s);
  if (ctx.opts.json)
    std::cout << "{\"mailbox\": " << cli::json_string(a[0])
              << ", \"uidvalidity\": " << json_opt(r.uidvalidity)
              << ", \"uid\": " << json_opt(r.uid) << "}\n";
  else if (r.uid)
    std::cout << "appended to " << a[0] << " as UID " << *r.uid << '\n';
  else
    std::cout << "appended to " << a[0] << '\n';
  return done(s);
}

int move(cli::context& ctx, const std::vector<std::string>& a) {
  std::vector<std::string> pos;
  bool uid = false;
  for (const auto& x : a) {
    if (x == "--uid")
      uid = true;
    else
      pos.push_back(x);
  }
  auto set = pos.size() == 3 ? imap::sequence_set::parse(pos[1]) : std::nullopt;
  if (!set) return cli::fail(2, "imap move: MBOX SET DEST expected");
  session s;
  if (int rc = open(ctx, s)) return rc;
  s.c.select(pos[0], s.ec);
  if (s.ec) return fail(s);
  auto r = s.c.move(*set, pos[2], uid, s.ec);
  if (s.ec) return fail(s);
  if (ctx.opts.json)
    std::cout << "{\"mailbox\": " << cli::json_string(pos[0])
              << ", \"destination\": " << cli::json_string(pos[2])
              << ", \"uidvalidity\": " << json_opt(r.uidvalidity)
              << ", \"source_uids\": " << cli::json_string(r.source_uids.to_string())
              << ", \"dest_uids\": " << cli::json_string(r.dest_uids.to_string()) << "}\n";
  else if (!r.dest_uids.empty())
    std::cout << "moved to " << pos[2] << "; new UIDs " << r.dest_uids.to_string() << '\n';
  else
    std::cout << "moved to " << pos[2] << '\n';
  return done(s);
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int idle(cli::context& ctx, const std::vector<std::string>& a) {
  if (a.size() != 1) return cli::fail(2, "imap idle: MBOX expected");
  session s;
  if (int rc = open(ctx, s)) return rc;
  auto m = s.c.select(a[0], s.ec);
  if (s.ec) return fail(s);
  const bool json = ctx.opts.json;
  if (json)
    std::cout << "{\"mailbox\": " << cli::json_string(a[0]) << ", \"exists\": " << m.exists << "}"
              << std::endl;
  else
    std::cout << a[0] << ": " << m.exists << " messages; waiting (Ctrl-C to stop)" << std::endl;
  imap::idle_options io;
  io.on_event = [json](const imap::event& e) {
    // One line per event; with --json one object per line ({"event": ..., ...}).
    auto line = [json](const char* name, const std::string& key, const std::string& value,
                       bool quoted) {
      if (json)
        std::cout << "{\"event\": \"" << name << "\", \"" << key
                  << "\": " << (quoted ? cli::json_string(value) : value) << "}" << std::endl;
      else  // as the untagged response says it (RFC 9051 §7.4.1, §7.5.1)
        std::cout << upper(name) << ' ' << value << std::endl;
    };
    switch (e.type) {
      case imap::event::kind::exists:
        line("exists", "number", std::to_string(e.number), false);
        break;
      case imap::event::kind::expunge:
        line("expunge", "number", std::to_string(e.number), false);
        break;
      case imap::event::kind::fetch: {
        std::string flags;
        if (e.message.flags)
          for (const auto& f : *e.message.flags)
            flags += (flags.empty() ? "" : json ? ", " : " ") + (json ? cli::json_string(f) : f);
        if (json)
          std::cout << "{\"event\": \"fetch\", \"number\": " << e.message.seq << ", \"flags\": ["
                    << flags << "]}" << std::endl;
        else
          std::cout << "FETCH " << e.message.seq << " FLAGS " << flags << std::endl;
        break;
      }
      case imap::event::kind::vanished:
        line("vanished", "uids", e.uids.to_string(), true);
        break;
      case imap::event::kind::alert:
        line("alert", "text", e.text, true);
        break;
      case imap::event::kind::bye:
        line("bye", "text", e.text, true);
        break;
      default:
        break;
    }
    return true;
  };
  for (;;) {  // re-issue IDLE each interval (RFC 2177: before 29 minutes)
    s.c.idle(io, s.ec);
    if (s.ec) return fail(s);
  }
}

int run_imap(cli::context& ctx) {
  if (ctx.args.empty())
    return cli::fail(2,
                     "imap: say folders, status, fetch, search, append, move or idle (see "
                     "mailproto help imap)");
  const std::string sub = ctx.args[0];
  const std::vector<std::string> rest(ctx.args.begin() + 1, ctx.args.end());
  if (sub == "folders") return folders(ctx, rest);
  if (sub == "status") return status(ctx, rest);
  if (sub == "fetch") return fetch(ctx, rest);
  if (sub == "search") return search(ctx, rest);
  if (sub == "append") return append(ctx, rest);
  if (sub == "move") return move(ctx, rest);
  if (sub == "idle") return idle(ctx, rest);
  return cli::fail(2, "imap: unknown subcommand " + sub + " (see mailproto help imap)");
}

}  // namespace

MAILPROTO_CLI_COMMAND(imap, "imap", "IMAP: list folders, status, fetch, search, append, move, idle",
                      usage, run_imap);
