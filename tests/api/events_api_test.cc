// PostHog's events list API on a real server: filters, newest first, the `next` cursor, auth
// and the errors that name a bad parameter.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <functional>
#include <thread>

#include "hedgerow/server/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::HttpRequest;

namespace {

constexpr const char* kKey = "phx_events_api_key";

struct Fixture {
  Fixture() {
    server::ServerOptions options;
    options.data_dir = dir.File("data");
    options.project_token = "phc_events";
    options.personal_api_key = kKey;
    options.api.listen = {"127.0.0.1", 0};
    auto s = server::Server::Start(options);
    REQUIRE(s.ok());
    server = std::move(s).value();
  }
  // GET `target` with the key; the parsed JSON body and the status.
  std::pair<int, rapidjson::Document> Get(const std::string& target, const std::string& key = kKey) {
    auto r = HttpRequest(server->api_port(), "GET", target, "", {{"Authorization", "Bearer " + key}});
    REQUIRE(r);
    rapidjson::Document doc;
    doc.Parse(r->body.data(), r->body.size());
    REQUIRE(!doc.HasParseError());
    return {r->status, std::move(doc)};
  }
  testing::TempDir dir;
  std::unique_ptr<server::Server> server;
};

std::vector<std::string> DistinctIds(const rapidjson::Document& page) {
  std::vector<std::string> out;
  for (const auto& e : page["results"].GetArray()) out.emplace_back(e["distinct_id"].GetString());
  return out;
}

}  // namespace

TEST_CASE("the events API lists a project's events newest first, filtered and paged", "[api]") {
  Fixture f;
  std::string batch = R"({"api_key":"phc_events","batch":[)";
  for (int i = 0; i < 5; ++i) {
    batch += fmt::format(R"({}{{"event":"{}","distinct_id":"u{}","timestamp":"2026-12-07T05:00:0{}.5Z","properties":{{"i":{}}}}})",
                         i ? "," : "", i % 2 ? "odd" : "even", i, i, i);
  }
  batch += "]}";
  REQUIRE(HttpRequest(f.server->api_port(), "POST", "/batch/", batch)->status == 200);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (f.Get("/api/projects/1/events/").second["results"].Size() < 5) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  auto [status, all] = f.Get("/api/projects/@current/events/");
  CHECK(status == 200);
  CHECK(DistinctIds(all) == std::vector<std::string>{"u4", "u3", "u2", "u1", "u0"});
  CHECK(all["next"].IsNull());
  const rapidjson::Value& first = all["results"][0];
  CHECK(std::string(first["event"].GetString()) == "even");
  CHECK(first["properties"]["i"].GetInt() == 4);
  CHECK(std::string(first["timestamp"].GetString()) == "2026-12-07T05:00:04.500000Z");
  CHECK(std::string(first["id"].GetString()).size() == 36);
  CHECK(first["elements"].IsArray());

  CHECK(DistinctIds(f.Get("/api/projects/1/events/?event=odd").second) == std::vector<std::string>{"u3", "u1"});
  CHECK(DistinctIds(f.Get("/api/projects/1/events/?distinct_id=u2").second) == std::vector<std::string>{"u2"});
  CHECK(DistinctIds(f.Get("/api/projects/1/events/?after=2026-12-07T05:00:01.5Z&before=2026-12-07T05:00:04Z").second) ==
        std::vector<std::string>{"u3", "u2"});

  // Pages of two, following `next` to the end: every event once.
  std::vector<std::string> paged;
  std::string target = "/api/projects/1/events/?limit=2&event=even";
  for (int page = 0; page < 5 && !target.empty(); ++page) {
    auto [s, doc] = f.Get(target);
    REQUIRE(s == 200);
    for (const std::string& id : DistinctIds(doc)) paged.push_back(id);
    if (doc["next"].IsNull()) {
      target.clear();
    } else {
      std::string next = doc["next"].GetString();
      REQUIRE(next.find("event=even") != std::string::npos);
      target = next.substr(next.find("/api/"));
    }
  }
  CHECK(target.empty());
  CHECK(paged == std::vector<std::string>{"u4", "u2", "u0"});

  auto [bad_limit, limit_error] = f.Get("/api/projects/1/events/?limit=5000");
  CHECK(bad_limit == 400);
  CHECK(std::string(limit_error["detail"].GetString()).find("limit") == 0);
  CHECK(f.Get("/api/projects/1/events/?before=tomorrow").first == 400);
  CHECK(f.Get("/api/projects/1/events/", "phx_unknown").first == 401);
  CHECK(f.Get("/api/projects/2/events/").first != 200);
  // Quotes in a filter are values, never SQL.
  auto [quoted, none] = f.Get("/api/projects/1/events/?event=x'%20OR%20'1'='1");
  CHECK(quoted == 200);
  CHECK(none["results"].Size() == 0);
}
