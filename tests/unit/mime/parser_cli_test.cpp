// `mailproto parse`: JSON shape, the human tree, and safe attachment saving.
#define MAILPROTO_PARSE_NO_REGISTER
#include "../../../apps/mailproto/cmd_parse.cpp"

#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {
const std::string k_msg =
    "Subject: =?ISO-8859-1?Q?caf=E9?=\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n"
    "--b\r\nContent-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
    "--b\r\nContent-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''..%2Fpasswd\r\n\r\nsecond\r\n"
    "--b--\r\n";

fs::path tmp(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("mailproto-parse-" + tag + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}
}  // namespace

TEST_CASE("parse cli: file names are made safe", "[mime][parser][cli]") {
  using parse_cmd::sanitize_filename;
  CHECK(sanitize_filename("../../etc/passwd") == "_.._etc_passwd");
  CHECK(sanitize_filename("..") == "attachment");
  CHECK(sanitize_filename("") == "attachment");
  CHECK(sanitize_filename("a\r\nb\x01.txt") == "a__b_.txt");
  CHECK(sanitize_filename(".hidden") == "hidden");
  CHECK(sanitize_filename("C:\\x\\y.doc") == "C__x_y.doc");
  CHECK(sanitize_filename("Báo cáo.rar") == "Báo cáo.rar");
  std::string longname(300, 'a');
  longname[199] = '\xC3';
  longname[200] = '\xA1';
  CHECK(sanitize_filename(longname).size() == 199);
}

TEST_CASE("parse cli: --json shape and attachments", "[mime][parser][cli]") {
  std::istringstream in(k_msg);
  std::ostringstream out;
  fs::path dir = tmp("save");
  auto r = parse_cmd::run({"--json", "--save-attachments", dir.string(), "-"}, false, in, out);
  REQUIRE(r.status == 0);
  std::string j = out.str();
  CHECK(j.rfind("{\"headers\": [[\"Subject\", \"café\"], [\"Content-Type\",", 0) == 0);
  CHECK(j.find("\"content_type\": \"multipart/mixed\", \"params\": {\"boundary\": \"b\"}, "
               "\"disposition\": null, \"filename\": null, \"charset\": null, \"size\": null, "
               "\"sha256\": null, \"defects\": [], \"parts\": [") != std::string::npos);
  // sha256("hello")
  CHECK(j.find("\"size\": 5, \"sha256\": "
               "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"") !=
        std::string::npos);
  CHECK(j.find("\"text\": \"café\"") != std::string::npos);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() == 2);
  CHECK(names[0] == "_.._etc_passwd");
  CHECK(names[1] == "_passwd");
  std::ifstream f(dir / "_.._etc_passwd");
  std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(content == "hello");
  // a second run never overwrites: names get a suffix
  std::istringstream in2(k_msg);
  std::ostringstream out2;
  REQUIRE(parse_cmd::run({"--save-attachments", dir.string(), "-"}, false, in2, out2).status == 0);
  CHECK(fs::exists(dir / "_.._etc_passwd-1"));
  CHECK(out2.str().find("multipart/mixed") == 0);
  fs::remove_all(dir);
  std::ostringstream out3;
  CHECK(parse_cmd::run({"/nonexistent/file.eml"}, false, in2, out3).status == 2);
  CHECK(parse_cmd::run({}, false, in2, out3).status == 2);
}
