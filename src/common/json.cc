#include "hedgerow/common/json.h"

#include <rapidjson/internal/dtoa.h>
#include <rapidjson/internal/itoa.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

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

// Writes the escape of `c` at `d`; returns the end. Two bytes, or six for \u00XX.
char* WriteEscape(char* d, unsigned char c) {
  // Upper-case hex, as rapidjson's Writer: texts from either compare equal byte for byte.
  static constexpr char kHex[] = "0123456789ABCDEF";
  d[0] = '\\';
  switch (c) {
    case '"': d[1] = '"'; return d + 2;
    case '\\': d[1] = '\\'; return d + 2;
    case '\n': d[1] = 'n'; return d + 2;
    case '\r': d[1] = 'r'; return d + 2;
    case '\t': d[1] = 't'; return d + 2;
    case '\b': d[1] = 'b'; return d + 2;
    case '\f': d[1] = 'f'; return d + 2;
    default:
      std::memcpy(d + 1, "u00", 3);
      d[4] = kHex[c >> 4];
      d[5] = kHex[c & 0xf];
      return d + 6;
  }
}

// The escape of `c` escaped again, for JSON inside a JSON string: \" becomes \\\", \n
// becomes \\n, \u00XX becomes \\u00XX. Four bytes, three, or seven.
char* WriteNestedEscape(char* d, unsigned char c) {
  char once[6];
  char* end = WriteEscape(once, c);
  *d++ = '\\';
  *d++ = '\\';
  if (once[1] == '"' || once[1] == '\\') *d++ = '\\';
  size_t rest = static_cast<size_t>(end - once) - 1;
  std::memcpy(d, once + 1, rest);
  return d + rest;
}

// Appends `text` as a JSON string literal, quotes included; kNested: as that literal is
// escaped inside another JSON string.
template <bool kNested>
void AppendEscaped(std::string& out, std::string_view text) {
  constexpr std::string_view kQuote = kNested ? R"(\")" : R"(")";
  // Most bytes one input byte takes: a quote or backslash; a \u00XX control character.
  constexpr size_t kMaxCommon = kNested ? 4 : 2, kMaxControl = kNested ? 7 : 6;
  auto write_escape = [](char* d, unsigned char c) { return kNested ? WriteNestedEscape(d, c) : WriteEscape(d, c); };
  if (text.size() < 16) {
    // Short (keys, names, ids): on the stack, then one append.
    char buffer[2 * kQuote.size() + kMaxControl * 15];
    char* d = std::copy(kQuote.begin(), kQuote.end(), buffer);
    // Most need no escape: one 16-byte test of the text padded with a byte that needs none.
    char block[16];
    std::memset(block, 'a', sizeof block);
    std::memcpy(block, text.data(), text.size());
    if (EscapeMask16(block) == 0) {
      std::memcpy(d, block, sizeof block);
      d = std::copy(kQuote.begin(), kQuote.end(), d + text.size());
      out.append(buffer, d - buffer);
      return;
    }
    for (char c : text) {
      if (NeedsEscape(static_cast<unsigned char>(c))) {
        d = write_escape(d, static_cast<unsigned char>(c));
      } else {
        *d++ = c;
      }
    }
    d = std::copy(kQuote.begin(), kQuote.end(), d);
    out.append(buffer, d - buffer);
    return;
  }
  // Longer: written in place: room for every byte escaped as quotes and backslashes are (the
  // only escapes JSON inside JSON has) plus 16 bytes of slack for whole-block copies; a
  // \u00XX escape grows it when needed. The size is trimmed at the end.
  const size_t start = out.size();
  out.resize(start + kMaxCommon * text.size() + 2 * kQuote.size() + 16);
  char* d = std::copy(kQuote.begin(), kQuote.end(), out.data() + start);
  char* limit = out.data() + out.size();
  const char* p = text.data();
  const char* end = p + text.size();
  // Copies the n < 16 bytes at `from` to `d`: one 16-byte move when the source has them.
  auto copy_run = [&](const char* from, size_t n) {
    if (end - from >= 16) {
      std::memcpy(d, from, 16);
    } else {
      std::memcpy(d, from, n);
    }
    d += n;
  };
  auto escape = [&](const char* q) {
    auto c = static_cast<unsigned char>(*q);
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\b' && c != '\f' &&
        static_cast<size_t>(limit - d) < kMaxControl + kMaxCommon * static_cast<size_t>(end - q) + kQuote.size() + 16) {
      size_t at = d - out.data();
      out.resize(out.size() + kMaxControl * static_cast<size_t>(end - q) + 32);
      d = out.data() + at;
      limit = out.data() + out.size();
    }
    d = write_escape(d, c);
  };
  // 16 bytes at a time: a block without escapes is one move; in one with escapes, each run
  // between them is one move.
  for (; end - p >= 16; p += 16) {
    uint32_t mask = EscapeMask16(p);
    if (mask == 0) {
      std::memcpy(d, p, 16);
      d += 16;
      continue;
    }
    const char* run = p;
    for (; mask != 0; mask &= mask - 1) {
      const char* q = p + __builtin_ctz(mask);
      copy_run(run, q - run);
      escape(q);
      run = q + 1;
    }
    copy_run(run, p + 16 - run);
  }
  for (; p < end; ++p) {
    if (NeedsEscape(static_cast<unsigned char>(*p))) {
      escape(p);
    } else {
      *d++ = *p;
    }
  }
  d = std::copy(kQuote.begin(), kQuote.end(), d);
  out.resize(d - out.data());
}

// Appends `value` as compact JSON; kNested: escaped as the contents of a JSON string.
template <bool kNested>
void AppendJsonAs(std::string& out, const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType: out += "null"; return;
    case rapidjson::kFalseType: out += "false"; return;
    case rapidjson::kTrueType: out += "true"; return;
    case rapidjson::kStringType:
      AppendEscaped<kNested>(out, std::string_view(value.GetString(), value.GetStringLength()));
      return;
    case rapidjson::kObjectType: {
      out += '{';
      bool first = true;
      for (const auto& m : value.GetObject()) {
        if (!first) out += ',';
        first = false;
        AppendEscaped<kNested>(out, std::string_view(m.name.GetString(), m.name.GetStringLength()));
        out += ':';
        AppendJsonAs<kNested>(out, m.value);
      }
      out += '}';
      return;
    }
    case rapidjson::kArrayType: {
      out += '[';
      bool first = true;
      for (const auto& v : value.GetArray()) {
        if (!first) out += ',';
        first = false;
        AppendJsonAs<kNested>(out, v);
      }
      out += ']';
      return;
    }
    case rapidjson::kNumberType: {
      // Formatted as rapidjson's Writer formats them (shortest round-trip doubles).
      char buffer[32];
      char* end;
      if (value.IsDouble()) {
        if (rapidjson::internal::Double(value.GetDouble()).IsNanOrInf()) {
          out += "null";  // not JSON; a parsed document never holds one
          return;
        }
        end = rapidjson::internal::dtoa(value.GetDouble(), buffer);
      } else if (value.IsInt64()) {
        end = rapidjson::internal::i64toa(value.GetInt64(), buffer);
      } else {
        end = rapidjson::internal::u64toa(value.GetUint64(), buffer);
      }
      out.append(buffer, end);
      return;
    }
  }
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) { AppendEscaped<false>(out, text); }

void AppendJson(std::string& out, const rapidjson::Value& value) { AppendJsonAs<false>(out, value); }

void AppendJsonInString(std::string& out, const rapidjson::Value& value) { AppendJsonAs<true>(out, value); }

std::string WriteJson(const rapidjson::Value& value, size_t size_hint) {
  std::string out;
  out.reserve(size_hint + size_hint / 8 + 16);
  AppendJson(out, value);
  return out;
}

size_t ReadJsonString(std::string_view text, size_t pos, char* out, size_t& written) {
  written = 0;
  const char* p = text.data() + pos + 1;
  const char* const end = text.data() + text.size();
  char* d = out;
  auto copy = [&d](const char* from, size_t n) {
    if (d != nullptr) {
      std::memcpy(d, from, n);
      d += n;
    }
  };
  while (p < end) {
    // The next quote, backslash or control byte: 16 bytes at a time while there are 16.
    size_t run = 0;
    if (end - p >= 16) {
      uint32_t mask = EscapeMask16(p);
      run = mask == 0 ? 16 : static_cast<size_t>(__builtin_ctz(mask));
      if (d != nullptr) {  // one 16-byte move, whatever the run: `out` has the room
        std::memcpy(d, p, 16);
        d += run;
      }
      p += run;
      if (mask == 0) continue;
    } else {
      while (p + run < end && !NeedsEscape(static_cast<unsigned char>(p[run]))) ++run;
      if (p + run == end) return std::string_view::npos;
      copy(p, run);
      p += run;
    }
    if (*p == '"') {
      written = d == nullptr ? 0 : static_cast<size_t>(d - out);
      return static_cast<size_t>(p + 1 - text.data());
    }
    if (*p != '\\' || p + 1 >= end) return std::string_view::npos;  // a raw control byte, or the end
    char unescaped;
    switch (p[1]) {
      case '"': unescaped = '"'; break;
      case '\\': unescaped = '\\'; break;
      case '/': unescaped = '/'; break;
      case 'b': unescaped = '\b'; break;
      case 'f': unescaped = '\f'; break;
      case 'n': unescaped = '\n'; break;
      case 'r': unescaped = '\r'; break;
      case 't': unescaped = '\t'; break;
      default: return std::string_view::npos;  // \u, or not an escape
    }
    copy(&unescaped, 1);
    p += 2;
  }
  return std::string_view::npos;
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

namespace {

// The state of JsonNestsDeeperThan's scan between bytes.
struct NestingScan {
  size_t max_depth;
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;  // the previous byte was a backslash in a string

  // Byte by byte; true as soon as the depth passes the limit.
  bool Bytes(const char* p, const char* end) {
    for (; p < end; ++p) {
      char c = *p;
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        if (++depth > max_depth) return true;
      } else if ((c == '}' || c == ']') && depth > 0) {
        --depth;
      }
    }
    return false;
  }

#if defined(__SSE2__)
  // 16 bytes without a backslash (nor one just before), as bit masks: strings from the
  // running parity of quotes, then the brackets outside them counted, one by one only when
  // the block may pass the limit or close below zero.
  bool Block(const char* p) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Or-ing 0x20 maps '[' and ']' onto '{' and '}', and nothing else onto them.
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
    uint32_t quotes = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
    uint32_t opens = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8('{'))));
    uint32_t closes = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8('}'))));
    // Bit i: byte i is inside a string (an opening quote counts as inside, a closing one not).
    uint32_t inside = quotes;
    inside ^= inside << 1;
    inside ^= inside << 2;
    inside ^= inside << 4;
    inside ^= inside << 8;
    if (in_string) inside = ~inside;
    inside &= 0xFFFF;
    in_string = (inside >> 15) & 1;
    opens &= ~inside;
    closes &= ~inside;
    if ((opens | closes) == 0) return false;
    size_t n_open = static_cast<size_t>(__builtin_popcount(opens));
    size_t n_close = static_cast<size_t>(__builtin_popcount(closes));
    if (depth + n_open <= max_depth && depth >= n_close) {
      depth = depth + n_open - n_close;
      return false;
    }
    for (uint32_t both = opens | closes; both != 0; both &= both - 1) {
      if (opens & both & (~both + 1)) {
        if (++depth > max_depth) return true;
      } else if (depth > 0) {
        --depth;
      }
    }
    return false;
  }
#endif
};

}  // namespace

bool JsonNestsDeeperThan(std::string_view text, size_t max_depth) {
  NestingScan scan{max_depth};
  const char* p = text.data();
  const char* end = p + text.size();
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    bool backslash = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))) != 0;
    if (backslash || scan.escaped ? scan.Bytes(p, p + 16) : scan.Block(p)) return true;
  }
#endif
  return scan.Bytes(p, end);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (end - p >= 8) {
      uint64_t block;
      std::memcpy(&block, p, 8);
      if ((block & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    // The lead byte fixes the length and the range the second byte may take (Table 3-7 of
    // the Unicode standard); later bytes are plain continuations.
    size_t n;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < n || p[1] < low || p[1] > high) return false;
    for (size_t i = 2; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += n;
  }
  return true;
}

bool IsJson(std::string_view text) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::Reader reader;
  // Stop after the root value so that trailing garbage is reported as an error.
  return !reader.Parse<rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseValidateEncodingFlag |
                                  rapidjson::kParseIterativeFlag>(stream, ignore)
              .IsError() &&
         [&] {
           while (stream.Peek() == ' ' || stream.Peek() == '\n' || stream.Peek() == '\r' || stream.Peek() == '\t') {
             stream.Take();
           }
           return stream.Peek() == '\0' && stream.Tell() == text.size();
         }();
}

rapidjson::CrtAllocator* SharedCrtAllocator() {
  static rapidjson::CrtAllocator allocator;
  return &allocator;
}

}  // namespace hedgerow
