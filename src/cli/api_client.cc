#include "api_client.h"

#include <chrono>

#include <fmt/format.h>

#include "hedgerow/common/json.h"
#include "hedgerow/http/client.h"

namespace hedgerow::cli {

Result<ApiReply> Post(const ApiTarget& target, const std::string& path, const std::string& body) {
  return Request(target, "POST", path, body);
}

Result<ApiReply> Request(const ApiTarget& target, std::string_view method, const std::string& path,
                         const std::string& body) {
  http::ClientRequest request{.host = target.host,
                              .port = target.port,
                              .method = std::string(method),
                              .target = path,
                              .headers = {{"Authorization", "Bearer " + target.api_key},
                                          {"Content-Type", "application/json"}},
                              .body = body};
  Result<http::ClientReply> reply = http::SendRequest(request);
  if (!reply.ok()) return Status::Unavailable(reply.status().message() + "; is hedgerow serve running?");
  return ApiReply{reply->status, std::move(reply->body)};
}

std::vector<OptionSpec> ApiClientOptions(std::string_view section) {
  return {
      {.name = "url", .section = std::string(section), .default_value = "http://127.0.0.1:8000",
       .help = "the server's API", .value_name = "URL"},
      {.name = "api-key", .section = std::string(section), .default_value = "",
       .help = "a personal API key (phx_...)", .value_name = "phx_..."},
      {.name = "project", .section = std::string(section), .default_value = "1", .help = "project to query",
       .type = OptionType::kInt, .min = 1, .value_name = "ID"},
  };
}

Result<ApiTarget> ApiTargetFrom(const Config& config) {
  ApiTarget target;
  target.api_key = config.GetString("api-key");
  if (target.api_key.empty()) {
    return Status::InvalidArgument("--api-key (or HEDGEROW_API_KEY) is required: a personal API key, phx_...");
  }
  const std::string& url = config.GetString("url");
  if (url.rfind("http://", 0) != 0) {
    return Status::InvalidArgument(fmt::format("--url must be http://HOST:PORT, got \"{}\"", url));
  }
  size_t slash = url.find('/', 7);
  std::string authority = url.substr(7, slash == std::string::npos ? std::string::npos : slash - 7);
  size_t colon = authority.rfind(':');
  target.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  target.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (target.host.empty() || target.port.empty()) {
    return Status::InvalidArgument(fmt::format("--url must be http://HOST:PORT, got \"{}\"", url));
  }
  target.project = config.GetInt("project");
  return target;
}

Result<QueryAnswer> RunRemoteQuery(const ApiTarget& target, const std::string& sql) {
  std::string body = R"({"query":{"kind":"HogQLQuery","query":)";
  AppendJsonString(body, sql);
  body += "}}";
  HEDGEROW_ASSIGN_OR_RETURN(ApiReply reply, Post(target, fmt::format("/api/projects/{}/query/", target.project), body));
  QueryAnswer answer;
  answer.body = std::move(reply.body);
  answer.doc.Parse<rapidjson::kParseIterativeFlag>(answer.body.data(), answer.body.size());
  const rapidjson::Document& doc = answer.doc;
  if (reply.status != 200) {
    std::string detail = doc.IsObject() && doc.HasMember("detail") && doc["detail"].IsString() ? doc["detail"].GetString()
                                                                                                 : answer.body;
    std::string message = fmt::format("{} (HTTP {})", detail, reply.status);
    // The server refused the request as asked; 5xx (busy, stopping) may pass.
    return reply.status >= 400 && reply.status < 500 ? Status::InvalidArgument(message) : Status::Unavailable(message);
  }
  if (!doc.IsObject() || !doc.HasMember("columns") || !doc["columns"].IsArray() || !doc.HasMember("results") ||
      !doc["results"].IsArray()) {
    return Status::Internal("the server's answer is not a query result");
  }
  return answer;
}

std::string CellText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNull()) return "NULL";
  return WriteJson(v);
}

}  // namespace hedgerow::cli
