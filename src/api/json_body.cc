#include "hedgerow/api/json_body.h"

#include "hedgerow/common/json.h"

namespace hedgerow::api {

http::Response ValidationError(std::string_view code, std::string_view detail, std::string_view attr) {
  std::string out = R"({"type":"validation_error","code":)";
  AppendJsonString(out, code);
  out += R"(,"detail":)";
  AppendJsonString(out, detail);
  out += R"(,"attr":)";
  if (attr.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, attr);
  }
  out += '}';
  return http::Response::Json(400, std::move(out));
}

std::optional<http::Response> ParseJsonObjectBody(const http::Request& request, rapidjson::Document& body) {
  if (request.body.size() > kMaxManagementBodyBytes || JsonNestsDeeperThan(request.body)) {
    return ValidationError("invalid_input", "the body is larger than 1 MiB or nests too deeply", "");
  }
  body.Parse(request.body.data(), request.body.size());
  if (body.HasParseError() || !body.IsObject()) return ValidationError("parse_error", "the body must be a JSON object", "");
  return std::nullopt;
}

}  // namespace hedgerow::api
