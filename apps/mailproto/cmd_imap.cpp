// `mailproto imap ...`: list folders, mailbox status, fetch, search, append, move, idle.
//
//   mailproto imap folders [--json]
//   mailproto imap status MBOX
//   mailproto imap fetch MBOX [--uid] SET [--headers|--body|--raw]
//   mailproto imap search MBOX KEY...
//   mailproto imap append MBOX FILE
//   mailproto imap move MBOX [--uid] SET DEST
//   mailproto imap idle MBOX
//
// Port 143 with STARTTLS by default; --tls implicit defaults to port 993.
#include "cli.hpp"

#include <mailproto/imap/client.hpp>

#include <cstdio>
#include <iostream>

namespace {

using namespace mailproto;

constexpr const char* usage =
    "usage: mailproto imap folders [--json]\n"
    "       mailproto imap status MBOX\n"
    "       mailproto imap fetch MBOX [--uid] SET [--headers|--body|--raw]\n"
    "       mailproto imap search MBOX KEY...   (ALL SEEN UNSEEN FLAGGED DELETED ANSWERED\n"
    "                                            FROM s TO s SUBJECT s BODY s TEXT s\n"
    "                                            SINCE d BEFORE d ON d LARGER n SMALLER n\n"
    "                                            UID set NOT key)\n"
    "       mailproto imap append MBOX FILE\n"
    "       mailproto imap move MBOX [--uid] SET DEST\n"
    "       mailproto imap idle MBOX            (prints events until interrupted)\n"
    "Connects to --server on port 143 with STARTTLS (993 with --tls implicit) as --user;\n"
    "the password comes from MAILPROTO_PASSWORD or a prompt.";

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
  if (s.ec) return cli::fail(s.ec, s.c.last_reply());
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

int status(cli::context& ctx, const std::vector<std::string>& a) {
  if (a.size() != 1) return cli::fail(2, "imap status: MBOX expected");
  session s;
  if (int rc = open(ctx, s)) return rc;
  auto st = s.c.status(a[0], s.ec);
  if (s.ec) return fail(s);
  auto n = [](const std::optional<std::uint32_t>& v) { return v ? std::to_string(*v) : "?"; };
  if (ctx.opts.json)
    std::cout << "{\"mailbox\": " << cli::json_string(a[0]) << ", \"messages\": " << n(st.messages)
              << ", \"unseen\": " << n(st.unseen) << ", \"uidnext\": " << n(st.uidnext)
              << ", \"uidvalidity\": " << n(st.uidvalidity) << "}\n";
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

int fetch(cli::context& ctx, const std::vector<std::string>& a) {
  std::string mbox, set, what;
  bool uid = false;
  for (const auto& x : a) {
    if (x == "--uid")
      uid = true;
    else if (x == "--headers" || x == "--body" || x == "--raw")
      what = x;
    else if (mbox.empty())
      mbox = x;
    else if (set.empty())
      set = x;
    else
      return cli::fail(2, "imap fetch: unexpected argument " + x);
  }
  auto seq = imap::sequence_set::parse(set);
  if (mbox.empty() || !seq) return cli::fail(2, "imap fetch: MBOX and a sequence set expected");
  session s;
  if (int rc = open(ctx, s)) return rc;
  s.c.examine(mbox, s.ec);
  if (s.ec) return fail(s);
  imap::fetch_options fo;
  fo.uid = uid;
  imap::fetch_items items;
  items.uid();
  stdout_sink out;
  if (what.empty()) {
    items.flags().size().envelope();
    fo.on_message = [](imap::fetch_message& m) {
      std::string from;
      if (m.envelope && !m.envelope->from.empty()) {
        const auto& f = m.envelope->from[0];
        from = f.name ? *f.name + " <" + f.email() + ">" : f.email();
      }
      std::cout << m.uid.value_or(0) << '\t' << m.size.value_or(0) << '\t'
                << (m.envelope ? m.envelope->date.value_or("") : "") << '\t' << from << '\t'
                << (m.envelope ? m.envelope->subject.value_or("") : "") << '\n';
    };
  } else {
    items.body_section(what == "--headers" ? "HEADER" : what == "--body" ? "TEXT" : "");
    fo.body_sink = &out;
  }
  s.c.fetch(*seq, items, fo, s.ec);
  std::fflush(stdout);
  if (s.ec) return fail(s);
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
  session s;
  if (int rc = open(ctx, s)) return rc;
  file_source src(a[1]);
  auto r = s.c.append(a[0], src, {}, std::nullopt, s.ec);
  if (s.ec) return fail(s);
  if (r.uid) std::cout << "appended as UID " << *r.uid << '\n';
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
  if (!r.dest_uids.empty()) std::cout << "moved; new UIDs " << r.dest_uids.to_string() << '\n';
  return done(s);
}

int idle(cli::context& ctx, const std::vector<std::string>& a) {
  if (a.size() != 1) return cli::fail(2, "imap idle: MBOX expected");
  session s;
  if (int rc = open(ctx, s)) return rc;
  auto m = s.c.select(a[0], s.ec);
  if (s.ec) return fail(s);
  std::cout << a[0] << ": " << m.exists << " messages; waiting (Ctrl-C to stop)" << std::endl;
  imap::idle_options io;
  io.on_event = [](const imap::event& e) {
    switch (e.type) {
      case imap::event::kind::exists:
        std::cout << "EXISTS " << e.number << std::endl;
        break;
      case imap::event::kind::expunge:
        std::cout << "EXPUNGE " << e.number << std::endl;
        break;
      case imap::event::kind::fetch:
        std::cout << "FETCH " << e.message.seq << " FLAGS";
        if (e.message.flags)
          for (const auto& f : *e.message.flags) std::cout << ' ' << f;
        std::cout << std::endl;
        break;
      case imap::event::kind::vanished:
        std::cout << "VANISHED " << e.uids.to_string() << std::endl;
        break;
      case imap::event::kind::alert:
        std::cout << "ALERT " << e.text << std::endl;
        break;
      case imap::event::kind::bye:
        std::cout << "BYE " << e.text << std::endl;
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
  if (ctx.args.empty()) return cli::fail(2, usage);
  const std::string sub = ctx.args[0];
  const std::vector<std::string> rest(ctx.args.begin() + 1, ctx.args.end());
  if (sub == "folders") return folders(ctx, rest);
  if (sub == "status") return status(ctx, rest);
  if (sub == "fetch") return fetch(ctx, rest);
  if (sub == "search") return search(ctx, rest);
  if (sub == "append") return append(ctx, rest);
  if (sub == "move") return move(ctx, rest);
  if (sub == "idle") return idle(ctx, rest);
  return cli::fail(2, "imap: unknown subcommand " + sub + "\n" + usage);
}

}  // namespace

MAILPROTO_CLI_COMMAND(imap, "imap", "IMAP: list folders, status, fetch, search, append, move, idle",
                      usage, run_imap);
