#include "hedgerow/server/server.h"
#include "hedgerow/meta/meta_store.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

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

TEST_CASE("events captured over HTTP reach the store's events, person and distinct id tables", "[server]") {
  TempDir dir;
  auto options = Options(dir);
  options.store_batch_wait = std::chrono::milliseconds(20);
  auto s = server::Server::Start(options);
  REQUIRE(s.ok());
  std::string batch = R"({"api_key":"phc_test","batch":[)";
  for (int i = 0; i < 50; ++i) {
    if (i > 0) batch += ',';
    batch += fmt::format(R"({{"event":"e{}","distinct_id":"user-{}","properties":{{"$set":{{"n":{}}}}}}})", i % 3, i % 7, i);
  }
  batch += "]}";
  auto response = HttpRequest((*s)->api_port(), "POST", "/batch/", batch, {{"Content-Type", "application/json"}});
  REQUIRE(response);
  REQUIRE(response->status == 200);
  // Wait for the pipeline and then the store consumers to reach the end of their topics.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto rows_in = [&](const char* table) {
    size_t rows = 0;
    std::mutex mu;
    REQUIRE((*s)->store().table(table)->Scan({.columns = {"team_id"}, .final = true}, [&](uint32_t, store::Block&& b) {
      std::lock_guard<std::mutex> lock(mu);
      rows += b.rows();
      return Status::Ok();
    }).ok());
    return rows;
  };
  while (rows_in("events") < 50 || rows_in("person_distinct_id2") < 7 || rows_in("person") < 7) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(rows_in("events") == 50);
  CHECK(rows_in("person") == 7);
  CHECK(rows_in("person_distinct_id2") == 7);
  auto metrics = HttpRequest((*s)->api_port(), "GET", "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("hedgerow_store_parts{table=\"events\"}") != std::string::npos);
  // The memory gauges report real holders: the records just written sit in RocksDB's
  // memtables, and jemalloc (when linked) holds less than the whole process.
  auto gauge = [&](const std::string& series) {
    size_t at = metrics->body.find("\n" + series + " ");  // a sample line, not its # HELP
    REQUIRE(at != std::string::npos);
    return std::stod(metrics->body.substr(at + series.size() + 2));
  };
  CHECK(gauge(R"(hedgerow_memory_bytes{area="log_memtables"})") > 0);
  CHECK(gauge(R"(hedgerow_memory_bytes{area="sqlite"})") > 0);  // persons.sqlite holds the persons just made
  CHECK(gauge(R"(hedgerow_memory_bytes{area="persons_cache"})") > 0);  // and so does the cache, until it is full
  const double rss = gauge("hedgerow_process_resident_memory_bytes");
  // Every executable runs on jemalloc except the sanitizer builds, which bring their own.
  if (dlsym(RTLD_DEFAULT, "mallctl") != nullptr) {
    const double allocated = gauge(R"(hedgerow_memory_bytes{area="allocator_allocated"})");
    CHECK(allocated > 0);
    CHECK(allocated <= gauge(R"(hedgerow_memory_bytes{area="allocator_resident"})"));
    CHECK(gauge(R"(hedgerow_memory_bytes{area="allocator_resident"})") < rss);
  }
  CHECK(HttpRequest((*s)->api_port(), "GET", "/_readiness")->body.find("\"store\":\"ok\"") != std::string::npos);
}

TEST_CASE("readiness reports a store whose inserts fail, and metrics show the stalled consumer's age", "[server]") {
  TempDir dir;
  auto options = Options(dir);
  options.store_batch_wait = std::chrono::milliseconds(20);
  auto s = server::Server::Start(options);
  REQUIRE(s.ok());
  const uint16_t port = (*s)->api_port();
  REQUIRE(HttpRequest(port, "GET", "/_readiness")->status == 200);
  // A file where the events of January 2024 need their partition directory, in every shard:
  // their inserts fail until it goes.
  std::vector<std::string> blockers;
  for (int shard = 0; shard < 2; ++shard) {
    std::string shard_dir = dir.File("data") + "/store/events/" + std::to_string(shard);
    std::filesystem::create_directories(shard_dir);
    blockers.push_back(shard_dir + "/202401");
    std::ofstream(blockers.back()) << "in the way";
  }
  auto sent = HttpRequest(port, "POST", "/e/",
                          R"({"api_key":"phc_test","event":"e","distinct_id":"u","timestamp":"2024-01-15T00:00:00Z"})",
                          {{"Content-Type", "application/json"}});
  REQUIRE(sent);
  REQUIRE(sent->status == 200);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto ready = HttpRequest(port, "GET", "/_readiness");
  while (ready->status == 200) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ready = HttpRequest(port, "GET", "/_readiness");
  }
  CHECK(ready->status == 503);
  CHECK(ready->body.find(R"("status":"not_ready")") != std::string::npos);
  CHECK(ready->body.find("inserts into events are failing") != std::string::npos);
  CHECK(ready->body.find(R"("persons":"ok")") != std::string::npos);
  // The stalled consumer's oldest record ages; its errors count.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the age to measure, not a synchronization
  std::string metrics = HttpRequest(port, "GET", "/metrics")->body;
  const std::string age_name =
      R"(hedgerow_log_consumer_oldest_unconsumed_seconds{group="store_events",topic="clickhouse_events_json"} )";
  size_t at = metrics.find(age_name);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(metrics.substr(at + age_name.size())) >= 1.0);
  CHECK(metrics.find(R"(hedgerow_store_insert_errors_total{table="events"} 0)") == std::string::npos);
  // Out of the way, the retry goes through and readiness follows.
  for (const std::string& b : blockers) std::filesystem::remove(b);
  ready = HttpRequest(port, "GET", "/_readiness");
  while (ready->status != 200) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ready = HttpRequest(port, "GET", "/_readiness");
  }
  metrics = HttpRequest(port, "GET", "/metrics")->body;
  at = metrics.find(age_name);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(metrics.substr(at + age_name.size())) == 0);
}

TEST_CASE("the apps option makes a project's apps exactly its list, and refuses bad entries whole", "[server]") {
  TempDir dir;
  auto options = Options(dir);
  options.apps = R"({"1":[{"kind":"property_remover","config":{"properties":["$ip"]}},{"kind":"taxonomy","config":{"style":"snake_case"}}]})";
  {
    auto s = server::Server::Start(options);
    REQUIRE(s.ok());
  }
  auto meta = meta::MetaStore::Open(dir.File("data/meta.sqlite"));
  REQUIRE(meta.ok());
  auto apps = (*meta)->Apps(1);
  REQUIRE(apps.ok());
  REQUIRE(apps->size() == 2);
  CHECK((*apps)[0].kind == "property_remover");
  CHECK((*apps)[0].config == R"({"properties":["$ip"]})");
  CHECK((*apps)[1].kind == "taxonomy");
  meta->reset();

  for (const char* bad : {R"({"1":[{"kind":"no_such_app"}]})", R"({"1":[{"kind":"property_remover","config":{}}]})",
                          R"({"7":[]})", R"({"x":[]})", "[]", "{"}) {
    INFO(bad);
    options.apps = bad;
    auto s = server::Server::Start(options);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kInvalidArgument);
    CHECK(s.status().message().rfind("apps: ", 0) == 0);
  }
  options.apps = R"({"1":[]})";
  REQUIRE(server::Server::Start(options).ok());
  meta = meta::MetaStore::Open(dir.File("data/meta.sqlite"));
  CHECK((*meta)->Apps(1)->empty());
}
