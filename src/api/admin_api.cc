#include "hedgerow/api/admin_api.h"

#include <rapidjson/document.h>

#include <fmt/format.h>

#include "hedgerow/common/json.h"
#include "hedgerow/api/project_auth.h"

namespace hedgerow::api {
namespace {

http::Response FailureResponse(const Status& s, std::string_view code) {
  int status = s.code() == StatusCode::kInvalidArgument ? 400 : s.code() == StatusCode::kUnavailable ? 503 : 500;
  return http::Response::Error(status, status == 400 ? "validation_error" : "server_error",
                               status == 400 ? "invalid_input" : code, s.message());
}

bool IsLoopback(std::string_view address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

}  // namespace

AdminApi::~AdminApi() { Stop(); }

void AdminApi::Stop() {
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    worker = std::move(worker_);  // joined outside the lock: it takes mu_ when it ends
  }
  if (worker.joinable()) worker.join();
}

void AdminApi::AddRoutes(http::Router& router) {
  router.Add("POST", "/api/backup", [this](http::Request request, http::Reply reply) {
    http::Response refusal;
    if (!AuthenticatedProject(request, *options_.meta, "backup", refusal)) return reply(std::move(refusal));
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
    RunExclusive(std::move(reply), [this, dir = std::move(dir)] {
      Result<std::string> summary = options_.backup(dir);
      if (summary.ok()) return http::Response::Json(200, std::move(summary).value());
      return FailureResponse(summary.status(), "backup_failed");
    });
  });
  router.Add("DELETE", "/api/projects/:id/persons/:uuid", [this](http::Request request, http::Reply reply) {
    http::Response refusal;
    std::optional<int64_t> project =
        AuthorizedProject(request, *options_.meta, request.path_params.at("id"), "persons", refusal);
    if (!project) return reply(std::move(refusal));
    std::optional<Uuid> person = Uuid::Parse(request.path_params.at("uuid"));
    if (!person) {
      return reply(http::Response::Error(400, "validation_error", "invalid_input",
                                         "persons: expected the person's UUID in the path, as the person table's id"));
    }
    RunExclusive(std::move(reply), [this, project_id = *project, person = *person] {
      Result<bool> deleted = options_.delete_person(project_id, person);
      if (!deleted.ok()) return FailureResponse(deleted.status(), "delete_failed");
      if (!*deleted) return http::Response::Error(404, "invalid_request", "not_found", "persons: no such person");
      http::Response done;
      done.status = 204;
      return done;
    });
  });
}

void AdminApi::RunExclusive(http::Reply reply, std::function<http::Response()> job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    return reply(http::Response::Error(503, "server_error", "stopping", "the server is stopping"));
  }
  if (running_) {
    return reply(http::Response::Error(409, "invalid_request", "conflict",
                                       "another backup or deletion is under way; retry when it is done"));
  }
  if (worker_.joinable()) worker_.join();  // finished: it cleared running_
  running_ = true;
  worker_ = std::thread([this, job = std::move(job), reply = std::move(reply)] {
    http::Response response = job();
    {
      std::lock_guard<std::mutex> done(mu_);
      running_ = false;
    }
    reply(std::move(response));
  });
}


}  // namespace hedgerow::api
