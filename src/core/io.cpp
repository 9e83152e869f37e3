#include <mailproto/io.hpp>

#include <sys/stat.h>
#include <cerrno>
#include <cstring>

namespace mailproto {

string_source::string_source(string_source&& o) noexcept
    : owned_(std::move(o.owned_)), pos_(o.pos_) {
  // A view source keeps pointing at the caller's bytes; an owning one at its own copy.
  view_ =
      o.view_.data() == o.owned_.data() || o.owned_.empty() ? std::string_view(owned_) : o.view_;
  if (owned_.empty()) view_ = o.view_;
}

std::size_t string_source::read(std::span<char> buf, std::error_code&) {
  const std::size_t n = std::min(buf.size(), view_.size() - pos_);
  std::memcpy(buf.data(), view_.data() + pos_, n);
  pos_ += n;
  return n;
}

file_source::file_source(const std::string& path) {
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) {
    open_errno_ = errno;
    return;
  }
  struct stat st {};
  if (::fstat(fileno(f_), &st) == 0 && S_ISREG(st.st_mode))
    size_ = static_cast<std::uint64_t>(st.st_size);
}

file_source::~file_source() {
  if (f_) std::fclose(f_);
}

std::size_t file_source::read(std::span<char> buf, std::error_code& ec) {
  if (!f_) {
    ec = std::error_code(open_errno_ ? open_errno_ : EBADF, std::generic_category());
    return 0;
  }
  const std::size_t n = std::fread(buf.data(), 1, buf.size(), f_);
  if (n == 0 && std::ferror(f_)) ec = std::error_code(EIO, std::generic_category());
  return n;
}

void string_sink::write(std::string_view bytes, std::error_code& ec) {
  if (bytes.size() > max_ - out_.size()) {
    ec = std::make_error_code(std::errc::file_too_large);
    return;
  }
  out_.append(bytes);
}

file_sink::~file_sink() {
  if (f_) std::fclose(f_);
}

void file_sink::write(std::string_view bytes, std::error_code& ec) {
  if (!f_) {
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) {
      ec = std::error_code(errno, std::generic_category());
      return;
    }
  }
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
    ec = std::error_code(errno ? errno : EIO, std::generic_category());
}

void file_sink::finish(std::error_code& ec) {
  if (!f_) f_ = std::fopen(path_.c_str(), "wb");  // an empty message is still a file
  if (!f_) {
    ec = std::error_code(errno, std::generic_category());
    return;
  }
  if (std::fclose(f_) != 0) ec = std::error_code(errno, std::generic_category());
  f_ = nullptr;
}

}  // namespace mailproto
