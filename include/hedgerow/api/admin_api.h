#pragma once

// Operations a running server performs, each on its own thread (never an HTTP thread), one
// at a time (409 while another runs):
//   POST /api/backup/ with {"dir":"/absolute/new/dir"}: `hedgerow backup`; a personal API key,
//     from the server's own machine (a loopback peer: the directory is on its file system).
//   DELETE /api/projects/:id/persons/:uuid/: the person, its distinct ids and its events
//     (`hedgerow delete-person`); the project's personal API key. 204 when done, 404 when
//     there was nothing to delete.

#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/http/router.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::api {

struct AdminApiOptions {
  meta::MetaStore* meta = nullptr;
  // Writes the backup to the directory and returns its summary as a JSON object.
  std::function<Result<std::string>(const std::string& dir)> backup;
  // Deletes a person of a project; false when there was nothing to delete.
  std::function<Result<bool>(int64_t project_id, const Uuid& person)> delete_person;
};

class AdminApi {
 public:
  explicit AdminApi(AdminApiOptions options) : options_(std::move(options)) {}
  ~AdminApi();  // Stop()
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  void AddRoutes(http::Router& router);
  // Waits for the operation under way (its answer is sent); later requests get 503. The
  // routes stay valid (they answer 503) until the object goes, after the listener.
  void Stop();

 private:
  // Runs `job` on the worker thread and answers with its response; 409 while one runs.
  void RunExclusive(http::Reply reply, std::function<http::Response()> job);

  AdminApiOptions options_;
  std::mutex mu_;
  std::thread worker_;  // the last backup's; joined before the next and at the end
  bool running_ = false;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace hedgerow::api
