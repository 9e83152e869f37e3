// Structured header parsers against stalwart mail-parser's header-field vectors
// (resources/{date,content_type,id}.json in the shared corpus; Apache-2.0 OR MIT). Python
// converts the JSON to "kind<TAB>hex(header)<TAB>expected" lines; skipped with a WARN when
// the corpus or python3 is missing.
#include <mailproto/mime/header.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

using namespace mailproto::mime;
namespace fs = std::filesystem;

namespace {

const char* k_convert = R"PY(
import json, os, sys
d = sys.argv[1]
def canon_ct(e):
    if e is None: return 'none'
    s = (e.get('c_type') or '').lower() + '/' + (e.get('c_subtype') or '').lower()
    for a in (e.get('attributes') or []):
        n, v = (a['name'], a['value']) if isinstance(a, dict) else (a[0], a[1])
        s += ';' + n.lower() + '=' + v
    return s
def canon_date(e):
    if e is None: return 'none'
    off = (e['tz_hour'] * 60 + e['tz_minute']) * (-1 if e['tz_before_gmt'] else 1)
    return '%d-%d-%d %d:%d:%d %d' % (e['year'], e['month'], e['day'], e['hour'], e['minute'], e['second'], off)
def canon_id(e):
    if e is None: return ''
    if isinstance(e, str): return e
    return ','.join(e)
for kind, fn in (('date', canon_date), ('content_type', canon_ct), ('id', canon_id)):
    for v in json.load(open(os.path.join(d, kind + '.json'), encoding='utf-8')):
        print(kind + '\t' + v['header'].encode('utf-8').hex() + '\t' + fn(v['expected']))
)PY";

std::string unhex(const std::string& h) {
  std::string r;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    r.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return r;
}

// Our answer in the same canonical form. A header value ends at the first empty line.
std::string ours(const std::string& kind, std::string value) {
  auto blank = value.find("\n\n");
  if (blank != std::string::npos) value.resize(blank);
  if (kind == "date") {
    auto d = parse_date(value);
    if (!d) return "none";
    return std::to_string(d->year) + "-" + std::to_string(d->month) + "-" + std::to_string(d->day) +
           " " + std::to_string(d->hour) + ":" + std::to_string(d->minute) + ":" +
           std::to_string(d->second) + " " + std::to_string(d->utc_offset_minutes);
  }
  if (kind == "content_type") {
    media_type mt;
    if (!parse_media_type(value, mt)) return "none";
    std::string s = mt.full();
    for (const auto& p : mt.params) s += ";" + p.first + "=" + p.second;
    return s;
  }
  std::string s;
  for (const auto& id : parse_message_ids(value)) s += (s.empty() ? "" : ",") + id;
  return s;
}

}  // namespace

TEST_CASE("header fields: stalwart vectors for date, content type, message ids",
          "[mime][header][corpus]") {
  fs::path dir = fs::path(MAILPROTO_SHARED_DIR) / "corpus/mime/stalwart-mail-parser/header-fields";
  if (!fs::exists(dir) || std::system("python3 -c 1 >/dev/null 2>&1") != 0) {
    WARN("stalwart header-field vectors or python3 not available; skipped");
    return;
  }
  fs::path script = fs::temp_directory_path() / "mailproto-fields-convert.py";
  {
    FILE* f = std::fopen(script.c_str(), "w");
    REQUIRE(f);
    std::fputs(k_convert, f);
    std::fclose(f);
  }
  std::string cmd = "python3 '" + script.string() + "' '" + dir.string() + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  fs::remove(script);
  std::map<std::string, std::pair<int, int>> score;  // kind -> (agree, total)
  std::string misses;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    std::string kind = line.substr(0, t1);
    std::string value = unhex(line.substr(t1 + 1, t2 - t1 - 1));
    std::string expected = line.substr(t2 + 1);
    std::string got = ours(kind, value);
    auto& s = score[kind];
    ++s.second;
    if (got == expected)
      ++s.first;
    else
      misses += kind + ": ours=" + got + " expected=" + expected + "\n";
  }
  std::ostringstream summary;
  for (const auto& [k, s] : score) summary << k << " " << s.first << "/" << s.second << "  ";
  WARN(summary.str() << "\n" << misses);
  REQUIRE(score["date"].second > 0);
  // the vectors include deliberately broken values; most must agree
  CHECK(score["date"].first * 100 >= score["date"].second * 80);
  CHECK(score["content_type"].first * 100 >= score["content_type"].second * 80);
  CHECK(score["id"].first * 100 >= score["id"].second * 80);
}
