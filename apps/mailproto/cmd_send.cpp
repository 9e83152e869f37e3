// `mailproto send`: submit a message over SMTP (RFC 6409) and print each recipient's result.
// The usage text below is what `mailproto help send` prints.
//
// The envelope comes from the message (From/Sender; To, Cc, Bcc) unless --envelope-from /
// --rcpt are given. A Bcc header in a --message file is removed from the bytes sent.
#include "cli.hpp"

#include <mailproto/io.hpp>
#include <mailproto/mime/address.hpp>
#include <mailproto/mime/message_builder.hpp>
#include <mailproto/smtp/client.hpp>
#include <mailproto/smtp/send.hpp>

#include "progress.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

namespace {

namespace smtp = mailproto::smtp;
namespace mime = mailproto::mime;

constexpr const char* k_usage =
    "usage: mailproto send --message FILE [envelope options] [--json]\n"
    "       mailproto send --from ADDR --to ADDR [compose options] [envelope options] [--json]\n"
    "\n"
    "Sends one message over SMTP submission (RFC 6409): port 587 with STARTTLS (RFC 3207) by\n"
    "default, 465 with --tls implicit; logs in with AUTH (RFC 4954) when --user is given.\n"
    "Prints each recipient's reply; exits 0 when the server took the message, 1 otherwise.\n"
    "\n"
    "message (one of):\n"
    "  --message FILE      send FILE as it is (its Bcc header fields are removed)\n"
    "  compose options     as `mailproto compose`:\n"
    "    --from ADDR --to ADDR [--cc ADDR] [--bcc ADDR] --subject TEXT\n"
    "    [--text FILE|-] [--html FILE|-] [--attach FILE] [--inline FILE]\n"
    "    [--header 'Name: value']   (--to, --cc, --bcc, --attach ... may repeat)\n"
    "envelope options (RFC 5321 §3.3):\n"
    "  --envelope-from ADDR   MAIL FROM (default: the message's Sender, else From)\n"
    "  --rcpt ADDR            RCPT TO, may repeat (default: To, Cc and Bcc)\n"
    "  --all-or-nothing       send nothing unless every recipient is accepted\n"
    "  --transfer MODE        data | bdat | auto (default auto: BDAT, RFC 3030, when offered)\n"
    "\n"
    "--json: {\"delivered\": true, \"error\": \"\", \"recipients\": [{\"address\", \"accepted\",\n"
    "\"reply\": {\"code\", \"enhanced\", \"text\"}}, ...], \"reply\": {...}}.\n"
    "The password comes from MAILPROTO_PASSWORD or a prompt. A message over 1 MiB shows a\n"
    "progress bar on stderr when it is a terminal.\n";

bool read_file(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return !std::cin.bad();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return !f.bad();
}

std::string base_name(const std::string& p) {
  auto s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// A message file with its Bcc header fields removed: the (bounded) header section is held
// in memory, the body streams from the file.
class message_file_source final : public mailproto::byte_source {
 public:
  static constexpr std::size_t max_header = 1 << 20;

  // Returns an error text, or empty.
  std::string open(const std::string& path) {
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_) return "cannot open \"" + path + "\"";
    std::string raw;
    char buf[8192];
    std::size_t end = std::string::npos, sep = 0;
    while (raw.size() < max_header) {
      const std::size_t n = std::fread(buf, 1, sizeof buf, f_);
      if (n == 0) break;
      raw.append(buf, n);
      if ((end = find_header_end(raw, sep)) != std::string::npos) break;
    }
    if (end == std::string::npos) {
      if (raw.size() >= max_header) return "the header section is larger than 1 MiB";
      end = raw.size();
      sep = 0;
    }
    // Split header fields (a line starting with SP/HT continues the previous one).
    std::string head = raw.substr(0, end);
    std::size_t pos = 0;
    std::string field;
    auto flush = [&] {
      if (field.empty()) return;
      const auto colon = field.find(':');
      std::string name = colon == std::string::npos ? "" : field.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      // Unfold (RFC 5322 §2.2.3): drop the line breaks, keep the whitespace after them.
      std::string value;
      if (colon != std::string::npos)
        for (char c : field.substr(colon + 1))
          if (c != '\r' && c != '\n') value += c;
      if (name == "from" || name == "sender" || name == "to" || name == "cc" || name == "bcc")
        fields_.emplace_back(name, value);
      if (name != "bcc") head_ += field;  // RFC 5322 §3.6.3: Bcc is not transmitted
      field.clear();
    };
    while (pos < head.size()) {
      std::size_t nl = head.find('\n', pos);
      std::size_t stop = nl == std::string::npos ? head.size() : nl + 1;
      std::string line = head.substr(pos, stop - pos);
      if (!(line[0] == ' ' || line[0] == '\t')) flush();
      field += line;
      pos = stop;
    }
    flush();
    head_ += raw.substr(end, sep);  // the empty line
    rest_ = raw.substr(end + sep);  // body bytes already read
    long here = std::ftell(f_);
    std::fseek(f_, 0, SEEK_END);
    long total = std::ftell(f_);
    std::fseek(f_, here, SEEK_SET);
    size_ = head_.size() + rest_.size() + static_cast<std::uint64_t>(total - here);
    return {};
  }
  ~message_file_source() override {
    if (f_) std::fclose(f_);
  }

  std::size_t read(std::span<char> buf, std::error_code& ec) override {
    std::size_t n = 0;
    auto take = [&](std::string& s, std::size_t& off) {
      const std::size_t k = std::min(buf.size() - n, s.size() - off);
      std::copy_n(s.data() + off, k, buf.data() + n);
      off += k;
      n += k;
    };
    take(head_, head_off_);
    take(rest_, rest_off_);
    if (n < buf.size() && f_) {
      n += std::fread(buf.data() + n, 1, buf.size() - n, f_);
      if (std::ferror(f_)) ec = std::make_error_code(std::errc::io_error);
    }
    return n;
  }
  std::optional<std::uint64_t> size() const override { return size_; }

  /// The address lists of the header fields `name` ("from", "to", ...).
  std::vector<std::string> values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : fields_)
      if (n == name) out.push_back(v);
    return out;
  }

 private:
  static std::size_t find_header_end(const std::string& s, std::size_t& sep) {
    const auto a = s.find("\r\n\r\n");
    const auto b = s.find("\n\n");
    if (a != std::string::npos && (b == std::string::npos || a + 1 <= b)) {
      sep = 2;
      return a + 2;
    }
    if (b != std::string::npos) {
      sep = 1;
      return b + 1;
    }
    return std::string::npos;
  }
  std::FILE* f_ = nullptr;
  std::string head_, rest_;
  std::size_t head_off_ = 0, rest_off_ = 0;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::uint64_t size_ = 0;
};

// addr-specs of an address-list header value; false (and `err`) if it does not parse.
bool addresses(const std::string& value, std::vector<std::string>& out, std::string& err) {
  std::error_code ec;
  auto list = mime::parse_address_list(value, ec, &err);
  if (ec) return false;
  for (const auto& m : mime::flatten(list)) out.push_back(m.addr_spec());
  return true;
}

std::string reply_json(const mailproto::server_reply& r) {
  return "{\"code\": " + std::to_string(r.code) +
         ", \"enhanced\": " + cli::json_string(r.enhanced) +
         ", \"text\": " + cli::json_string(r.text()) + "}";
}

// The server's reply belongs to the message only when the server caused the error (a
// refusal, a failed AUTH), not to a local or TLS failure after an unrelated "220 Ready".
mailproto::server_reply reply_for(const std::error_code& ec, const mailproto::server_reply& r) {
  const std::string_view cat = ec.category().name();
  return cat.substr(0, 14) == "mailproto.smtp" ? r : mailproto::server_reply{};
}

int run_send(cli::context& ctx) {
  std::string message_file, envelope_from;
  std::vector<std::string> rcpts;
  smtp::send_options so;
  mime::message_builder b;
  bool composed = false, have_from = false, have_to = false, stdin_used = false;
  const auto& a = ctx.args;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string& opt = a[i];
    if (opt == "--all-or-nothing") {
      so.all_or_nothing = true;
      continue;
    }
    if (i + 1 >= a.size())
      return cli::fail(
          2, "send: unknown option or missing value: " + opt + " (see mailproto help send)");
    const std::string& v = a[++i];
    if (opt == "--message") {
      message_file = v;
    } else if (opt == "--envelope-from") {
      envelope_from = v;
    } else if (opt == "--rcpt") {
      rcpts.push_back(v);
    } else if (opt == "--transfer") {
      if (v == "data")
        so.transfer = smtp::transfer_mode::data;
      else if (v == "bdat")
        so.transfer = smtp::transfer_mode::bdat;
      else if (v == "auto")
        so.transfer = smtp::transfer_mode::automatic;
      else
        return cli::fail(2, "send: --transfer must be data, bdat or auto");
    } else if (opt == "--from") {
      b.from(v), composed = have_from = true;
    } else if (opt == "--to") {
      b.to(v), composed = have_to = true;
    } else if (opt == "--cc") {
      b.cc(v), composed = true;
    } else if (opt == "--bcc") {
      b.bcc(v), composed = true;
    } else if (opt == "--subject") {
      b.subject(v), composed = true;
    } else if (opt == "--text" || opt == "--html") {
      if (v == "-" && std::exchange(stdin_used, true))
        return cli::fail(2, "send: standard input can be read only once");
      std::string body;
      if (!read_file(v, body)) return cli::fail(2, "send: cannot read \"" + v + "\"");
      opt == "--text" ? b.text(body) : b.html(body);
      composed = true;
    } else if (opt == "--attach") {
      b.attach_file(v), composed = true;
    } else if (opt == "--inline") {
      b.inline_file(base_name(v), v), composed = true;
    } else if (opt == "--header") {
      const auto colon = v.find(':');
      if (colon == std::string::npos) return cli::fail(2, "send: --header wants 'Name: value'");
      std::string value = v.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      b.header(v.substr(0, colon), value), composed = true;
    } else {
      return cli::fail(2, "send: unknown option " + opt + " (see mailproto help send)");
    }
  }
  if (ctx.opts.server.empty()) return cli::fail(2, "send: --server is required");
  if (composed == !message_file.empty())
    return cli::fail(
        2, "send: give either --message FILE or compose options (see mailproto help send)");

  // ---- the message and its envelope, all checked before connecting
  smtp::envelope env;
  std::unique_ptr<mailproto::byte_source> src;
  if (composed) {
    if (!have_from || !have_to) return cli::fail(2, "send: --from and --to are required");
    if (b.validate()) return cli::fail(2, "send: " + b.error_message());
    env = smtp::envelope_of(b);
  } else {
    auto f = std::make_unique<message_file_source>();
    if (auto err = f->open(message_file); !err.empty()) return cli::fail(2, "send: " + err);
    std::string err;
    auto senders = f->values("sender");
    if (senders.empty()) senders = f->values("from");
    std::vector<std::string> from;
    for (const auto& v : senders)
      if (!addresses(v, from, err)) return cli::fail(2, "send: From/Sender: " + err);
    if (!from.empty()) env.from = from.front();
    for (const char* h : {"to", "cc", "bcc"})
      for (const auto& v : f->values(h)) {
        std::vector<std::string> list;
        if (!addresses(v, list, err)) return cli::fail(2, std::string("send: ") + h + ": " + err);
        for (auto& x : list) env.recipients.emplace_back(std::move(x));
      }
    src = std::move(f);
  }
  if (!envelope_from.empty()) env.from = envelope_from;
  if (!rcpts.empty()) env.recipients.assign(rcpts.begin(), rcpts.end());
  if (env.recipients.empty()) return cli::fail(2, "send: no recipients (To/Cc/Bcc or --rcpt)");

  // ---- the session
  const bool implicit = ctx.opts.tls && *ctx.opts.tls == mailproto::net::tls_mode::implicit;
  smtp::client c;
  std::error_code ec;
  const auto copts = ctx.connect_options(implicit ? 465 : 587, mailproto::net::tls_mode::starttls);
  c.connect(copts, ec);
  if (ec)
    return cli::fail_connect(ec, reply_for(ec, c.last_reply()), copts.tls, !c.last_reply().empty());
  if (!ctx.opts.user.empty()) {
    const auto pass = ctx.password();
    if (!pass) return 2;
    c.login(ctx.opts.user, *pass, ec);
    if (ec) return cli::fail(ec, reply_for(ec, c.last_reply()));
  }
  smtp::send_result r;
  if (composed) {
    // As smtp::send_message does (the builder's 8-bit/UTF-8 choices follow the server's
    // extensions), for the envelope given here; the source is ours to wrap.
    auto pm = smtp::detail::prepare_message(c, b, env);
    ec = pm.ec;
    env = std::move(pm.env);
    src = std::move(pm.source);
    if (ec) return cli::fail(2, "send: " + pm.error_text);
  }
  {
    cli::progress_meter meter("send", src->size(), cli::progress_enabled(ctx.opts.json));
    cli::counting_source counted(*src, meter);
    r = c.send(counted, env, so, ec);
    meter.finish();
  }
  if (ec && ec.category() == mime::mime_category())  // e.g. an attachment unreadable mid-way
    return cli::fail(2, "send: " + (b.error_message().empty() ? ec.message() : b.error_message()));
  const auto last = c.last_reply();
  std::error_code ignored;
  c.quit(ignored);

  if (ctx.opts.json) {
    std::string out = "{\"delivered\": " + std::string(r.delivered ? "true" : "false") +
                      ", \"error\": " + cli::json_string(ec ? ec.message() : "") +
                      ", \"recipients\": [";
    for (std::size_t i = 0; i < r.recipients.size(); ++i) {
      const auto& x = r.recipients[i];
      out += (i ? ", " : "") + std::string("{\"address\": ") + cli::json_string(x.address) +
             ", \"accepted\": " + (x.accepted ? "true" : "false") +
             ", \"reply\": " + reply_json(x.reply) + "}";
    }
    out += "], \"reply\": " + reply_json(r.final_reply.code ? r.final_reply : last) + "}";
    std::cout << out << "\n";
    return r.delivered ? 0 : 1;
  }
  for (const auto& x : r.recipients)
    std::cout << x.address << ": " << (x.accepted ? "accepted" : "REJECTED") << " ("
              << x.reply.to_string() << ")\n";
  if (ec) return cli::fail(ec, reply_for(ec, last));
  std::cout << "sent: " << r.final_reply.to_string() << "\n";
  return 0;
}

}  // namespace

MAILPROTO_CLI_COMMAND(send, "send", "send a message over SMTP submission", k_usage, run_send);
