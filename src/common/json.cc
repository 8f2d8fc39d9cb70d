#include "hedgerow/common/json.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdint>
#include <cstring>

namespace hedgerow {

namespace {

// True when one of the 8 bytes of `w` is below 0x20, '"' or '\\': the bytes a JSON string
// must escape (SWAR: exact "any byte" tests from Hacker's Delight / Bit Twiddling Hacks).
inline bool NeedsEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  uint64_t quote = w ^ (kOnes * '"');
  uint64_t backslash = w ^ (kOnes * '\\');
  return (below_space | ((quote - kOnes) & ~quote & kHigh) | ((backslash - kOnes) & ~backslash & kHigh)) != 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + text.size() / 16 + 2);
  out += '"';
  const char* p = text.data();
  const char* end = p + text.size();
  const char* run = p;  // start of the pending run of characters that need no escape
  while (p < end) {
    // Skip 8 clean bytes at a time; events are mostly plain ASCII between the quotes.
    if (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (!NeedsEscape(w)) {
        p += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    out.append(run, p - run);
    run = ++p;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(run, end - run);
  out += '"';
}

bool IsJson(std::string_view text) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::Reader reader;
  // Stop after the root value so that trailing garbage is reported as an error.
  return !reader.Parse<rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseValidateEncodingFlag>(stream, ignore)
              .IsError() &&
         [&] {
           while (stream.Peek() == ' ' || stream.Peek() == '\n' || stream.Peek() == '\r' || stream.Peek() == '\t') {
             stream.Take();
           }
           return stream.Peek() == '\0' && stream.Tell() == text.size();
         }();
}

}  // namespace hedgerow
