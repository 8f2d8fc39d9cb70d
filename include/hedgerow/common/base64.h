#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hedgerow {

// Decodes base64 in either alphabet (standard "+/" or URL-safe "-_", even mixed, as SDKs
// and proxies produce both), with or without "=" padding. Whitespace is not allowed.
// nullopt for any other character, misplaced padding, or an impossible length.
std::optional<std::string> Base64Decode(std::string_view text);

// True when `text` is non-empty, uses only the standard alphabet and "=", and has a length
// that is a multiple of 4: the strict test PostHog's capture uses before decoding
// optimistically.
bool LooksStrictBase64(std::string_view text);

std::string Base64Encode(std::string_view data);

}  // namespace hedgerow
