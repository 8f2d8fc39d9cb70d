#pragma once

// Operations a running server performs for `hedgerow backup`: POST /api/backup/ with
// {"dir":"/absolute/new/dir"}, a personal API key, from the server's own machine (a loopback
// peer: the directory is on the server's file system). One backup at a time (409 while one
// runs); it runs on its own thread, never on an HTTP thread.

#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "hedgerow/common/status.h"
#include "hedgerow/http/router.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::api {

struct AdminApiOptions {
  meta::MetaStore* meta = nullptr;
  // Writes the backup to the directory and returns its summary as a JSON object.
  std::function<Result<std::string>(const std::string& dir)> backup;
};

class AdminApi {
 public:
  explicit AdminApi(AdminApiOptions options) : options_(std::move(options)) {}
  ~AdminApi();  // waits for a running backup
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  void AddRoutes(http::Router& router);

 private:
  AdminApiOptions options_;
  std::mutex mu_;
  std::thread worker_;  // the last backup's; joined before the next and at the end
  bool running_ = false;  // guarded by mu_
};

}  // namespace hedgerow::api
