// Test that the header is self-contained.
#include <mailproto/error.hpp>

#include <mailproto/io.hpp>
#include <mailproto/version.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdio>
#include <filesystem>

using namespace mailproto;

TEST_CASE("server_reply renders SMTP, POP3 and IMAP replies", "[core]") {
  server_reply smtp{550, "", "5.1.1", {"<x@y>: Recipient address rejected", "User unknown"}};
  CHECK(smtp.to_string() == "550 5.1.1 <x@y>: Recipient address rejected / User unknown");
  CHECK(smtp.text() == "<x@y>: Recipient address rejected\nUser unknown");
  server_reply pop{0, "-ERR", "IN-USE", {"mailbox locked"}};
  CHECK(pop.to_string() == "-ERR [IN-USE] mailbox locked");
  CHECK(server_reply{}.empty());
  CHECK_FALSE(pop.empty());
}

TEST_CASE("OS and Asio errors map onto conditions by category name", "[core]") {
  const std::error_code reset(ECONNRESET, std::system_category());
  CHECK(reset == condition::connection_lost);
  CHECK(reset != condition::timeout);
  const std::error_code timedout(ETIMEDOUT, std::system_category());
  CHECK(timedout == condition::timeout);
  CHECK(is_fatal(reset));
  CHECK_FALSE(is_fatal(std::error_code{}));
}

TEST_CASE("mailproto::error carries the reply and describes both", "[core]") {
  server_reply r{535, "", "5.7.8", {"Authentication credentials invalid"}};
  const std::error_code ec(ECONNRESET, std::system_category());
  error e(ec, r);
  CHECK(e.code() == ec);
  CHECK(e.reply().code == 535);
  CHECK(std::string(e.what()).find("535 5.7.8 Authentication credentials invalid") !=
        std::string::npos);
  CHECK_THROWS_AS(throw_if(ec, r), error);
  CHECK_NOTHROW(throw_if(std::error_code{}));
}

TEST_CASE("version() is the CMake project version", "[core]") {
  CHECK(version() == MAILPROTO_VERSION_STRING);
  CHECK(version().find('.') != std::string_view::npos);
}

TEST_CASE("string and file sources and sinks", "[core]") {
  std::string out;
  string_sink sink(out, 8);
  std::error_code ec;
  sink.write("1234", ec);
  CHECK_FALSE(ec);
  sink.write("56789", ec);
  CHECK(ec == std::errc::file_too_large);
  CHECK(out == "1234");

  ec.clear();
  auto src = string_source::view("hello world");
  char buf[4];
  std::string got;
  while (auto n = src.read(buf, ec)) got.append(buf, n);
  CHECK(got == "hello world");
  CHECK(src.size() == 11);

  const auto path = (std::filesystem::temp_directory_path() / "mailproto-io-test.bin").string();
  {
    file_sink fs(path);
    fs.write(std::string("\0abc", 4), ec);
    fs.finish(ec);
    REQUIRE_FALSE(ec);
  }
  file_source fsrc(path);
  CHECK(fsrc.size() == 4);
  char b2[16];
  CHECK(fsrc.read(b2, ec) == 4);
  std::remove(path.c_str());

  file_source missing("/nonexistent/mailproto/x");
  CHECK(missing.read(b2, ec) == 0);
  CHECK(ec == std::errc::no_such_file_or_directory);
}
