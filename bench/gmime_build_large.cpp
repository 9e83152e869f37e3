// build-large, anchor side: the same message built with GMime 3 in stream mode (the file
// is wrapped in a GMimeStreamFs and encoded while the message is written), to a file
// (default /dev/null). Reports peak RSS (getrusage ru_maxrss), bytes written, time.
//
//   bench_gmime_build_large FILE [OUT]
//
// Output, one line: "gmime <peak RSS MiB> <bytes GMime reports written> <seconds>".
#include <gmime/gmime.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [OUT]\n", argv[0]);
    return 2;
  }
  const char* out_path = argc > 2 ? argv[2] : "/dev/null";
  const auto t0 = std::chrono::steady_clock::now();
  g_mime_init();

  GMimeMessage* message = g_mime_message_new(TRUE);
  g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, "Alice", "alice@example.test");
  g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, "Bob", "bob@example.test");
  g_mime_message_set_subject(message, "Tiêu đề: a large attachment", "utf-8");

  GMimeMultipart* mixed = g_mime_multipart_new_with_subtype("mixed");
  GMimeTextPart* text = g_mime_text_part_new_with_subtype("plain");
  g_mime_text_part_set_text(text, "Thân gửi An, the file is attached.\n");
  g_mime_multipart_add(mixed, GMIME_OBJECT(text));

  const int in_fd = open(argv[1], O_RDONLY);
  if (in_fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  GMimePart* att = g_mime_part_new_with_type("application", "octet-stream");
  g_mime_part_set_filename(att, "large.bin");
  GMimeStream* in = g_mime_stream_fs_new(in_fd);
  GMimeDataWrapper* content =
      g_mime_data_wrapper_new_with_stream(in, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content(att, content);
  g_mime_part_set_content_encoding(att, GMIME_CONTENT_ENCODING_BASE64);
  g_mime_multipart_add(mixed, GMIME_OBJECT(att));
  g_mime_message_set_mime_part(message, GMIME_OBJECT(mixed));

  const int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out_fd < 0) {
    std::perror(out_path);
    return 1;
  }
  GMimeStream* out = g_mime_stream_fs_new(out_fd);
  // CRLF line ends, like mailproto's output (RFC 5322 §2.1).
  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  const gint64 written = g_mime_object_write_to_stream(GMIME_OBJECT(message), format, out);
  g_mime_stream_flush(out);
  if (written < 0) {
    std::fprintf(stderr, "gmime_build_large: write failed\n");
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("gmime %.1f %lld %.3f\n", ru.ru_maxrss / 1024.0, static_cast<long long>(written),
              secs);

  g_mime_format_options_free(format);
  g_object_unref(out);
  g_object_unref(content);
  g_object_unref(in);
  g_object_unref(att);
  g_object_unref(text);
  g_object_unref(mixed);
  g_object_unref(message);
  g_mime_shutdown();
  return 0;
}
