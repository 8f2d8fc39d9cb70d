#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace hedgerow {

// Appends `text` as a JSON string literal, quotes included: '"', '\\' and control
// characters escaped, everything else (UTF-8 included) copied in runs.
void AppendJsonString(std::string& out, std::string_view text);

// `value` as compact JSON. `size_hint`, the expected length, spares the buffer's regrowth.
std::string WriteJson(const rapidjson::Value& value, size_t size_hint = 256);

// True when `text` is one complete JSON value (RFC 8259; surrounding whitespace allowed).
bool IsJson(std::string_view text);

}  // namespace hedgerow
