#pragma once

#include <string>
#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/http/request.h"

namespace hedgerow::http {

// One HTTP response. Content-Length, Connection, CORS and request-id headers are added by the
// server; handlers set the status, body and any other headers.
struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;

  static Response Json(int status, std::string json);
  static Response Text(int status, std::string text, std::string_view content_type = "text/plain; charset=utf-8");
  // PostHog's error shape: {"type": ..., "code": ..., "detail": ...}. `code` defaults to the
  // Status code's name; the HTTP status comes from HttpStatusFor.
  static Response Error(const Status& status, std::string_view code = {});
  static Response Error(int http_status, std::string_view type, std::string_view code,
                        std::string_view detail);

  Response& SetHeader(std::string name, std::string value);
};

// The one place Status codes become HTTP status codes.
int HttpStatusFor(StatusCode code);

// "a\"b" -> "\"a\\\"b\"": a JSON string literal (UTF-8 passes through; controls escaped).
std::string JsonQuote(std::string_view text);

}  // namespace hedgerow::http
