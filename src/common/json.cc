#include "hedgerow/common/json.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hedgerow {

namespace {

inline bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Bit i is set when byte i of the 16 at `p` is one a JSON string must escape: below 0x20,
// '"' or '\\'.
inline uint32_t EscapeMask16(const char* p) {
#if defined(__SSE2__)
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  // Unsigned c < 0x20 as a signed compare of both sides shifted by 0x80.
  __m128i control = _mm_cmplt_epi8(_mm_xor_si128(v, _mm_set1_epi8(static_cast<char>(0x80))),
                                   _mm_set1_epi8(static_cast<char>(0x20 ^ 0x80)));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)));
#else
  uint32_t mask = 0;
  for (int i = 0; i < 16; ++i) {
    if (NeedsEscape(static_cast<unsigned char>(p[i]))) mask |= 1u << i;
  }
  return mask;
#endif
}

void AppendEscape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
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

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + text.size() / 8 + 2);
  out += '"';
  const char* p = text.data();
  const char* end = p + text.size();
  const char* run = p;  // start of the pending run of characters that need no escape
  // 16 bytes at a time; JSON inside JSON has a quote every few bytes, so each block's
  // escapes are found from one mask rather than by testing byte after byte.
  for (; end - p >= 16; p += 16) {
    for (uint32_t mask = EscapeMask16(p); mask != 0; mask &= mask - 1) {
      const char* q = p + __builtin_ctz(mask);
      out.append(run, q - run);
      AppendEscape(out, static_cast<unsigned char>(*q));
      run = q + 1;
    }
  }
  for (; p < end; ++p) {
    if (!NeedsEscape(static_cast<unsigned char>(*p))) continue;
    out.append(run, p - run);
    AppendEscape(out, static_cast<unsigned char>(*p));
    run = p + 1;
  }
  out.append(run, end - run);
  out += '"';
}

std::string WriteJson(const rapidjson::Value& value, size_t size_hint) {
  // rapidjson's own buffer: its Writer copies unescaped runs 16 bytes at a time only into it.
  rapidjson::StringBuffer buffer(nullptr, size_hint + size_hint / 8 + 16);
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

size_t SkipJsonString(std::string_view t, size_t pos) {
  for (++pos; pos < t.size(); ++pos) {
    if (t[pos] == '\\') {
      ++pos;
    } else if (t[pos] == '"') {
      return pos + 1;
    }
  }
  return std::string_view::npos;
}

size_t SkipJsonValue(std::string_view t, size_t pos) {
  if (pos >= t.size()) return std::string_view::npos;
  if (t[pos] == '"') return SkipJsonString(t, pos);
  if (t[pos] == '{' || t[pos] == '[') {
    int depth = 0;
    while (pos < t.size()) {
      char c = t[pos];
      if (c == '"') {
        pos = SkipJsonString(t, pos);
        if (pos == std::string_view::npos) return pos;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return pos + 1;
      }
      ++pos;
    }
    return std::string_view::npos;
  }
  while (pos < t.size() && t[pos] != ',' && t[pos] != ']' && t[pos] != '}' && t[pos] != ' ' && t[pos] != '\n' &&
         t[pos] != '\r' && t[pos] != '\t') {
    ++pos;
  }
  return pos;
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
