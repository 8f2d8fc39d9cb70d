#pragma once

#include <string_view>

namespace hedgerow {

// True when `text` is one complete JSON value (RFC 8259; surrounding whitespace allowed).
bool IsJson(std::string_view text);

}  // namespace hedgerow
