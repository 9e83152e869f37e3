// `mailproto compose` logic (apps/mailproto/cmd_compose.cpp), driven without the CLI registry.
#include <catch2/catch.hpp>

#define MAILPROTO_COMPOSE_NO_REGISTER
#include "../../../apps/mailproto/cmd_compose.cpp"

#include "builder_test_util.hpp"

#include <sstream>

using namespace builder_test;

namespace {

struct run_result {
  compose_cmd::result r;
  std::string out;
};

run_result run(std::vector<std::string> args, const std::string& stdin_text = {}) {
  std::istringstream in(stdin_text);
  run_result rr;
  mailproto::string_sink sink(rr.out);
  rr.r = compose_cmd::compose(args, in, sink);
  return rr;
}

}  // namespace

TEST_CASE("compose: builds the message from arguments", "[mime][builder][cli]") {
  const std::string rar = temp_file("Báo cáo.rar", std::string("Rar!\x1a\x07\x00 data", 12));
  const std::string html = temp_file("body.html", "<p>Xin chào <img src=\"cid:logo.png\"></p>");
  const std::string png = temp_dir() + "/logo.png";
  std::ofstream(png, std::ios::binary) << std::string("\x89PNG\r\n\x1a\n", 8);
  auto rr = run({"--from",    "Alice <alice@example.test>",
                 "--to",      "bob@example.test",
                 "--to",      "an@example.test",
                 "--bcc",     "hidden@example.test",
                 "--subject", "Tiêu đề: Lập trình mạng",
                 "--text",    "-",
                 "--html",    html,
                 "--inline",  png,
                 "--attach",  rar,
                 "--header",  "X-Course: Lập trình mạng"},
                "Thân gửi An,\n");
  INFO(rr.r.error);
  REQUIRE(rr.r.status == 0);
  check_wire(rr.out);
  CHECK(rr.out.find("hidden@example.test") == std::string::npos);
  CHECK(rr.out.find("X-Course: =?") != std::string::npos);
  python_expect e;
  e.set("subject", json_str("Tiêu đề: Lập trình mạng"));
  e.set("to", R"([["", "bob@example.test"], ["", "an@example.test"]])");
  e.set("absent", R"(["Bcc"])");
  e.set("text", json_str("Thân gửi An,\n"));
  e.set("tree", json_str("multipart/mixed(multipart/alternative(text/plain,multipart/related("
                         "text/html,image/png)),application/vnd.rar)"));
  e.set("parts", "[{\"cid\": \"logo.png\"}, {\"filename\": " +
                     json_str(std::filesystem::path(rar).filename().string()) +
                     ", \"data_file\": " + json_str(rar) + "}]");
  check_python(rr.out, e);
}

TEST_CASE("compose: bad input is exit 2, one line, nothing written", "[mime][builder][cli]") {
  const std::vector<std::vector<std::string>> bad = {
      {"--to", "b@x.test", "--subject", "s"},      // no --from
      {"--from", "a@x.test", "--subject", "s"},    // no --to
      {"--from", "a@x.test", "--to", "b@x.test"},  // no --subject
      {"--from", "a@x.test", "--to", "b@x.test", "--subject", "s", "--bogus"},
      {"--from", "a@x.test", "--to", "b@x.test", "--subject"},
      {"--from", "a@x.test", "--to", "b@x.test\r\nBcc: e@x.test", "--subject", "s"},
      {"--from", "a@x.test", "--to", "b@x.test", "--subject", "s\r\nX-Evil: 1"},
      {"--from", "a@x.test", "--to", "b@x.test", "--subject", "s", "--header", "X-A: v\nX-B: w"},
      {"--from", "a@x.test", "--to", "b@x.test", "--subject", "s", "--header", "novalue"},
      {"--from", "a@x.test", "--to", "b@x.test", "--subject", "s", "--attach", "/nonexistent.rar"},
      {"--from", "a@x.test", "--to", "b@x.test", "--subject", "s", "--text", "/nonexistent.txt"},
      {"--from", "<unbalanced@x.test", "--to", "b@x.test", "--subject", "s"},
      {"--from", "a@x.test", "--to", "bình@ví-dụ.test", "--subject", "s"},
  };
  for (const auto& args : bad) {
    auto rr = run(args);
    INFO(args.back() << " -> " << rr.r.error);
    CHECK(rr.r.status == 2);
    CHECK(rr.out.empty());
    CHECK_FALSE(rr.r.error.empty());
    CHECK(rr.r.error.find('\n') == std::string::npos);
    CHECK(rr.r.error.find('\r') == std::string::npos);
  }
  // With --smtputf8 the UTF-8 address is fine.
  auto ok = run({"--smtputf8", "--from", "a@x.test", "--to", "bình@ví-dụ.test", "--subject", "s"});
  CHECK(ok.r.status == 0);
  CHECK(ok.out.find("To: bình@ví-dụ.test\r\n") != std::string::npos);
}
