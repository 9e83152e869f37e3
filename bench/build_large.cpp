// build-large: build a message with one large file attachment and stream it to a file
// (default /dev/null), with mailproto::mime::message_builder. Reports the peak RSS of the
// process (getrusage ru_maxrss), the bytes written and the time.
//
//   bench_build_large FILE [OUT]
//
// Output, one line: "mailproto <peak RSS MiB> <bytes written> <seconds>".
// The builder reads the file in 48 KiB chunks and writes base64 lines in ~64 KiB chunks, so
// the peak stays flat (a few MiB) whatever the file size.
#include <mailproto/io.hpp>
#include <mailproto/mime/message_builder.hpp>

#include <sys/resource.h>
#include <chrono>
#include <cstdio>

namespace {

class counting_file_sink final : public mailproto::byte_sink {
 public:
  explicit counting_file_sink(std::FILE* f) : f_(f) {}
  void write(std::string_view b, std::error_code& ec) override {
    if (std::fwrite(b.data(), 1, b.size(), f_) != b.size())
      ec = std::make_error_code(std::errc::io_error);
    bytes += b.size();
  }
  std::uint64_t bytes = 0;

 private:
  std::FILE* f_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [OUT]\n", argv[0]);
    return 2;
  }
  const char* out_path = argc > 2 ? argv[2] : "/dev/null";
  const auto t0 = std::chrono::steady_clock::now();
  mailproto::mime::message_builder b;
  b.from("Alice <alice@example.test>")
      .to("Bob <bob@example.test>")
      .subject("Tiêu đề: a large attachment")
      .text("Thân gửi An, the file is attached.\n")
      .attach_file(argv[1], "large.bin");
  std::error_code ec;
  const auto expected = b.size(ec);
  if (ec) {
    std::fprintf(stderr, "build_large: %s\n", b.error_message().c_str());
    return 1;
  }
  std::FILE* f = std::fopen(out_path, "wb");
  if (!f) {
    std::perror(out_path);
    return 1;
  }
  counting_file_sink sink(f);
  b.write_to(sink, ec);
  std::fclose(f);
  if (ec) {
    std::fprintf(stderr, "build_large: %s\n", ec.message().c_str());
    return 1;
  }
  if (!expected || *expected != sink.bytes) {
    std::fprintf(stderr, "build_large: size() said %llu, wrote %llu\n",
                 static_cast<unsigned long long>(expected.value_or(0)),
                 static_cast<unsigned long long>(sink.bytes));
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("mailproto %.1f %llu %.3f\n", ru.ru_maxrss / 1024.0,
              static_cast<unsigned long long>(sink.bytes), secs);
  return 0;
}
