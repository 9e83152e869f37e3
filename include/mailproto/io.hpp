// mailproto/io.hpp — byte sources and sinks: how protocols meet messages.
//
// The protocol modules never see MIME types: SMTP sends any `byte_source` (a built message,
// a file, a string), POP3 and IMAP deliver message bytes to any `byte_sink` (a file, a
// string, the MIME parser). Large messages stream through these in chunks, so memory stays
// flat whatever the message size.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace mailproto {

/// Something that produces bytes in order, a chunk at a time.
class byte_source {
 public:
  virtual ~byte_source() = default;
  /// Copy up to `buf.size()` bytes into `buf` and return how many; 0 means the end.
  /// On failure set `ec` (the return value is then ignored).
  virtual std::size_t read(std::span<char> buf, std::error_code& ec) = 0;
  /// The exact total size, if known in advance (used for SMTP SIZE, IMAP literals).
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }
};

/// Something that consumes bytes in order.
class byte_sink {
 public:
  virtual ~byte_sink() = default;
  /// Take `bytes`. On failure set `ec`; the producer then stops and reports it.
  virtual void write(std::string_view bytes, std::error_code& ec) = 0;
  /// Called once after the last write when the data was complete.
  virtual void finish(std::error_code& ec) { (void)ec; }
};

/// A source over bytes the caller keeps alive (or owns, with the std::string overload).
class string_source final : public byte_source {
 public:
  /// Owns `data` and produces it.
  explicit string_source(std::string data) : owned_(std::move(data)), view_(owned_) {}
  /// A source over `v` without copying it; `v`'s bytes must outlive the source.
  static string_source view(std::string_view v) { return string_source(v, 0); }
  std::size_t read(std::span<char> buf, std::error_code& ec) override;
  std::optional<std::uint64_t> size() const override { return view_.size(); }
  /// Moves, keeping the read position (a viewed source keeps viewing the same bytes).
  string_source(string_source&& o) noexcept;
  string_source& operator=(string_source&&) = delete;

 private:
  string_source(std::string_view v, int) : view_(v) {}
  std::string owned_;
  std::string_view view_;
  std::size_t pos_ = 0;
};

/// A source that reads a file in chunks.
class file_source final : public byte_source {
 public:
  /// Opens `path`; failures are reported by the first read (errc::no_such_file_or_directory...).
  explicit file_source(const std::string& path);
  ~file_source() override;
  file_source(const file_source&) = delete;
  file_source& operator=(const file_source&) = delete;
  std::size_t read(std::span<char> buf, std::error_code& ec) override;
  std::optional<std::uint64_t> size() const override { return size_; }

 private:
  std::FILE* f_ = nullptr;
  int open_errno_ = 0;
  std::optional<std::uint64_t> size_;
};

/// A sink that appends to a std::string (bounded by `max_size`; past it: file_too_large).
class string_sink final : public byte_sink {
 public:
  /// Appends to `out` (which must outlive the sink), at most `max_size` bytes in total.
  explicit string_sink(std::string& out, std::size_t max_size = SIZE_MAX)
      : out_(out), max_(max_size) {}
  void write(std::string_view bytes, std::error_code& ec) override;

 private:
  std::string& out_;
  std::size_t max_;
};

/// A sink that writes a file; the file is created at the first write and closed by finish().
class file_sink final : public byte_sink {
 public:
  /// Writes `path` (created or truncated at the first write).
  explicit file_sink(std::string path) : path_(std::move(path)) {}
  ~file_sink() override;
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;
  void write(std::string_view bytes, std::error_code& ec) override;
  void finish(std::error_code& ec) override;

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

/// A sink that calls a function for each chunk.
class callback_sink final : public byte_sink {
 public:
  /// The function called with each chunk; it may set the error_code to stop the producer.
  using fn = std::function<void(std::string_view, std::error_code&)>;
  /// Calls `f` for every chunk written.
  explicit callback_sink(fn f) : f_(std::move(f)) {}
  void write(std::string_view bytes, std::error_code& ec) override { f_(bytes, ec); }

 private:
  fn f_;
};

}  // namespace mailproto
