#pragma once

// The JSON bodies of the management APIs (flags, project settings, the UI's sign-in): small
// objects, bounded in size and nesting before rapidjson's recursive parser sees them.

#include <optional>
#include <string_view>

#include <rapidjson/document.h>

#include "hedgerow/http/request.h"
#include "hedgerow/http/response.h"

namespace hedgerow::api {

inline constexpr size_t kMaxManagementBodyBytes = 1 << 20;

// PostHog's validation error: {"type":"validation_error","code":..,"detail":..,"attr":..|null}.
http::Response ValidationError(std::string_view code, std::string_view detail, std::string_view attr);

// Parses the request's body into `body`; the 400 to answer when it is over 1 MiB, nests
// deeper than kMaxJsonDepth, or is not a JSON object.
std::optional<http::Response> ParseJsonObjectBody(const http::Request& request, rapidjson::Document& body);

}  // namespace hedgerow::api
