#include "hedgerow/api/admin_api.h"

#include <rapidjson/document.h>

#include <fmt/format.h>

#include "hedgerow/common/json.h"
#include "project_auth.h"

namespace hedgerow::api {
namespace {

bool IsLoopback(std::string_view address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

}  // namespace

AdminApi::~AdminApi() {
  std::lock_guard<std::mutex> lock(mu_);
  if (worker_.joinable()) worker_.join();
}

void AdminApi::AddRoutes(http::Router& router) {
  router.Add("POST", "/api/backup", [this](http::Request request, http::Reply reply) {
    http::Response refusal;
    if (!BearerKeyProject(request, *options_.meta, "backup", refusal)) return reply(std::move(refusal));
    if (!IsLoopback(request.remote_address)) {
      return reply(http::Response::Error(403, "authentication_error", "permission_denied",
                                         "backup: only from the server's own machine (the directory is on its disk)"));
    }
    rapidjson::Document body;
    body.Parse<rapidjson::kParseIterativeFlag>(request.body.data(), request.body.size());
    if (!body.IsObject() || !body.HasMember("dir") || !body["dir"].IsString()) {
      return reply(http::Response::Error(400, "validation_error", "invalid_input",
                                         R"(backup: expected {"dir":"/absolute/path/of/a/new/directory"})"));
    }
    std::string dir(body["dir"].GetString(), body["dir"].GetStringLength());
    std::lock_guard<std::mutex> lock(mu_);
    if (running_) {
      return reply(http::Response::Error(409, "invalid_request", "conflict", "backup: another backup is under way"));
    }
    if (worker_.joinable()) worker_.join();  // finished: it cleared running_
    running_ = true;
    worker_ = std::thread([this, dir = std::move(dir), reply = std::move(reply)] {
      Result<std::string> summary = options_.backup(dir);
      {
        std::lock_guard<std::mutex> done(mu_);
        running_ = false;
      }
      if (summary.ok()) return reply(http::Response::Json(200, std::move(summary).value()));
      const Status& s = summary.status();
      int status = s.code() == StatusCode::kInvalidArgument ? 400 : s.code() == StatusCode::kUnavailable ? 503 : 500;
      reply(http::Response::Error(status, status == 400 ? "validation_error" : "server_error",
                                  status == 400 ? "invalid_input" : "backup_failed", s.message()));
    });
  });
}

}  // namespace hedgerow::api
