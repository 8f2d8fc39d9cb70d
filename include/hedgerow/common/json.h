#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace hedgerow {

// Appends `text` as a JSON string literal, quotes included: '"', '\\' and control
// characters escaped, everything else (UTF-8 included) copied in runs.
void AppendJsonString(std::string& out, std::string_view text);

// Appends `value` as compact JSON, byte for byte what rapidjson's Writer writes, except that
// control characters 0x1A-0x1F are escaped: rapidjson 1.1's SSE2 path lets them through
// unescaped, which is not JSON. Use this (not rapidjson's Writer) for data that leaves.
void AppendJson(std::string& out, const rapidjson::Value& value);
// `value` as compact JSON. `size_hint`, the expected length, spares the buffer's regrowth.
std::string WriteJson(const rapidjson::Value& value, size_t size_hint = 256);
// The JSON of `value` as the contents of a JSON string literal (quotes not included): what
// AppendJsonString(WriteJson(value)) writes between its quotes, in one pass. For the
// properties columns of rows, which are JSON texts inside JSON.
void AppendJsonInString(std::string& out, const rapidjson::Value& value);

// Reads the JSON string literal whose opening quote is at `pos` of `text`, 16 bytes at a
// time: writes its unescaped contents at `out` (room for text.size() - pos bytes: it moves
// 16 at a time; null to only find the end), sets `written`, and returns one past the closing
// quote. npos when the text ends first, and for what it leaves to a full parser: \u
// escapes, raw control characters, unknown escapes.
size_t ReadJsonString(std::string_view text, size_t pos, char* out, size_t& written);

// Where values end in JSON text a parser has accepted (or that WriteJson wrote), so callers
// can work on the text without parsing it into a document. Strings and nesting only; a
// scalar ends at the next delimiter or whitespace. npos when the text ends first.
// One past the closing quote of the string whose opening quote is at `pos`:
size_t SkipJsonString(std::string_view text, size_t pos);
// One past the end of the value starting at `pos`:
size_t SkipJsonValue(std::string_view text, size_t pos);

// rapidjson's malloc allocator, for documents' parse stacks and memory pools' chunks: it is
// stateless, so this one serves them all, on every thread. A document or pool given none
// allocates one of its own, a malloc and a free each.
rapidjson::CrtAllocator* SharedCrtAllocator();

// The deepest nesting any JSON from outside may have: PostHog's capture parses with
// serde_json, whose recursion limit is 128. Capture refuses deeper requests; every later
// stage that reads untrusted JSON checks it before parsing, so that no recursive routine
// (rapidjson's parser and writer, ours) ever goes deeper than this.
inline constexpr size_t kMaxJsonDepth = 128;

// True when arrays and objects in `text` nest deeper than `max_depth` (the root object is
// depth 1). One pass, no recursion, 16 bytes at a time; brackets inside strings do not count;
// text that is not JSON is judged by its brackets alone (the parser rejects the rest).
bool JsonNestsDeeperThan(std::string_view text, size_t max_depth = kMaxJsonDepth);

// Appends the UTF-8 encoding of a code point (up to U+10FFFF; surrogates are encoded as
// they are, as lz-string's and ClickHouse's decoders do).
void AppendUtf8(std::string& out, uint32_t code_point);

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF). ASCII runs are checked 8 bytes at a time.
bool IsValidUtf8(std::string_view text);

// True when `text` is one complete JSON value (RFC 8259; surrounding whitespace allowed).
bool IsJson(std::string_view text);

}  // namespace hedgerow
