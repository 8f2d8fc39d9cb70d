#include "hedgerow/capture/capture_service.h"

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "hedgerow/common/base64.h"
#include "hedgerow/common/compression.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/http/server.h"
#include "hedgerow/common/limits.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::HttpRequest;
using hedgerow::testing::TempDir;

namespace {

// A capture server over a real socket, a real log and a real meta.sqlite.
struct Fixture {
  explicit Fixture(capture::CaptureOptions options = {}, size_t max_body = 1 << 20) {
    auto m = meta::MetaStore::Open(dir.File("meta.sqlite"));
    REQUIRE(m.ok());
    meta = std::move(m).value();
    REQUIRE(meta->Bootstrap("phc_test", "").ok());
    auto l = log::Log::Open({.dir = dir.File("log")}, &metrics);
    REQUIRE(l.ok());
    log = std::move(l).value();
    REQUIRE(log->CreateTopic({.name = "events_plugin_ingestion", .partitions = 8}).ok());
    REQUIRE(log->CreateTopic({.name = "session_recording_snapshot_item_events", .partitions = 2}).ok());
    options.max_payload_bytes = max_body;
    service = std::make_unique<capture::CaptureService>(options, meta.get(), log.get(), &metrics);
    http::Router router;
    service->AddRoutes(router);
    http::ServerOptions server_options;
    server_options.listen = {"127.0.0.1", 0};
    server_options.max_body_bytes = max_body;
    server = std::make_unique<http::Server>(server_options, std::move(router), &metrics);
    REQUIRE(server->Start().ok());
  }
  ~Fixture() { server->Stop(); }

  // Every message on a topic, parsed, in partition then offset order.
  std::vector<rapidjson::Document> Messages(const std::string& topic = "events_plugin_ingestion") {
    std::vector<rapidjson::Document> out;
    auto config = log->Topic(topic);
    REQUIRE(config.ok());
    for (uint32_t p = 0; p < config->partitions; ++p) {
      auto batch = log->Fetch(topic, p, 0, 100000, 64 << 20);
      REQUIRE(batch.ok());
      for (auto& r : batch->records) {
        rapidjson::Document d;
        d.Parse(r.record.value.data(), r.record.value.size());
        REQUIRE_FALSE(d.HasParseError());
        CHECK(r.record.key == std::string("phc_test:") + (topic == "events_plugin_ingestion"
                                                               ? d["distinct_id"].GetString()
                                                               : "s1"));
        out.push_back(std::move(d));
      }
    }
    return out;
  }

  std::optional<testing::ClientResponse> Post(const std::string& path, const std::string& body,
                                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    return HttpRequest(server->port(), "POST", path, body, headers);
  }

  TempDir dir;
  MetricsRegistry metrics;
  std::unique_ptr<meta::MetaStore> meta;
  std::unique_ptr<log::Log> log;
  std::unique_ptr<capture::CaptureService> service;
  std::unique_ptr<http::Server> server;
};

const std::string kEvent = R"({"event":"test","distinct_id":"u1","properties":{"token":"phc_test","plan":"pro"}})";

}  // namespace

TEST_CASE("every capture path accepts events and logs them before answering", "[capture]") {
  Fixture f;
  int n = 0;
  for (std::string path : {"/e", "/e/", "/i/v0/e/", "/capture/", "/track", "/engage/", "/batch/"}) {
    INFO(path);
    auto r = f.Post(path, kEvent, {{"Content-Type", "application/json"}});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == R"({"status":1})");
    ++n;
    // Visible in the log the moment the response arrives: it was fsync'd before.
    CHECK(f.Messages().size() == static_cast<size_t>(n));
  }
  auto get = HttpRequest(f.server->port(), "GET", "/e/?data=" + Base64Encode(kEvent) + "&ip=1&_=1704067200000");
  REQUIRE(get);
  CHECK(get->status == 200);
  auto messages = f.Messages();
  REQUIRE(messages.size() == 8);
  const auto& m = messages.back();
  CHECK(std::string(m["distinct_id"].GetString()) == "u1");
  CHECK(std::string(m["token"].GetString()) == "phc_test");
  CHECK(std::string(m["ip"].GetString()) == "127.0.0.1");
  CHECK(std::string(m["site_url"].GetString()) == "http://127.0.0.1");
  CHECK(std::string(m["sent_at"].GetString()) == "2024-01-01T00:00:00.000000Z");
  CHECK(Uuid::Parse(m["uuid"].GetString())->version() == 7);
  CHECK(std::string(m["data"].GetString()) == kEvent);
  CHECK(f.metrics.RenderPrometheus().find("hedgerow_capture_events_accepted_total{endpoint=\"e\"} 3") !=
        std::string::npos);
}

TEST_CASE("posthog-js and posthog-node body forms are accepted", "[capture]") {
  Fixture f;
  std::string js_batch = R"({"api_key":"phc_test","sent_at":"2024-01-01T00:00:01.000Z","batch":[)"
                         R"({"uuid":"01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c","event":"$pageview","properties":{"distinct_id":"anon-1","token":"phc_test","$lib":"web"}}]})";
  auto js = f.Post("/i/v0/e/", Gzip(js_batch), {{"Content-Type", "text/plain"}});  // gzip, no hint, text/plain
  REQUIRE(js);
  CHECK(js->status == 200);
  auto node = f.Post("/batch/", Gzip(R"({"api_key":"phc_test","batch":[{"event":"order","distinct_id":"user_1"}]})"),
                     {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  REQUIRE(node);
  CHECK(node->status == 200);
  auto beacon = f.Post("/e/?compression=base64&beacon=1", "data=" + Base64Encode(kEvent),
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(beacon);
  CHECK(beacon->status == 204);
  auto messages = f.Messages();
  REQUIRE(messages.size() == 3);
  bool found_js = false;
  for (const auto& m : messages) {
    if (std::string(m["distinct_id"].GetString()) == "anon-1") {
      found_js = true;
      CHECK(std::string(m["uuid"].GetString()) == "01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c");
      CHECK(std::string(m["sent_at"].GetString()) == "2024-01-01T00:00:01.000Z");
    }
  }
  CHECK(found_js);
}

TEST_CASE("bad requests get a 4xx JSON error naming the problem", "[capture]") {
  Fixture f({}, 64 * 1024);
  auto check = [&](const std::string& body, int status, const std::string& code, const std::string& path = "/e/") {
    INFO(body.substr(0, 80));
    auto r = f.Post(path, body, {{"Content-Type", "application/json"}});
    REQUIRE(r);
    CHECK(r->status == status);
    CHECK(r->body.find("\"code\":\"" + code + "\"") != std::string::npos);
  };
  check("{not json", 400, "invalid_payload");
  check("[]", 400, "invalid_payload");
  check(R"({"event":"a","properties":{"token":"phc_test"}})", 400, "missing_distinct_id");
  check(R"({"distinct_id":"u","properties":{"token":"phc_test"}})", 400, "missing_event_name");
  check(R"({"event":"a","distinct_id":"u"})", 401, "missing_api_key");
  check(R"({"event":"a","distinct_id":"u","api_key":"phc_unknown"})", 401, "invalid_api_key");
  check(R"({"event":"a","distinct_id":"u","api_key":"phx_personal"})", 401, "invalid_api_key");
  check(std::string(100 * 1024, ' '), 413, "payload_too_large");
  check(R"({"event":"a","distinct_id":{"id":"u1"},"api_key":"phc_test"})", 400, "invalid_payload");
  check(R"({"api_key":"phc_test","batch":[{"event":"a","distinct_id":"u1"},{"event":"b","distinct_id":["u2"]}]})", 400,
        "invalid_payload", "/batch/");
  auto bomb = f.Post("/batch/", Gzip(std::string(1 << 20, ' ')), {{"Content-Type", "text/plain"}});
  REQUIRE(bomb);
  CHECK(bomb->status == 413);
  auto empty = f.Post("/batch/", "");
  REQUIRE(empty);
  CHECK(empty->status == 400);
  CHECK(f.Messages().empty());
  CHECK(f.metrics.RenderPrometheus().find("hedgerow_capture_events_dropped_total{reason=\"missing_distinct_id\"} 1") !=
        std::string::npos);
}

TEST_CASE("an event larger than the ingestion message limit is refused with 413, and nothing of its request is logged",
          "[capture]") {
  Fixture f({}, 4 << 20);
  const std::string big(kMaxEventMessageBytes, 'x');
  auto r = f.Post("/batch/", R"({"api_key":"phc_test","batch":[{"event":"a","distinct_id":"u1"},{"event":"b","distinct_id":"u2","properties":{"big":")" +
                                 big + R"("}}]})");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->body.find(R"("code":"event_too_big")") != std::string::npos);
  CHECK(r->body.find("event 1 is") != std::string::npos);
  CHECK(f.Messages().empty());
  // Just under the limit goes through.
  const std::string fits(kMaxEventMessageBytes - 1024, 'x');
  auto ok = f.Post("/e/", R"({"api_key":"phc_test","event":"b","distinct_id":"u2","properties":{"big":")" + fits + R"("}})");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(f.Messages().size() == 1);
}

TEST_CASE("a partially invalid batch logs the valid events and reports the rest", "[capture]") {
  Fixture f;
  auto r = f.Post("/batch/", R"({"api_key":"phc_test","batch":[{"event":"a","distinct_id":"u1"},{"event":"b"},{"event":"c","distinct_id":"u3"}]})");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == R"x({"status":1,"dropped":1,"drop_reasons":{"missing_distinct_id":1},"detail":"capture: event 1: no distinct_id (top level or in properties)"})x");
  CHECK(f.Messages().size() == 2);
}

TEST_CASE("the client IP comes from a trusted proxy or the socket, and is dropped when anonymized", "[capture]") {
  capture::CaptureOptions options;
  options.trusted_proxies = {"127.0.0.1"};
  Fixture f(options);
  REQUIRE(f.Post("/e/", kEvent, {{"X-Forwarded-For", "203.0.113.7:4711, 10.0.0.1"}, {"X-Forwarded-Proto", "https"},
                                 {"X-Forwarded-Host", "analytics.example.com"}})->status == 200);
  auto m = f.Messages();
  REQUIRE(m.size() == 1);
  CHECK(std::string(m[0]["ip"].GetString()) == "203.0.113.7");
  CHECK(std::string(m[0]["site_url"].GetString()) == "https://analytics.example.com");

  REQUIRE(f.meta->SetAnonymizeIps(1, true).ok());
  REQUIRE(f.Post("/e/", R"({"event":"a","distinct_id":"u2","properties":{"token":"phc_test","$ip":"1.2.3.4"}})")->status == 200);
  m = f.Messages();
  REQUIRE(m.size() == 2);
  for (const auto& msg : m) {
    if (std::string(msg["distinct_id"].GetString()) != "u2") continue;
    CHECK(msg["ip"].IsNull());
    CHECK(std::string(msg["data"].GetString()).find("1.2.3.4") == std::string::npos);
  }
}

TEST_CASE("an untrusted peer cannot set the client IP", "[capture]") {
  Fixture f;
  REQUIRE(f.Post("/e/", kEvent, {{"X-Forwarded-For", "203.0.113.7"}})->status == 200);
  CHECK(std::string(f.Messages()[0]["ip"].GetString()) == "127.0.0.1");
}

TEST_CASE("session recording snapshots go to their own topic", "[capture]") {
  Fixture f;
  auto r = f.Post("/s/", R"([{"event":"$snapshot","properties":{"distinct_id":"u","token":"phc_test","$session_id":"s1","$snapshot_data":[{"type":2}]}}])");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.Messages("session_recording_snapshot_item_events").size() == 1);
  CHECK(f.Messages().empty());
  auto bad = f.Post("/s/", R"([{"event":"$snapshot","properties":{"distinct_id":"u","token":"phc_test"}}])");
  REQUIRE(bad);
  CHECK(bad->status == 400);
}

TEST_CASE("remote config is served as JSON and as a script, with CORS", "[capture]") {
  Fixture f;
  auto json = HttpRequest(f.server->port(), "GET", "/array/phc_test/config", "", {{"Origin", "https://shop.example"}});
  REQUIRE(json);
  CHECK(json->status == 200);
  CHECK(json->Header("access-control-allow-origin") == "https://shop.example");
  rapidjson::Document d;
  d.Parse(json->body.data(), json->body.size());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["analytics"]["endpoint"].GetString()) == "/i/v0/e/");
  CHECK(d["autocapture_opt_out"].GetBool() == false);
  CHECK(d["elementsChainAsString"].GetBool());
  CHECK(std::string(d["supportedCompression"][1].GetString()) == "gzip-js");

  auto js = HttpRequest(f.server->port(), "GET", "/array/phc_test/config.js");
  REQUIRE(js);
  CHECK(js->Header("content-type") == "application/javascript");
  CHECK(js->body.find("window._POSTHOG_REMOTE_CONFIG[\"phc_test\"] = { config: {") != std::string::npos);
  CHECK(HttpRequest(f.server->port(), "GET", "/array/phc_other/config.js")->status == 404);

  auto preflight = HttpRequest(f.server->port(), "OPTIONS", "/i/v0/e/", "",
                               {{"Origin", "https://shop.example"}, {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "content-type"}});
  REQUIRE(preflight);
  CHECK(preflight->status == 200);
  CHECK(preflight->Header("access-control-allow-origin") == "https://shop.example");
}

TEST_CASE("when the log cannot take writes capture answers 503 with Retry-After", "[capture]") {
  Fixture f;
  f.log->Close();
  auto r = f.Post("/e/", kEvent);
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->Header("retry-after") == "1");
}

namespace {

// n objects (or arrays) nested in the properties of one event.
std::string DeepEvent(size_t n, bool arrays) {
  std::string body = R"({"api_key":"phc_test","event":"deep","distinct_id":"d","properties":{"a":)";
  body.reserve(body.size() + n * 6 + 8);
  for (size_t i = 0; i < n; ++i) body += arrays ? "[" : R"({"b":)";
  body += "1";
  body.append(n, arrays ? ']' : '}');
  return body + "}}";
}

}  // namespace

TEST_CASE("JSON nested past 128 levels is refused with 400 and the server keeps serving", "[capture]") {
  Fixture f;
  for (const char* path : {"/e/", "/batch/"}) {
    for (bool arrays : {false, true}) {
      INFO(path << (arrays ? " arrays" : " objects"));
      std::string body = DeepEvent(100000, arrays);
      if (std::string_view(path) == "/batch/") body = R"({"api_key":"phc_test","batch":[)" + body + "]}";
      auto r = f.Post(path, body, {{"Content-Type", "application/json"}});
      REQUIRE(r);
      CHECK(r->status == 400);
      CHECK(r->body.find("JSON nested deeper than 128 levels") != std::string::npos);
      auto next = f.Post(path, kEvent, {{"Content-Type", "application/json"}});
      REQUIRE(next);
      CHECK(next->status == 200);
    }
  }
  // The same payload gzipped and as a base64 form: the limit applies to the decoded JSON.
  auto gz = f.Post("/i/v0/e/", Gzip(DeepEvent(100000, true)), {{"Content-Type", "text/plain"}});
  REQUIRE(gz);
  CHECK(gz->status == 400);
  auto form = f.Post("/e/", "data=" + Base64Encode(DeepEvent(100000, false)),
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(form);
  CHECK(form->status == 400);
  // 128 levels in all: the event object, properties, then 126.
  auto at_limit = f.Post("/e/", DeepEvent(126, false), {{"Content-Type", "application/json"}});
  REQUIRE(at_limit);
  CHECK(at_limit->status == 200);
  CHECK(f.Messages().size() == 5);
}

TEST_CASE("a form's url-encoded JSON with spaces is accepted", "[capture]") {
  Fixture f;
  auto r = f.Post("/e/", R"(data=%7B%22event%22%3A+%22signed+up%22%2C+%22distinct_id%22%3A+%22u+1%22%2C+%22api_key%22%3A+%22phc_test%22%7D)",
                  {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  auto m = f.Messages();
  REQUIRE(m.size() == 1);
  CHECK(std::string(m[0]["distinct_id"].GetString()) == "u 1");
}

TEST_CASE("past max_inflight_bytes waiting for the log, capture answers 503 and loses nothing it acknowledged",
          "[capture]") {
  capture::CaptureOptions options;
  options.max_inflight_bytes = 1;  // one request at a time may wait for the log
  Fixture f(options);
  const std::string padding(32 * 1024, 'p');  // larger appends stay in flight longer
  std::mutex mu;
  std::set<std::string> acknowledged;
  int shed = 0;
  int other = 0;
  std::atomic<bool> seen_shed{false};
  std::atomic<int> next_id{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      // Every client keeps sending until some request was shed (and a few more after).
      for (int after = 0; after < 5 && std::chrono::steady_clock::now() < deadline;) {
        std::string id = "u" + std::to_string(next_id++);
        auto r = f.Post("/e/", R"({"event":"e","distinct_id":")" + id + R"(","api_key":"phc_test","properties":{"p":")" +
                                   padding + R"("}})");
        std::lock_guard<std::mutex> lock(mu);
        if (r && r->status == 200) {
          acknowledged.insert(id);
        } else if (r && r->status == 503 && r->Header("retry-after") == "1" &&
                   r->body.find("\"code\":\"overloaded\"") != std::string::npos &&
                   r->body.find("max-inflight-bytes 1)") != std::string::npos) {
          ++shed;
          seen_shed = true;
        } else {
          ++other;
        }
        if (seen_shed) ++after;
      }
    });
  }
  for (auto& c : clients) c.join();
  CHECK(shed > 0);
  CHECK(other == 0);
  CHECK_FALSE(acknowledged.empty());
  // Exactly the acknowledged events are in the log: none lost, none of the shed ones kept.
  std::set<std::string> logged;
  for (const auto& m : f.Messages()) logged.insert(m["distinct_id"].GetString());
  CHECK(logged == acknowledged);
  std::string metrics = f.metrics.RenderPrometheus();
  CHECK(metrics.find("hedgerow_capture_inflight_bytes 0\n") != std::string::npos);
  CHECK(metrics.find("hedgerow_capture_requests_shed_total " + std::to_string(shed) + "\n") != std::string::npos);
}
