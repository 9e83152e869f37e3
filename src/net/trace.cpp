#include <mailproto/net/trace.hpp>

#include <algorithm>
#include <ostream>

namespace mailproto::net {

trace_sink trace_to(std::ostream& os) {
  return [&os](std::string_view line) {
    os << line << '\n';
    os.flush();
  };
}

tracer::tracer(trace_sink sink, std::size_t max_line)
    : sink_(std::move(sink)), max_line_(max_line) {}

namespace {

// Printable form of one line: control bytes as \xHH (a trace must never inject escape
// sequences into a terminal), UTF-8 and other bytes >= 0x80 kept.
void append_escaped(std::string& out, std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : bytes) {
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace

void tracer::emit(char who, std::string& partial, std::string_view bytes) {
  // `partial` holds an escaped line in progress; lines end at LF (a preceding CR is dropped).
  while (!bytes.empty()) {
    const auto lf = bytes.find('\n');
    std::string_view piece = bytes.substr(0, lf);
    bytes = lf == std::string_view::npos ? std::string_view{} : bytes.substr(lf + 1);
    const bool complete = lf != std::string_view::npos;
    if (complete && !piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
    if (partial.size() < max_line_ + 8) append_escaped(partial, piece);
    if (complete) {
      std::string line;
      line.reserve(partial.size() + 3);
      line += who;
      line += ": ";
      if (partial.size() > max_line_) {
        line.append(partial, 0, max_line_);
        line += "...";
      } else {
        line += partial;
      }
      sink_(line);
      partial.clear();
    }
  }
}

void tracer::client(std::string_view bytes, const std::vector<secret_span>& secrets) {
  if (!sink_) return;
  if (secrets.empty()) return emit('C', client_partial_, bytes);
  std::vector<secret_span> s = secrets;
  std::sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  std::size_t pos = 0;
  for (const auto& span : s) {
    if (span.offset < pos || span.offset > bytes.size()) continue;
    emit('C', client_partial_, bytes.substr(pos, span.offset - pos));
    client_partial_ += "<redacted>";
    pos = std::min(bytes.size(), span.offset + span.length);
  }
  emit('C', client_partial_, bytes.substr(pos));
}

void tracer::server(std::string_view bytes) {
  if (!sink_) return;
  emit('S', server_partial_, bytes);
}

void tracer::flush() {
  if (!sink_) return;
  if (!client_partial_.empty()) {
    sink_("C: " + client_partial_ + "\\");
    client_partial_.clear();
  }
  if (!server_partial_.empty()) {
    sink_("S: " + server_partial_ + "\\");
    server_partial_.clear();
  }
}

void tracer::note(std::string_view text) {
  if (!sink_) return;
  flush();
  std::string line = "# ";
  append_escaped(line, text);
  sink_(line);
}

}  // namespace mailproto::net
