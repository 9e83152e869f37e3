// RFC 2047 encoded words: encoder (B or Q per word, folded) and decoder.
#include <mailproto/mime/charset.hpp>

#include <mailproto/mime/encoding.hpp>
#include "mime/utf8.hpp"

namespace mailproto::mime {
namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr std::size_t max_word = 75;  // RFC 2047 §2: an encoded-word is at most 75 chars
constexpr std::size_t max_line = 78;  // RFC 5322 §2.1.1: lines SHOULD be at most 78
constexpr std::string_view word_prefix = "=?UTF-8?";
constexpr std::size_t word_overhead = 12;  // "=?UTF-8?B?" + "?="
constexpr std::size_t max_charset_len = 64;
constexpr std::size_t max_encoded_text = 998;  // RFC 5322 §2.1.1 line limit

bool is_wsp(char c) noexcept {
  return c == ' ' || c == '\t';
}
bool is_fws(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2047 §4.2 and §5: may this byte appear unencoded in Q text?
bool q_literal(unsigned char c, word_context ctx) noexcept {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  if (ctx == word_context::phrase)  // §5 rule 3
    return alnum || c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
  // §4.2: printable ASCII except "=", "?", "_" and SPACE (which becomes "_").
  return c > 32 && c < 127 && c != '=' && c != '?' && c != '_';
}

std::size_t q_len(unsigned char c, word_context ctx) noexcept {
  return (c == ' ' || q_literal(c, ctx)) ? 1 : 3;
}

void q_append(std::string_view bytes, word_context ctx, std::string& out) {
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ') {
      out += '_';  // §4.2 rule 2
    } else if (q_literal(c, ctx)) {
      out += ch;
    } else {
      out += '=';
      out += hex_upper[c >> 4];
      out += hex_upper[c & 15];
    }
  }
}

// RFC 5322 §3.2.3 atext: what a phrase word may hold without quoting.
bool atext(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (char s : std::string_view("!#$%&'*+-/=?^_`{|}~"))
    if (c == static_cast<unsigned char>(s)) return true;
  return false;
}

struct token {
  std::string_view ws;    // whitespace before the token, as in the input
  std::string_view text;  // the word (for an encoded run, words and the blanks between)
  bool encode;
};

// Lays out tokens on lines of at most 78 columns; encoded runs become as many encoded
// words as needed, each chosen B or Q by which carries more of the text.
class folder {
 public:
  folder(word_context ctx, std::size_t first_col)
      : ctx_(ctx), col_(first_col), line_empty_(first_col == 0) {}

  void plain(std::string_view ws, std::string_view word) {
    if (!line_empty_ && !word.empty() && col_ + ws.size() + word.size() > max_line) break_line(ws);
    put(ws);
    put(word);
  }

  void encoded(std::string_view ws, std::string_view text) {
    std::size_t pos = 0;
    bool first = true;
    while (pos < text.size()) {
      // Blanks before this word: the input's before the first word, one space between the
      // words of a run (a decoder drops it, RFC 2047 §6.2).
      std::string_view sep = first ? ws : std::string_view(" ");
      // Fold when not even one 4-byte character fits on this line.
      if (!line_empty_ && room(sep.size()) < word_overhead + 12) break_line(sep);
      const std::size_t avail = room(sep.size());
      // How much of the text each encoding carries in `avail` columns.
      std::size_t q_end = pos, q_cols = 0;
      for (std::size_t i = pos; i < text.size();) {
        const std::size_t n = detail::utf8_char_len(text, i);
        std::size_t w = 0;
        for (std::size_t k = 0; k < n; ++k)
          w += q_len(static_cast<unsigned char>(text[i + k]), ctx_);
        if (word_overhead + q_cols + w > avail) break;
        q_cols += w;
        i += n;
        q_end = i;
      }
      std::size_t b_end = pos;
      for (std::size_t i = pos; i < text.size();) {
        const std::size_t n = detail::utf8_char_len(text, i);
        if (word_overhead + (i + n - pos + 2) / 3 * 4 > avail) break;
        i += n;
        b_end = i;
      }
      // The encoding that carries more text; for the same text the shorter one, and on a
      // tie Q, which stays readable.
      const std::size_t b_cols = (b_end - pos + 2) / 3 * 4;
      const bool use_q = q_end > b_end || (q_end == b_end && q_cols <= b_cols);
      std::size_t end = use_q ? q_end : b_end;
      if (end == pos)
        end = pos + detail::utf8_char_len(text, pos);  // only if header_name_length > 66
      put(sep);
      std::string word(word_prefix);
      word += use_q ? "Q?" : "B?";
      if (use_q)
        q_append(text.substr(pos, end - pos), ctx_, word);
      else
        word += base64_encode(text.substr(pos, end - pos), 0);
      word += "?=";
      put(word);
      pos = end;
      first = false;
    }
  }

  std::string take() { return std::move(out_); }

 private:
  // Columns left for a word placed after `sep` on the current line, at most 75.
  std::size_t room(std::size_t sep) const noexcept {
    const std::size_t used = col_ + sep;
    const std::size_t line_room = used >= max_line ? 0 : max_line - used;
    return line_room < max_word ? line_room : max_word;
  }
  void put(std::string_view s) {
    out_ += s;
    col_ += s.size();
    if (!s.empty()) line_empty_ = false;
  }
  // RFC 5322 §2.2.3 folding: CRLF goes before the blanks, which start the next line.
  void break_line(std::string_view& sep) {
    out_ += "\r\n";
    col_ = 0;
    line_empty_ = true;
    if (sep.empty()) sep = " ";
  }

  word_context ctx_;
  std::size_t col_;
  bool line_empty_;
  std::string out_;
};

// ---------------------------------------------------------------- decoding helpers

struct encoded_word {
  std::string_view charset;  // without an RFC 2231 "*language" suffix
  char encoding;             // 'b' or 'q'
  std::string_view text;
  std::size_t length;  // of the whole "=?...?=" form
};

// Parses "=?charset?e?text?=" at s[0]; false if it is not one (RFC 2047 §2).
bool parse_word(std::string_view s, encoded_word& w) {
  if (s.size() < 8 || s[0] != '=' || s[1] != '?') return false;
  const std::size_t q1 = s.find('?', 2);
  if (q1 == std::string_view::npos || q1 == 2 || q1 - 2 > max_charset_len) return false;
  std::string_view cs = s.substr(2, q1 - 2);
  for (char c : cs)
    if (static_cast<unsigned char>(c) <= 32 || static_cast<unsigned char>(c) >= 127) return false;
  if (q1 + 3 >= s.size() || s[q1 + 2] != '?') return false;
  const char e = s[q1 + 1];
  if (e != 'B' && e != 'b' && e != 'Q' && e != 'q') return false;
  const std::size_t start = q1 + 3;
  std::size_t i = start;
  for (; i + 1 < s.size(); ++i) {
    if (s[i] == '?' && s[i + 1] == '=') break;
    // encoded-text holds no blanks or controls (RFC 2047 §2). Real words are at most 75
    // characters; the generous bound keeps a scan for "?=" from going quadratic.
    if (static_cast<unsigned char>(s[i]) <= 32 || s[i] == 127) return false;
    if (i - start > max_encoded_text) return false;
  }
  if (i + 1 >= s.size()) return false;
  if (const auto star = cs.find('*'); star != std::string_view::npos) cs = cs.substr(0, star);
  if (cs.empty()) return false;
  w.charset = cs;
  w.encoding = (e == 'B' || e == 'b') ? 'b' : 'q';
  w.text = s.substr(start, i - start);
  w.length = i + 2;
  return true;
}

// Decodes the text of a word to bytes; false if it is malformed.
bool decode_text(const encoded_word& w, std::string& out) {
  if (w.encoding == 'b') {
    std::error_code ec;
    out += base64_decode(w.text, ec, true);
    return !ec;
  }
  for (std::size_t i = 0; i < w.text.size(); ++i) {
    const char c = w.text[i];
    if (c == '_') {
      out += ' ';  // §4.2 rule 2
    } else if (c == '=' && i + 2 < w.text.size() && hex_value(w.text[i + 1]) >= 0 &&
               hex_value(w.text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(w.text[i + 1]) * 16 + hex_value(w.text[i + 2]));
      i += 2;
    } else {
      out += c;  // lenient: a stray "=" stays as it is
    }
  }
  return true;
}

}  // namespace

std::string rfc2047_encode(std::string_view utf8, word_context ctx,
                           std::size_t header_name_length) {
  // Split into words with the blanks before each.
  std::vector<token> words;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const std::size_t ws_start = i;
    while (i < utf8.size() && is_wsp(utf8[i])) ++i;
    const std::size_t w_start = i;
    while (i < utf8.size() && !is_wsp(utf8[i])) ++i;
    words.push_back(
        {utf8.substr(ws_start, w_start - ws_start), utf8.substr(w_start, i - w_start), false});
  }
  // Which words must be encoded: non-ASCII or control bytes, a look-alike of an encoded
  // word, one too long to fit on a folded line and, in a phrase that has to be encoded
  // anyway, words that would need quoting.
  bool any = false;
  for (auto& w : words) {
    // A folded line holds the word after its blanks (at least one).
    const std::size_t indent = w.ws.empty() ? 1 : w.ws.size();
    bool enc = w.text.find("=?") != std::string_view::npos || indent + w.text.size() > max_line;
    for (char c : w.text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 33 || u > 126) enc = true;
    }
    w.encode = enc;
    any = any || enc;
  }
  if (any && ctx == word_context::phrase)
    for (auto& w : words)
      for (char c : w.text)
        if (!atext(static_cast<unsigned char>(c))) w.encode = true;

  folder f(ctx, header_name_length);
  for (std::size_t k = 0; k < words.size();) {
    if (words[k].text.empty()) {  // trailing blanks
      f.plain(words[k].ws, {});
      ++k;
      continue;
    }
    if (!words[k].encode) {
      f.plain(words[k].ws, words[k].text);
      ++k;
      continue;
    }
    // A run of words to encode, with the blanks between them, becomes one text:
    // whitespace between adjacent encoded words is not displayed (§6.2).
    std::size_t j = k + 1;
    while (j < words.size() && words[j].encode && !words[j].text.empty()) ++j;
    const char* b = words[k].text.data();
    const char* e = words[j - 1].text.data() + words[j - 1].text.size();
    f.encoded(words[k].ws, std::string_view(b, static_cast<std::size_t>(e - b)));
    k = j;
  }
  return f.take();
}

std::string rfc2047_decode(std::string_view value, std::error_code& ec) {
  ec.clear();
  std::string out;
  out.reserve(value.size());
  std::string pending;          // bytes of adjacent words in one charset, not yet converted
  std::string pending_charset;  // canonical
  std::size_t gap_start = 0;    // where the text after the last decoded word begins
  bool after_word = false;

  auto flush = [&] {
    if (pending_charset.empty()) return;
    std::error_code cec;
    std::string text = to_utf8(pending, pending_charset, cec);
    if (cec && !ec) ec = cec;
    out += text;
    pending.clear();
    pending_charset.clear();
  };

  std::size_t i = 0;
  while (i < value.size()) {
    const std::size_t at = value.find("=?", i);
    if (at == std::string_view::npos) break;
    encoded_word w;
    if (!parse_word(value.substr(at), w)) {
      i = at + 2;
      continue;
    }
    const std::string charset = canonical_charset(w.charset);
    std::string bytes;
    const bool ok = decode_text(w, bytes);
    const bool known = ok && charset_known(charset);
    if (!known) {
      if (!ec) ec = ok ? errc::unknown_charset : errc::bad_encoded_word;
      i = at + w.length;  // kept raw with the text around it
      continue;
    }
    // The text between the previous decoded word and this one.
    const std::string_view gap = value.substr(gap_start, at - gap_start);
    bool blank_gap = after_word;
    for (char c : gap)
      if (!is_fws(c)) blank_gap = false;
    if (blank_gap && charset == pending_charset) {
      pending += bytes;  // joined at byte level: a character may span words
    } else {
      flush();
      if (!blank_gap) out += gap;
      pending = std::move(bytes);
      pending_charset = charset;
    }
    after_word = true;
    i = at + w.length;
    gap_start = i;
  }
  flush();
  out += value.substr(gap_start);
  return out;
}

std::string rfc2047_decode(std::string_view value) {
  std::error_code ec;
  return rfc2047_decode(value, ec);
}

}  // namespace mailproto::mime
