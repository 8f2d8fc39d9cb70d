#include "hedgerow/server/server.h"

#include <catch2/catch.hpp>

#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::HttpRequest;
using hedgerow::testing::TempDir;

namespace {
server::ServerOptions Options(const TempDir& dir) {
  server::ServerOptions options;
  options.data_dir = dir.File("data");
  options.project_token = "phc_test";
  options.api.listen = {"127.0.0.1", 0};
  return options;
}
}  // namespace

TEST_CASE("a started server answers health, readiness and metrics", "[server]") {
  TempDir dir;
  auto s = server::Server::Start(Options(dir));
  REQUIRE(s.ok());
  uint16_t port = (*s)->api_port();
  auto health = HttpRequest(port, "GET", "/_health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == R"({"status":"ok"})");
  auto ready = HttpRequest(port, "GET", "/_readiness/");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  CHECK(ready->body.find("\"ready\"") != std::string::npos);
  auto metrics = HttpRequest(port, "GET", "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->Header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(metrics->body.find("hedgerow_process_resident_memory_bytes ") != std::string::npos);
  CHECK(metrics->body.find("hedgerow_http_requests_total{server=\"api\",route=\"/_health\",method=\"GET\",status=\"200\"} 1") !=
        std::string::npos);
  CHECK((*s)->default_project().api_token == "phc_test");
}

TEST_CASE("a second server on the same data dir is refused", "[server]") {
  TempDir dir;
  auto first = server::Server::Start(Options(dir));
  REQUIRE(first.ok());
  auto second = server::Server::Start(Options(dir));
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kUnavailable);
  CHECK(second.status().message().find("is in use by another hedgerow (pid ") != std::string::npos);
  (*first)->Stop();
  auto third = server::Server::Start(Options(dir));  // the lock went with the first server
  CHECK(third.ok());
}

TEST_CASE("the data dir keeps project 1 across restarts", "[server]") {
  TempDir dir;
  auto options = Options(dir);
  { REQUIRE(server::Server::Start(options).ok()); }
  options.project_token = "phc_changed";
  auto again = server::Server::Start(options);
  REQUIRE(again.ok());
  CHECK((*again)->default_project().api_token == "phc_test");
}
