#pragma once

#include <string>
#include <string_view>

namespace hedgerow {

// Appends `text` as a JSON string literal, quotes included: '"', '\\' and control
// characters escaped, everything else (UTF-8 included) copied in runs.
void AppendJsonString(std::string& out, std::string_view text);

// True when `text` is one complete JSON value (RFC 8259; surrounding whitespace allowed).
bool IsJson(std::string_view text);

}  // namespace hedgerow
