// The query surfaces as clients use them: a real server, real sockets, events captured and
// ingested first.

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <thread>

#include "hedgerow/common/base64.h"
#include "hedgerow/server/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::HttpRequest;

namespace {

constexpr const char* kKey = "phx_query_test_key";

struct Fixture {
  Fixture() {
    server::ServerOptions options;
    options.data_dir = dir.File("data");
    options.project_token = "phc_query";
    options.personal_api_key = kKey;
    options.api.listen = {"127.0.0.1", 0};
    options.clickhouse = options.api;
    options.store_batch_wait = std::chrono::milliseconds(20);
    auto s = server::Server::Start(options);
    REQUIRE(s.ok());
    server = std::move(s).value();
    std::string batch = R"({"api_key":"phc_query","batch":[)";
    for (int i = 0; i < 7; ++i) {
      batch += fmt::format(R"({}{{"event":"{}","distinct_id":"u{}"}})", i ? "," : "", i % 3 ? "$pageview" : "signup", i % 2);
    }
    batch += "]}";
    REQUIRE(HttpRequest(server->api_port(), "POST", "/batch/", batch)->status == 200);
    // Until the pipeline and the store consumer have them all.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (ClickHouse("SELECT count() FROM events").body != "7\n") {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  testing::ClientResponse ClickHouse(const std::string& sql, const std::string& password = kKey) {
    auto r = HttpRequest(server->clickhouse_port(), "POST", "/?default_format=TabSeparated", sql,
                         {{"Authorization", "Basic " + Base64Encode("default:" + password)}});
    REQUIRE(r);
    return *r;
  }
  testing::TempDir dir;
  std::unique_ptr<server::Server> server;
};

}  // namespace

TEST_CASE("the ClickHouse HTTP interface answers queries in ClickHouse's formats and errors", "[api]") {
  Fixture f;
  const uint16_t port = f.server->clickhouse_port();
  CHECK(HttpRequest(port, "GET", "/ping")->body == "Ok.\n");
  CHECK(f.ClickHouse("SELECT event, count() FROM events GROUP BY event ORDER BY event").body == "$pageview\t4\nsignup\t3\n");
  auto json = f.ClickHouse("SELECT event, count() AS c FROM events GROUP BY event ORDER BY c DESC FORMAT JSONEachRow");
  CHECK(json.body == "{\"event\":\"$pageview\",\"c\":\"4\"}\n{\"event\":\"signup\",\"c\":\"3\"}\n");
  CHECK(json.Header("x-clickhouse-format") == "JSONEachRow");
  CHECK(json.Header("content-type").rfind("application/json", 0) == 0);
  auto by_get = HttpRequest(port, "GET", "/?query=SELECT%201%2B1&user=default&password=" + std::string(kKey));
  CHECK(by_get->body == "2\n");
  auto headers = HttpRequest(port, "POST", "/", "SELECT uniqExact(distinct_id) FROM events FORMAT CSVWithNames",
                             {{"X-ClickHouse-User", "default"}, {"X-ClickHouse-Key", kKey}});
  CHECK(headers->body == "\"uniqExact(distinct_id)\"\n2\n");
  CHECK(f.ClickHouse("SHOW TABLES LIKE 'person%'").body == "person\nperson_distinct_id2\n");
  CHECK(f.ClickHouse("EXISTS TABLE events").body == "1\n");

  auto wrong = f.ClickHouse("SELECT 1", "phx_wrong");
  CHECK(wrong.status == 403);
  CHECK(wrong.body.rfind("Code: 516. DB::Exception: default: Authentication failed", 0) == 0);
  auto insert = f.ClickHouse("INSERT INTO events VALUES (1)");
  CHECK(insert.status == 403);
  CHECK(insert.body == "Code: 164. DB::Exception: Cannot execute INSERT: queries are read-only (READONLY)\n");
  auto syntax = f.ClickHouse("SELECT 1 +");
  CHECK(syntax.status == 400);
  CHECK(syntax.body.rfind("Code: 62. DB::Exception: Syntax error at line 1, column 11", 0) == 0);
  CHECK(f.ClickHouse("SELECT x FROM nowhere").status == 404);
  CHECK(f.ClickHouse("SELECT 1 FORMAT Nope").body == "Code: 73. DB::Exception: Unknown format Nope (UNKNOWN_FORMAT)\n");
}

TEST_CASE("the query API runs HogQL for one project, with PostHog's limits", "[api]") {
  Fixture f;
  const uint16_t port = f.server->api_port();
  auto query = [&](const std::string& sql, const std::string& project = "1", const std::string& key = kKey) {
    std::string body = R"({"query":{"kind":"HogQLQuery","query":")" + sql + R"("}})";
    auto r = HttpRequest(port, "POST", "/api/projects/" + project + "/query/", body,
                         {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
    REQUIRE(r);
    return *r;
  };
  auto r = query("SELECT event, count() AS c FROM events GROUP BY event ORDER BY c DESC");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"columns":["event","c"],"types":[["event","String"],["c","UInt64"]],)"
                  R"("results":[["$pageview",4],["signup",3]]})");
  auto missing = query("SELECT number FROM events");
  CHECK(missing.status == 400);
  CHECK(missing.body.find("Missing columns: 'number'") != std::string::npos);
  CHECK(query("SELECT count() FROM events", "2").status == 404);   // no project 2
  CHECK(query("SELECT 1", "1", "phx_nope").status == 401);
  CHECK(query("DROP TABLE events").body.find("queries are read-only") != std::string::npos);
  // LIMIT capped at 50,000 and 100 by default: both run (7 rows here).
  CHECK(query("SELECT event FROM events LIMIT 1000000").body.find(R"("results":[[)") != std::string::npos);
  CHECK(query("SELECT count() FROM (SELECT 1)").body.find("is not supported yet") != std::string::npos);
}
