#include "hedgerow/http/response.h"

#include <fmt/format.h>

#include "hedgerow/common/json.h"

namespace hedgerow::http {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kTooLarge: return 413;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

Response Response::Json(int status, std::string json) {
  Response r;
  r.status = status;
  r.body = std::move(json);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Response Response::Text(int status, std::string text, std::string_view content_type) {
  Response r;
  r.status = status;
  r.body = std::move(text);
  r.headers.emplace_back("Content-Type", std::string(content_type));
  return r;
}

Response Response::Error(int http_status, std::string_view type, std::string_view code,
                         std::string_view detail) {
  return Json(http_status, fmt::format(R"({{"type":{},"code":{},"detail":{}}})", JsonQuote(type),
                                       JsonQuote(code), JsonQuote(detail)));
}

Response Response::Error(const Status& status, std::string_view code) {
  int http_status = HttpStatusFor(status.code());
  // PostHog's error types: the client's fault is a validation or authentication error.
  std::string_view type = http_status == 401   ? "authentication_error"
                          : http_status == 404 ? "invalid_request"
                          : http_status < 500  ? "validation_error"
                                               : "server_error";
  std::string_view c = code.empty() ? StatusCodeName(status.code()) : code;
  return Error(http_status, type, c, status.message());
}

Response& Response::SetHeader(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (k == name) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

}  // namespace hedgerow::http
