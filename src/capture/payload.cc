#include "hedgerow/capture/payload.h"

#include <strings.h>

#include <algorithm>

#include <fmt/format.h>

#include "hedgerow/capture/lz_string.h"
#include "hedgerow/common/base64.h"
#include "hedgerow/common/compression.h"
#include "hedgerow/http/request.h"

namespace hedgerow::capture {
namespace {

enum class Compression { kNone, kGzip, kLz64, kBase64 };

Compression ParseHint(std::string_view hint) {
  auto is = [&](const char* v) { return hint.size() == strlen(v) && strncasecmp(hint.data(), v, hint.size()) == 0; };
  if (is("gzip") || is("gzip-js")) return Compression::kGzip;
  if (is("lz64") || is("lz-string")) return Compression::kLz64;
  if (is("base64") || is("b64")) return Compression::kBase64;
  return Compression::kNone;
}

// "key=value&..." starting with a field the SDKs put in forms. Checking the key (not just
// for '=') keeps padded base64 ("...xyz=") from passing for a form.
bool LooksLikeForm(std::string_view payload) {
  size_t eq = payload.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view key = payload.substr(0, eq);
  return key == "data" || key == "compression" || key == "ver" || key == "ip" || key == "_";
}

// Whether `text` starts like a JSON object or array.
bool LooksLikeJson(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && (text[i] == '{' || text[i] == '[');
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

Result<std::string> DecodePayload(const PayloadSource& source, size_t max_bytes) {
  // 1. The payload: ?data= (GET, legacy) or the body.
  std::string payload;
  if (source.query_data && !source.query_data->empty()) {
    payload = *source.query_data;
  } else {
    payload = std::string(source.body);
  }
  if (payload.empty()) return Status::InvalidArgument("capture: request missing data payload");
  if (payload.size() > max_bytes) {
    return Status::TooLarge(fmt::format("capture: payload exceeds {} bytes", max_bytes));
  }

  // 2. Optimistic base64 of the whole payload.
  bool form = LooksLikeForm(payload);
  if (!form && LooksStrictBase64(payload)) {
    if (auto decoded = Base64Decode(payload)) payload = std::move(*decoded);
  }

  // 3. Form fields data= and compression=.
  std::optional<std::string> form_compression;
  bool form_not_json = false;  // a form's data that is not JSON: base64 unless hinted otherwise
  std::string_view content_type = source.content_type.substr(0, source.content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  // A form content type on a body that is not a form is read as a raw payload: that is what
  // `curl -d '{...}'` sends (PostHog answers 400; being lenient costs nothing here).
  if (form && strncasecmp(content_type.data(), "application/x-www-form-urlencoded", content_type.size()) == 0 &&
      content_type.size() == strlen("application/x-www-form-urlencoded")) {
    std::optional<std::string> data;
    for (auto& [k, v] : http::ParseUrlEncoded(payload)) {
      if (k == "data" && !data) data = std::move(v);
      else if (k == "compression" && !form_compression) form_compression = std::move(v);
    }
    if (!data || data->empty()) return Status::InvalidArgument("capture: form has no data field");
    // JSON first, then base64, as PostHog's capture reads a form's data: JSON keeps its
    // spaces, while in anything else they are base64's '+' that form decoding turned into
    // spaces (no base64 alphabet has '{' or '[').
    form_not_json = !LooksLikeJson(*data);
    if (form_not_json) std::replace(data->begin(), data->end(), ' ', '+');
    payload = std::move(*data);
  }

  // 4. The compression hint: form field, then query parameter.
  Compression hint = Compression::kNone;
  if (form_compression) hint = ParseHint(*form_compression);
  else if (source.query_compression) hint = ParseHint(*source.query_compression);

  // 5. Decompress. gzip is recognised by its magic bytes whatever the hint says: current
  // posthog-js sends gzip as text/plain with no hint at all.
  std::string text;
  if (LooksGzipped(payload)) {
    HEDGEROW_ASSIGN_OR_RETURN(text, GunzipLimited(payload, max_bytes));
  } else if (hint == Compression::kLz64) {
    HEDGEROW_ASSIGN_OR_RETURN(text, LzStringDecompressFromBase64(payload, max_bytes));
  } else if (hint == Compression::kBase64 || (form_not_json && hint == Compression::kNone)) {
    // Base64 in any alphabet, padded or not; a payload the optimistic step already decoded
    // (or that never was base64) is kept as it is.
    auto decoded = Base64Decode(payload);
    text = decoded ? std::move(*decoded) : std::move(payload);
  } else {
    text = std::move(payload);
  }
  if (text.size() > max_bytes) return Status::TooLarge(fmt::format("capture: payload exceeds {} bytes", max_bytes));

  // 6. Old posthog-js on the legacy paths base64-encoded the JSON once more.
  if (source.legacy_path && LooksStrictBase64(text)) {
    if (auto decoded = Base64Decode(text)) text = std::move(*decoded);
  }
  if (!IsValidUtf8(text)) return Status::InvalidArgument("capture: failed to decode request: payload is not UTF-8");
  return text;
}

}  // namespace hedgerow::capture
