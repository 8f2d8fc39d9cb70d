// Text, regular expression and URL functions against clickhouse-server 18.16's answers
// (tests/query/testdata/text.tsv); trim* and multiMatchAny, which 18.16 lacks, and the
// places where newer ClickHouse changed, against values written by hand from ClickHouse's
// documentation and source; random strings and URLs fed to every function.

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <utility>

#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/functions.h"
#include "hedgerow/query/parser.h"
#include "query/answer.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

using hedgerow::query::testing::Answer;
using hedgerow::query::testing::Eval;

}  // namespace

TEST_CASE("text, regexp and URL functions agree with clickhouse-server 18.16", "[text]") {
  size_t checked = testing::CheckAnswers("text.tsv");
  CHECK(checked >= 200);
}

// 18.16 refuses empty needles; newer ClickHouse returns the haystack as it is, and
// splitByString('') splits into single bytes (its documentation).
TEST_CASE("empty needles and separators as newer ClickHouse", "[text]") {
  CHECK(Eval("replaceOne('abc', '', 'x')") == "abc");
  CHECK(Eval("replaceAll('abc', '', 'x')") == "abc");
  CHECK(Eval("replaceRegexpOne('abc', '', 'x')") == "abc");
  CHECK(Eval("replaceRegexpAll('abc', '', 'x')") == "abc");
  CHECK(Eval("splitByString('', 'abc')") == "['a','b','c']");
}

// Where 18.16 has bugs newer ClickHouse fixed: its UTF-8 case tables (upperUTF8('ι') was
// 'ͅ'), '(?i)' ignored by match's literal-prefix analysis, invalid patterns in replaceRegexp*
// taken as matching nothing.
TEST_CASE("UTF-8 case, case-insensitive patterns and invalid patterns as newer ClickHouse", "[text]") {
  CHECK(Eval("upperUTF8('Ελληνικά')") == "ΕΛΛΗΝΙΚΆ");
  CHECK(Eval("lowerUTF8('ΕΛΛΗΝΙΚΆ')") == "ελληνικά");
  CHECK(Eval("upperUTF8('straße')") == "STRAßE");  // ß has no one-character upper case
  CHECK(Eval("match('Hello', '(?i)hello'), extract('Hello', '(?i)HELLO')") == "1\\tHello");
  CHECK(Eval("replaceRegexpAll('abc', '(', 'x')") == "error");
  CHECK(Eval("replaceRegexpOne('abc', 'b', '\\\\5')") == "error");
}

// newer ClickHouse's getURLHost (src/Functions/URL/domain.h) wants a host with a dot that
// has something after it, stops at ':' (so user:pass@ hides the host), refuses restricted
// bytes; its ExtractPath takes URLs without a scheme. 18.16 differs on these.
TEST_CASE("URL hosts and paths as newer ClickHouse reads them", "[text]") {
  auto on = [](const std::string& url) {
    std::string sql;
    for (const char* f : {"protocol", "domain", "topLevelDomain", "path", "pathFull", "queryString", "cutQueryString"}) {
      sql += (sql.empty() ? "SELECT " : ", ") + std::string(f) + "('" + url + "')";
    }
    return Answer(sql);
  };
  auto row = [](std::initializer_list<const char*> values) {
    std::string out;
    bool first = true;
    for (const char* v : values) out += (std::exchange(first, false) ? "" : "\\t") + std::string(v);
    return out;
  };
  CHECK(on("http://user:pass@sub.example.co.uk:8080/p?a=b") ==
        row({"http", "", "", "/p", "/p?a=b", "a=b", "http://user:pass@sub.example.co.uk:8080/p"}));
  CHECK(on("http://user@sub.example.co.uk/p") == row({"http", "sub.example.co.uk", "uk", "/p", "/p", "", "http://user@sub.example.co.uk/p"}));
  CHECK(on("example.com/path?x=y") == row({"", "example.com", "com", "/path", "/path?x=y", "x=y", "example.com/path"}));
  CHECK(on("https://localhost:3000/app") == row({"https", "", "", "/app", "/app", "", "https://localhost:3000/app"}));
  CHECK(on("http://www.") == row({"http", "", "", "", "", "", "http://www."}));
  CHECK(on("http://example.com.:80/x") == row({"http", "", "", "/x", "/x", "", "http://example.com.:80/x"}));
  CHECK(on("https://exa mple.com/") == row({"https", "", "", "/", "/", "", "https://exa mple.com/"}));
  CHECK(on("https://example.com./") == row({"https", "", "", "/", "/", "", "https://example.com./"}));
}

// Not in 18.16: ClickHouse's trim functions remove spaces (ASCII 32) only, or the given
// characters (newer versions' second argument).
TEST_CASE("trimLeft, trimRight, trimBoth and their aliases", "[text]") {
  CHECK(Eval("trimLeft('  a b  ')") == "a b  ");
  CHECK(Eval("trimRight('  a b  ')") == "  a b");
  CHECK(Eval("trimBoth('  a b  ')") == "a b");
  CHECK(Eval("trim('  a b  ')") == "a b");
  CHECK(Eval("ltrim('  x')") == "x");
  CHECK(Eval("rtrim('x  ')") == "x");
  CHECK(Eval("trimBoth('\\t x \\n')") == "\\t x \\n");
  CHECK(Eval("trimBoth('     ')") == "");
  CHECK(Eval("trimBoth('')") == "");
  CHECK(Eval("trimBoth('xxaxx', 'x')") == "a");
  CHECK(Eval("trimLeft('-=a=-', '=-')") == "a=-");
  CHECK(Eval("trimBoth(NULL)") == "\\N");
  CHECK(Eval("trimBoth(1)") == "error");
}

TEST_CASE("multiMatchAny: whether any of the patterns matches", "[text]") {
  CHECK(Eval("multiMatchAny('hello world', ['^w', 'o w'])") == "1");
  CHECK(Eval("multiMatchAny('hello world', ['^w', 'xyz'])") == "0");
  CHECK(Eval("multiMatchAny('hello', emptyArrayString())") == "0");
  CHECK(Eval("multiMatchAny('hello', ['('])") == "error");
}

TEST_CASE("regular expressions: constant patterns only, compiled once, errors named", "[text]") {
  Chunk chunk;
  auto s = MakeEmpty(MakeType(TypeId::kString));
  for (const char* v : {"a1", "b22", "c"}) {
    s->chars += v;
    s->offsets.push_back(s->chars.size());
  }
  s->rows = 3;
  chunk.names = {"s"};
  chunk.columns = {s};
  chunk.rows = 3;
  auto r = Evaluate(**ParseExpression("extract(s, '\\\\d+')"), chunk);
  REQUIRE(r.ok());
  CHECK(FormatValue(**r, 1) == "22");
  CHECK(FormatValue(**r, 2) == "");
  auto bad = Evaluate(**ParseExpression("match('x', s)"), chunk);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "Illegal column of argument 2 of function match: must be constant");
  auto invalid = Evaluate(**ParseExpression("match(s, '(')"), chunk);
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.status().message().find("cannot compile re2") != std::string::npos);
}

TEST_CASE("random strings and URLs never crash a text, regexp or URL function", "[text]") {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("/:?#&=@.%wxyz019 -\\\"'[]\xc3\xa9\xff\xe2\x80\xa8", 28) + std::string(1, '\0');
  std::vector<std::string> inputs;
  const std::string url = "https://user@www.example.com:8080/a/b?x=1&y=2#frag";
  for (size_t cut = 0; cut <= url.size(); ++cut) inputs.push_back(url.substr(0, cut));
  for (int i = 0; i < 400; ++i) {
    std::string noise(rng() % 40, ' ');
    for (char& c : noise) c = alphabet[rng() % alphabet.size()];
    inputs.push_back(noise);
  }
  auto column = MakeEmpty(MakeType(TypeId::kString));
  for (const std::string& v : inputs) {
    column->chars += v;
    column->offsets.push_back(column->chars.size());
  }
  column->rows = inputs.size();
  Chunk chunk;
  chunk.names = {"s"};
  chunk.columns = {column};
  chunk.rows = inputs.size();
  for (const char* expr :
       {"lengthUTF8(s)", "lowerUTF8(s)", "upperUTF8(s)", "replaceAll(s, '/', '//')", "replaceOne(s, s, s)",
        "splitByChar('/', s)", "splitByString('//', s)", "trimBoth(s)", "trimLeft(s, s)", "match(s, '^h.*\\\\d')",
        "extract(s, '(\\\\w+)=')", "extractAll(s, '[a-z]*')", "replaceRegexpAll(s, '.?', '<\\\\0>')",
        "replaceRegexpOne(s, '(.)(.)', '\\\\2\\\\1')", "multiMatchAny(s, ['x', 'y+'])", "protocol(s)", "domain(s)",
        "domainWithoutWWW(s)", "topLevelDomain(s)", "path(s)", "pathFull(s)", "queryString(s)", "fragment(s)",
        "cutQueryString(s)", "extractURLParameter(s, 'x')", "extractURLParameter(s, s)", "extractURLParameters(s)"}) {
    INFO(expr);
    auto e = ParseExpression(expr);
    REQUIRE(e.ok());
    auto r = Evaluate(**e, chunk);
    REQUIRE(r.ok());
    CHECK((*r)->rows == inputs.size());
  }
}
