// Internal to the message builder: its state, and the "plan" (a list of segments) that the
// serialiser turns into bytes chunk by chunk.
#pragma once

#include <mailproto/io.hpp>
#include <mailproto/mime/message_builder.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mailproto::mime {

struct message_builder::part_spec {
  enum class kind { memory, file, message_memory, message_file };
  kind k = kind::memory;
  std::shared_ptr<const std::string> data;  // memory kinds
  std::string path;                         // file kinds
  std::string filename;                     // UTF-8
  std::string media_type;
  std::string content_id;  // inline parts only, without <>
};

struct message_builder::state {
  std::vector<address> from, reply_to, to, cc, bcc;
  std::optional<mailbox> sender;
  std::optional<std::string> subject;
  std::optional<std::pair<std::chrono::system_clock::time_point, std::chrono::minutes>> date;
  std::string message_id;  // fixed by the caller, with <>
  std::string id_left;     // generated unique left part
  std::chrono::system_clock::time_point created;
  std::string in_reply_to, references;  // "<a@b> <c@d>"
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> text, html;
  std::vector<part_spec> inlines, attachments;
  std::uint64_t seed = 0;
};

namespace builder_detail {

/// SplitMix64: small, fast, good enough for boundaries (not for secrets).
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) noexcept : s_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t s_;
};

/// One piece of output.
struct segment {
  enum class kind {
    literal,        ///< `text` as is
    base64_memory,  ///< `data` base64-encoded in 76-column lines (no final CRLF)
    base64_file,    ///< the file at `path` (`in_size` octets) base64-encoded likewise
    raw_file,       ///< the file at `path` with line ends normalised to CRLF
  };
  kind k = kind::literal;
  std::string text;
  std::shared_ptr<const std::string> data;
  std::string path;
  std::uint64_t in_size = 0;   ///< input octets (files)
  std::uint64_t out_size = 0;  ///< output octets
};

struct plan {
  std::vector<segment> segs;
  std::uint64_t total = 0;
};

/// Validate the state and lay the message out. On error `why` names the bad value.
std::error_code build_plan(const message_builder::state& st, const build_options& opts, plan& p,
                           std::string& why);

/// Write the whole plan into `sink` (then sink.finish()).
void pump(plan& p, byte_sink& sink, std::error_code& ec);

/// A pull-based source over the plan.
std::unique_ptr<byte_source> make_source(plan p);

/// Line-end normaliser for raw message bytes: CR, LF and CRLF all become CRLF. Tracks the
/// longest line (without its CRLF) and whether any octet is >= 0x80 or NUL.
struct crlf_normaliser {
  bool prev_cr = false;
  std::uint64_t line = 0;
  std::uint64_t max_line = 0;
  bool eight_bit = false;
  bool nul = false;
  char last = '\n';  ///< last octet written ('\n' initially: empty input ends "cleanly")
  void feed(std::string_view in, std::string& out);
};

}  // namespace builder_detail
}  // namespace mailproto::mime
