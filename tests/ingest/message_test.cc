// ReadMessage reads messages without a document; whatever it accepts must read exactly as
// rapidjson reads it (first member of a name wins, non-strings are empty), and whatever
// rapidjson rejects it must leave to rapidjson. Random messages: every escape, whitespace,
// duplicate and non-string members, and every truncation.
#include "ingest/message.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hedgerow/common/json.h"

using hedgerow::ingest::MessageFields;
using hedgerow::ingest::ReadMessage;

namespace {

// The fields as the pipeline reads them from rapidjson's document; nullopt if it rejects.
std::optional<std::vector<std::string>> ByParser(const std::string& message) {
  std::string buffer = message + std::string(16, '\0');
  rapidjson::Document d;
  d.ParseInsitu<rapidjson::kParseStopWhenDoneFlag>(buffer.data());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  std::vector<std::string> out;
  for (const char* name : {"token", "distinct_id", "uuid", "ip", "now", "sent_at", "data"}) {
    auto it = d.FindMember(name);
    out.push_back(it != d.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                              : std::string());
  }
  return out;
}

std::vector<std::string> Fields(const MessageFields& f) {
  return {std::string(f.token), std::string(f.distinct_id), std::string(f.uuid), std::string(f.ip),
          std::string(f.now),   std::string(f.sent_at),     std::string(f.data)};
}

}  // namespace

TEST_CASE("messages read without a document read as the JSON parser reads them", "[ingest]") {
  std::mt19937 rng(2026);
  auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
  auto text = [&] {
    std::string t;
    for (size_t i = 0, n = pick(40); i < n; ++i) {
      size_t r = pick(40);
      if (r < 26) t += static_cast<char>('a' + r);
      else if (r < 36) t += "\"\\\n\xc3\xa9 {}:,"[r - 26];  // a control byte comes as \u: the parser's
      else t += "\\/"[r % 2];
    }
    return t;
  };
  // A JSON string literal of `t`, sometimes with escapes only a parser takes (\u, \/).
  auto literal = [&](const std::string& t) {
    std::string out;
    hedgerow::AppendJsonString(out, t);
    if (pick(10) == 0) out.insert(1, "\\u00e9");
    if (pick(10) == 0) out.insert(1, "\\/");
    return out;
  };
  auto space = [&] { return std::string(pick(4) == 0 ? pick(3) : 0, " \t\n"[pick(3)]); };
  const char* names[] = {"token", "distinct_id", "uuid", "ip", "now", "sent_at", "data", "site_url", "d\\u0061ta"};
  size_t accepted_whole = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::string m = space() + "{";
    for (size_t i = 0, n = pick(10); i < n; ++i) {
      if (i > 0) m += space() + ",";
      m += space() + "\"" + names[pick(std::size(names))] + "\"" + space() + ":" + space();
      switch (pick(40)) {
        case 0: m += "null"; break;
        case 1: m += std::to_string(pick(1000)); break;
        case 2: m += "{\"a\":[1,\"b\"]}"; break;
        case 3: m += "true"; break;
        default: m += literal(text()); break;
      }
    }
    m += space() + "}" + (pick(5) == 0 ? " trailing" : "");
    // The whole message, and cut short anywhere.
    for (size_t cut : {m.size(), pick(m.size() + 1)}) {
      std::string message = m.substr(0, cut);
      std::string buffer;
      MessageFields fields;
      bool read = ReadMessage(message, buffer, fields);
      auto expected = ByParser(message);
      if (!read) continue;
      accepted_whole += cut == m.size();
      INFO(message);
      REQUIRE(expected.has_value());
      REQUIRE(Fields(fields) == *expected);
      // `data` is NUL-terminated with room after it, for parsing in place.
      const char* end = fields.data.data() + fields.data.size();
      if (!fields.data.empty()) {
        REQUIRE(*end == '\0');
        REQUIRE(end + 16 < buffer.data() + buffer.size());
      }
    }
  }
  CHECK(accepted_whole > 5000 / 4);  // the fast path is taken, not only declined
}

TEST_CASE("ReadJsonString stops at the end of truncated and malformed strings", "[common]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string body;
    for (size_t i = 0, n = rng() % 60; i < n; ++i) body += "ab\"\\\n\t/xyz"[rng() % 10];
    std::string literal;
    hedgerow::AppendJsonString(literal, body);
    std::string text = literal.substr(0, rng() % (literal.size() + 1)) + std::string(rng() % 3, 'q');
    std::vector<char> out(text.size() + 16);
    size_t written = 0;
    size_t end = hedgerow::ReadJsonString(text, 0, out.data(), written);
    if (text.compare(0, literal.size(), literal) == 0) {
      INFO(text);
      REQUIRE(end == literal.size());
      REQUIRE(std::string(out.data(), written) == body);
    } else {
      REQUIRE(end == std::string::npos);  // no closing quote in a cut literal
    }
  }
  // What it leaves to a parser.
  size_t written = 0;
  char out[32];
  for (std::string_view text : {R"("a\u00e9")", "\"a\x01\"", R"("a\x")", R"("a\)"}) {
    CHECK(hedgerow::ReadJsonString(text, 0, out, written) == std::string::npos);
  }
}
