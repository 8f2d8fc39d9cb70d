// --store-backend clickhouse against two real clickhouse-server 18.16 processes configured
// as a two-shard cluster: rows on both shards, the same answers as the embedded store, a node
// stopped under load and hedgerow killed during inserts without an acknowledged event lost or
// doubled under FINAL, and the posthog-node suite ([.e2e], run by its own ctest).

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "hedgerow/common/json.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/server/server.h"
#include "support/child_process.h"
#include "support/clickhouse_server.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::testing;

namespace {

constexpr const char* kToken = "phc_cluster_test";
constexpr const char* kKey = "phx_cluster_test_key_0123456789";

bool HaveClickHouse() {
  if (std::filesystem::exists(CLICKHOUSE_SERVER)) return true;
  WARN("skipped: " CLICKHOUSE_SERVER " is missing (Debian's clickhouse-server; scripts/install-deps.sh installs it)");
  return false;
}

server::ServerOptions Options(const TempDir& dir, const std::string& name, ClickHouseCluster* cluster) {
  server::ServerOptions options;
  options.data_dir = dir.File(name);
  options.project_token = kToken;
  options.personal_api_key = kKey;
  options.api.listen = {"127.0.0.1", 0};
  options.clickhouse = options.api;
  options.store_batch_wait = std::chrono::milliseconds(100);
  if (cluster != nullptr) {
    auto nodes = cluster::ParseClickHouseUrls(cluster->urls());
    REQUIRE(nodes.ok());
    options.cluster = cluster::ClusterOptions{.nodes = *nodes, .cluster = ClickHouseCluster::kName,
                                              .retry_max = std::chrono::seconds(2)};
  }
  return options;
}

// A /batch/ body of `count` events numbered from `first`, each with its own uuid (kept in
// `uuids`) and a whole-second timestamp (18.16 holds seconds).
std::string Batch(int first, int count, std::vector<std::string>* uuids = nullptr) {
  std::string body = fmt::format(R"({{"api_key":"{}","batch":[)", kToken);
  for (int i = first; i < first + count; ++i) {
    std::string uuid = Uuid::V4().ToString();
    if (uuids != nullptr) uuids->push_back(uuid);
    const char* browsers[] = {"Chrome", "Firefox", "Safari"};
    body += fmt::format(
        R"({}{{"event":"{}","distinct_id":"user-{}","uuid":"{}","timestamp":"2026-12-01T{:02}:{:02}:{:02}Z",)"
        R"("properties":{{"$browser":"{}","n":{}}}}})",
        i == first ? "" : ",", i % 7 == 0 ? "$pageview" : (i % 3 == 0 ? "signed up" : "clicked"), i % 40, uuid,
        (i / 3600) % 24, (i / 60) % 60, i % 60, browsers[i % 3], i);
  }
  return body + "]}";
}

void Capture(uint16_t port, const std::string& body) {
  auto r = HttpRequest(port, "POST", "/batch/", body, {{"Content-Type", "application/json"}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

// The "results" of a query API answer as JSON text; the whole answer when it failed.
std::string Results(uint16_t port, const std::string& sql) {
  std::string body = R"({"query":{"kind":"HogQLQuery","query":)";
  AppendJsonString(body, sql);
  body += "}}";
  auto r = HttpRequest(port, "POST", "/api/projects/1/query/", body, {{"Authorization", std::string("Bearer ") + kKey}});
  REQUIRE(r);
  if (r->status != 200) return fmt::format("HTTP {}: {}", r->status, r->body);
  rapidjson::Document doc;
  doc.Parse(r->body.c_str());
  REQUIRE(doc.IsObject());
  return WriteJson(doc["results"]);
}

void AwaitResults(uint16_t port, const std::string& sql, const std::string& expected,
                  std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while ((last = Results(port, sql)) != expected) {
    INFO(sql << " answers " << last << ", waiting for " << expected);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// An embedded server on dir/data takes `events` events of Batch (40 distinct ids at most)
// into its store, and stops.
void FillEmbeddedStore(const TempDir& dir, int events) {
  auto embedded = server::Server::Start(Options(dir, "data", nullptr));
  REQUIRE(embedded.ok());
  Capture((*embedded)->api_port(), Batch(0, events));
  AwaitResults((*embedded)->api_port(), "SELECT count() FROM events", fmt::format("[[{}]]", events));
  AwaitResults((*embedded)->api_port(), "SELECT count() FROM person_distinct_id2", fmt::format("[[{}]]", std::min(events, 40)));
  CHECK((*embedded)->event_log().Committed("store_events", "clickhouse_events_json", 0)->has_value());
}

int Readiness(uint16_t port, std::string* body = nullptr) {
  auto r = HttpRequest(port, "GET", "/_readiness");
  REQUIRE(r);
  if (body != nullptr) *body = r->body;
  return r->status;
}

// Waits until /_readiness answers 200.
void AwaitReady(uint16_t port) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Readiness(port) != 200) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Runs one of tests/e2e's suites (`argv` after node) against hedgerow with the store on
// `cluster`; its output, once it passed with no failed check.
std::string RunSuiteOnCluster(ClickHouseCluster& cluster, std::vector<std::string> argv) {
  argv.insert(argv.begin(), NODE_PROGRAM);
  ChildProcess node(argv, {fmt::format("HEDGEROW_SERVE_ARGS=--store-backend clickhouse --clickhouse-url {} --clickhouse-cluster {}",
                                       cluster.urls(), ClickHouseCluster::kName)});
  std::optional<int> code = node.Wait(std::chrono::seconds(240));
  INFO(node.stdout_text() << node.stderr_text());
  CHECK(code == std::optional<int>(0));
  CHECK(node.stdout_text().find("not ok") == std::string::npos);
  return node.stdout_text();
}

}  // namespace

TEST_CASE("events reach both shards and queries answer as on the embedded store", "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  auto embedded = server::Server::Start(Options(dir, "embedded", nullptr));
  REQUIRE(embedded.ok());
  auto on_cluster = server::Server::Start(Options(dir, "cluster", &cluster));
  INFO((on_cluster.ok() ? "" : on_cluster.status().ToString()));
  REQUIRE(on_cluster.ok());
  const uint16_t local = (*embedded)->api_port(), remote = (*on_cluster)->api_port();
  for (int first = 0; first < 600; first += 200) {
    std::string batch = Batch(first, 200);
    Capture(local, batch);
    Capture(remote, batch);
  }
  std::string identify = fmt::format(
      R"({{"api_key":"{}","event":"$identify","distinct_id":"user-1","properties":{{"$anon_distinct_id":"user-2"}}}})", kToken);
  Capture(local, identify);
  Capture(remote, identify);
  AwaitResults(local, "SELECT count() FROM events FINAL", "[[601]]");
  AwaitResults(remote, "SELECT count() FROM events FINAL", "[[601]]");
  AwaitResults(local, "SELECT count() FROM person_distinct_id2 FINAL", "[[40]]");
  AwaitResults(remote, "SELECT count() FROM person_distinct_id2 FINAL", "[[40]]");

  // The rows are spread over both shards by sipHash64(distinct_id).
  uint64_t shard1 = std::stoull(cluster.node(0).Query("SELECT count() FROM sharded_events"));
  uint64_t shard2 = std::stoull(cluster.node(1).Query("SELECT count() FROM sharded_events"));
  CHECK(shard1 > 0);
  CHECK(shard2 > 0);
  CHECK(shard1 + shard2 >= 601);

  for (const char* sql : {
           "SELECT event, count() FROM events GROUP BY event ORDER BY event",
           "SELECT properties.$browser AS b, count(), uniqExact(distinct_id) FROM events GROUP BY b ORDER BY b",
           // 18.16 holds DateTime (seconds) where the store holds DateTime64(6): compared as numbers.
           "SELECT distinct_id, count(), toUnixTimestamp(min(timestamp)), toUnixTimestamp(max(timestamp)) "
           "FROM events GROUP BY distinct_id "
           "ORDER BY distinct_id LIMIT 5 OFFSET 3",
           "SELECT toStartOfHour(timestamp) AS h, count() FROM events GROUP BY h ORDER BY h",
           "SELECT uniqExact(person_id), uniqExact(distinct_id) FROM events",
           "SELECT count() FROM events WHERE person_id IN (SELECT person_id FROM person_distinct_id2 WHERE distinct_id = 'user-1')",
           // One JOIN: 18.16 takes no second (HogQL's person_id on `e` would add it).
           "SELECT e.distinct_id, p.person_id != toUUID('00000000-0000-0000-0000-000000000000') FROM events AS e "
           "INNER JOIN (SELECT distinct_id, "
           "argMax(person_id, version) AS person_id FROM person_distinct_id2 GROUP BY distinct_id) AS p "
           "ON e.distinct_id = p.distinct_id WHERE e.event = 'signed up' ORDER BY e.timestamp LIMIT 4",
           "SELECT count(), sum(toInt64(JSONExtractRaw(properties, 'n'))) FROM events WHERE event BETWEEN 'a' AND 'd'",
           "SELECT is_identified, count() FROM person FINAL GROUP BY is_identified ORDER BY is_identified",
           "SELECT distinct_id, timestamp, `$group_0` AS `a\tb` FROM events WHERE 0",
       }) {
    INFO(sql);
    CHECK(Results(remote, sql) == Results(local, sql));
  }
  // The project sees its own tables only.
  CHECK(Results(remote, "SELECT name FROM system.tables").find("HTTP 400") == 0);
  // The ClickHouse-compatible listener runs on the cluster too.
  CHECK(QueryServer((*on_cluster)->clickhouse_port(), kKey, "SELECT count() FROM events FINAL") == "601\n");
  auto metrics = HttpRequest((*on_cluster)->api_port(), "GET", "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("hedgerow_cluster_rows_inserted_total{table=\"events\"} 601") != std::string::npos);
  CHECK(Readiness(remote) == 200);
}

TEST_CASE("a ClickHouse node stopped for 30 s under load loses nothing", "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  auto s = server::Server::Start(Options(dir, "data", &cluster));
  REQUIRE(s.ok());
  const uint16_t port = (*s)->api_port();
  Capture(port, Batch(0, 100));
  AwaitResults(port, "SELECT count() FROM events", "[[100]]");

  cluster.node(1).Stop();
  const auto stopped = std::chrono::steady_clock::now();
  int sent = 100;
  bool reported = false;
  while (std::chrono::steady_clock::now() - stopped < std::chrono::seconds(30)) {
    Capture(port, Batch(sent, 20));  // capture still acknowledges: the log holds the events
    sent += 20;
    std::string body;
    if (!reported && Readiness(port, &body) == 503) {
      reported = body.find("inserts into events are failing") != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  CHECK(reported);
  cluster.node(1).Start();
  const std::string total = fmt::format("[[{0},{0}]]", sent);
  AwaitResults(port, "SELECT count(), uniqExact(uuid) FROM events FINAL", total, std::chrono::seconds(90));
  AwaitReady(port);
}

TEST_CASE("kill -9 of hedgerow during inserts: every acknowledged event once under FINAL", "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  const std::vector<std::string> args = {HEDGEROW_BINARY, "serve", "--data-dir", dir.File("data"), "--listen",
                                         "127.0.0.1:0", "--clickhouse-listen", "127.0.0.1:0", "--project-token", kToken,
                                         "--personal-api-key", kKey, "--flush-interval-ms", "50", "--store-backend",
                                         "clickhouse", "--clickhouse-url", cluster.urls(), "--clickhouse-cluster",
                                         ClickHouseCluster::kName};
  std::vector<std::string> acknowledged;
  {
    ChildProcess child(args);
    ServerPorts ports = AwaitServerReady(child);
    for (int batch = 0; batch < 40; ++batch) {
      std::vector<std::string> uuids;
      Capture(ports.api, Batch(batch * 50, 50, &uuids));
      acknowledged.insert(acknowledged.end(), uuids.begin(), uuids.end());
      if (batch == 25) {
        // Mid-stream, with the sinks inserting what came before.
        child.Signal(SIGKILL);
        break;
      }
    }
    child.Wait();
  }
  ChildProcess again(args);
  ServerPorts ports = AwaitServerReady(again);
  const std::string expected = fmt::format("[[{0},{0}]]", acknowledged.size());
  AwaitResults(ports.api, "SELECT count(), uniqExact(uuid) FROM events FINAL", expected);
  std::string stored = cluster.node(0).Query("SELECT toString(uuid) FROM events FINAL");
  std::set<std::string> present;
  for (size_t at = 0; at < stored.size();) {
    size_t end = stored.find('\n', at);
    present.insert(stored.substr(at, end - at));
    at = end + 1;
  }
  for (const std::string& uuid : acknowledged) {
    INFO(uuid);
    CHECK(present.count(uuid) == 1);
  }
  again.Signal(SIGTERM);
  CHECK(again.Wait() == std::optional<int>(0));
}

TEST_CASE("a data dir moved to the cluster sends it what the log holds and stops keeping it for the store",
          "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  FillEmbeddedStore(dir, 30);
  auto moved = server::Server::Start(Options(dir, "data", &cluster));
  REQUIRE(moved.ok());
  // The sinks start at the log's start: the cluster gets the events the log still holds.
  AwaitResults((*moved)->api_port(), "SELECT count() FROM events", "[[30]]");
  log::Log& log = (*moved)->event_log();
  CHECK_FALSE(log.Committed("store_events", "clickhouse_events_json", 0)->has_value());
  CHECK_FALSE(log.Committed("store_person", "clickhouse_person", 0)->has_value());
  CHECK(log.Committed("cluster_events", "clickhouse_events_json", 0)->has_value());
}

TEST_CASE("migrate copies the store into the cluster, verified and resumable; the sinks go on after it",
          "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  FillEmbeddedStore(dir, 300);
  auto migrate = [&] {
    ChildProcess child({HEDGEROW_BINARY, "migrate", "--data-dir", dir.File("data"), "--to-clickhouse", cluster.urls(),
                        "--clickhouse-cluster", ClickHouseCluster::kName});
    std::optional<int> code = child.Wait(std::chrono::seconds(120));
    INFO(child.stdout_text() << child.stderr_text());
    REQUIRE(code == std::optional<int>(0));
    return child.stdout_text();
  };
  std::string first = migrate();
  CHECK(first.find(R"({"table":"events","parts_copied":)") != std::string::npos);
  CHECK(first.find(R"("rows":300,"cluster_rows":300)") != std::string::npos);
  CHECK(first.find(R"("verified":false)") == std::string::npos);
  size_t tables = 0;
  for (size_t at = first.find(R"("verified":true)"); at != std::string::npos; at = first.find(R"("verified":true)", at + 1)) {
    ++tables;
  }
  CHECK(tables == store::PostHogTables().size());
  // Again: every part is known as copied, and the cluster still matches.
  std::string second = migrate();
  CHECK(second.find(R"({"table":"events","parts_copied":0,)") != std::string::npos);
  CHECK(second.find(R"("verified":false)") == std::string::npos);

  auto moved = server::Server::Start(Options(dir, "data", &cluster));
  REQUIRE(moved.ok());
  Capture((*moved)->api_port(), Batch(300, 10));
  // The sinks start after what was copied: no row arrives twice, even before FINAL.
  AwaitResults((*moved)->api_port(), "SELECT count() FROM events", "[[310]]");
  CHECK(Results((*moved)->api_port(), "SELECT count() FROM person_distinct_id2") == "[[40]]");
}

TEST_CASE("a person deleted on the cluster takes its events and distinct ids along", "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  auto s = server::Server::Start(Options(dir, "data", &cluster));
  REQUIRE(s.ok());
  const uint16_t port = (*s)->api_port();
  Capture(port, Batch(0, 80));  // user-0 ... user-39, two events each
  Capture(port, fmt::format(R"({{"api_key":"{}","event":"$identify","distinct_id":"user-1",)"
                            R"("properties":{{"$anon_distinct_id":"user-2"}}}})", kToken));
  AwaitResults(port, "SELECT count() FROM events", "[[81]]");
  AwaitResults(port, "SELECT uniqExact(person_id) FROM person_distinct_id2 FINAL WHERE distinct_id IN ('user-1', 'user-2')",
               "[[1]]");
  std::string person = Results(port, "SELECT person_id FROM person_distinct_id2 FINAL WHERE distinct_id = 'user-1'");
  REQUIRE(person.size() == 42);  // [["<36 characters>"]]
  person = person.substr(3, 36);

  auto deleted = HttpRequest(port, "DELETE", "/api/projects/1/persons/" + person + "/", "",
                             {{"Authorization", std::string("Bearer ") + kKey}});
  REQUIRE(deleted);
  INFO(deleted->body);
  CHECK(deleted->status < 300);
  CHECK(Results(port, "SELECT count() FROM events WHERE distinct_id IN ('user-1', 'user-2')") == "[[0]]");
  CHECK(Results(port, "SELECT count() FROM events") == "[[76]]");
  CHECK(Results(port, "SELECT count() FROM person_distinct_id2 WHERE distinct_id IN ('user-1', 'user-2')") == "[[0]]");
  CHECK(Results(port, "SELECT count() FROM person WHERE id = '" + person + "'") == "[[0]]");
  CHECK(Results(port, "SELECT count() FROM person_distinct_id2 FINAL") == "[[38]]");
}

TEST_CASE("events retention drops whole months on every shard of the cluster", "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  std::string batch = fmt::format(R"({{"api_key":"{}","batch":[)", kToken);
  for (int i = 0; i < 40; ++i) {
    // Half in January 2020, half now; distinct ids spread over both shards.
    batch += fmt::format(R"({}{{"event":"e","distinct_id":"user-{}"{}}})", i == 0 ? "" : ",", i,
                         i % 2 == 0 ? R"(,"timestamp":"2020-01-15T10:00:00Z")" : "");
  }
  batch += "]}";
  server::ServerOptions options = Options(dir, "data", &cluster);
  options.cluster->events_retention_days = 30;
  {
    auto s = server::Server::Start(options);
    REQUIRE(s.ok());
    Capture((*s)->api_port(), batch);
    AwaitResults((*s)->api_port(), "SELECT count() FROM events", "[[40]]");
  }
  // Retention runs at start, then every ten minutes.
  auto s = server::Server::Start(options);
  REQUIRE(s.ok());
  AwaitResults((*s)->api_port(), "SELECT count(), min(toYear(timestamp)) > 2020 FROM events", "[[20,1]]");
  for (int node = 0; node < 2; ++node) {
    CHECK(cluster.node(node).Query("SELECT count() FROM system.parts WHERE table = 'sharded_events' AND active AND "
                                   "partition = '202001'") == "0\n");
  }
}

TEST_CASE("a table the cluster refuses every row of is waited for, not dead-lettered", "[clickhouse]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  auto s = server::Server::Start(Options(dir, "data", &cluster));
  REQUIRE(s.ok());
  const uint16_t port = (*s)->api_port();
  // A table changed by hand under hedgerow refuses every row: nothing may go to the dead
  // letters; the sink waits (readiness says why), and once the table is right the rows go in.
  cluster.node(0).Query("ALTER TABLE groups DROP COLUMN group_properties");
  std::string batch = fmt::format(R"({{"api_key":"{}","batch":[)", kToken);
  for (int i = 0; i < 3; ++i) {
    batch += fmt::format(R"({}{{"event":"$groupidentify","distinct_id":"d{}","properties":{{"$group_type":"company",)"
                         R"("$group_key":"c{}","$group_set":{{"n":{}}}}}}})",
                         i == 0 ? "" : ",", i, i, i);
  }
  Capture(port, batch + "]}");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string body;
  while (Readiness(port, &body) != 503 || body.find("inserts into groups are failing") == std::string::npos) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Past three refusals the batch is halved down to a row; that row is still not a dead letter.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  CHECK(cluster.node(0).Query("SELECT count() FROM dead_letter_queue") == "0\n");
  cluster.node(0).Query("ALTER TABLE groups ADD COLUMN group_properties String AFTER group_key");
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (cluster.node(0).Query("SELECT count() FROM groups") != "3\n") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  AwaitReady(port);
  CHECK(cluster.node(0).Query("SELECT count() FROM dead_letter_queue") == "0\n");
  // The events went on all along.
  CHECK(Results(port, "SELECT count() FROM events") == "[[3]]");
}

TEST_CASE("posthog-node's suite passes with the store on the cluster", "[.e2e]") {
  if (!HaveClickHouse()) return;
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  std::string out = RunSuiteOnCluster(cluster, {std::string(E2E_DIR) + "/posthog_node_e2e_test.mjs", HEDGEROW_BINARY});
  CHECK(out.find("ok - anon-7, ada and ada-crm-17 are one person") != std::string::npos);
  // What the suite checked through the query API is on the cluster.
  // (and the $feature_flag_called events of its flag checks).
  CHECK(std::stoi(cluster.node(0).Query("SELECT count() FROM events WHERE event != '$feature_flag_called'")) == 5);
  CHECK(std::stoi(cluster.node(0).Query(
            "SELECT uniqExact(person_id) FROM person_distinct_id2 FINAL WHERE distinct_id IN ('anon-7', 'ada', 'ada-crm-17')")) == 1);
}

TEST_CASE("the web UI's suite passes with the store on the cluster", "[.e2e]") {
  if (!HaveClickHouse()) return;
  if (!std::filesystem::exists(CHROMIUM_PROGRAM)) {
    WARN("skipped: no chromium (scripts/install-deps.sh installs it)");
    return;
  }
  TempDir dir;
  ClickHouseCluster cluster(CLICKHOUSE_SERVER, dir.File("clickhouse"));
  std::string out = RunSuiteOnCluster(
      cluster, {std::string(E2E_DIR) + "/web_ui_test.mjs", HEDGEROW_BINARY, CHROMIUM_PROGRAM, dir.File("screenshots")});
  CHECK(out.find("ok - trends: a chart of events per day by browser") != std::string::npos);
  CHECK(std::stoi(cluster.node(0).Query("SELECT count() FROM events")) > 0);
}
