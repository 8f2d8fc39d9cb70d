#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "hedgerow/common/status.h"

namespace hedgerow::capture {

// What the decoding pipeline reads from a request. Content-Encoding: gzip is already undone
// by the HTTP layer; every other form is undone here.
struct PayloadSource {
  std::string_view body;
  std::string_view content_type;
  std::optional<std::string> query_data;         // ?data=, the GET/legacy payload
  std::optional<std::string> query_compression;  // ?compression=
  // /e, /track, /capture, /engage: old posthog-js may base64 the JSON a second time.
  bool legacy_path = false;
};

// Turns any body form the PostHog SDKs send into JSON text (client-api.md §1.4): raw JSON,
// base64 (standard or URL-safe, padded or not), a form with data= and compression=,
// gzip (by hint or by its magic bytes, as posthog-js sends it without either), and
// lz-string base64. kInvalidArgument naming the failing step; kTooLarge when the decoded
// text would exceed `max_bytes`.
Result<std::string> DecodePayload(const PayloadSource& source, size_t max_bytes);

}  // namespace hedgerow::capture
