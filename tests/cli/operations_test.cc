// Operations on a data dir: hedgerow backup under load and hedgerow restore (the restored
// server answers the same queries over every event acknowledged before the backup began), export.
#include <signal.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using hedgerow::testing::ChildProcess;
using hedgerow::testing::HttpRequest;
using Ports = hedgerow::testing::ServerPorts;
using hedgerow::testing::TempDir;

namespace {

const std::string kBinary = HEDGEROW_BINARY;
constexpr const char* kKey = "phx_backup_test";

Ports StartAndWait(ChildProcess& child) { return hedgerow::testing::AwaitServerReady(child); }

std::string Query(uint16_t port, const std::string& sql) { return hedgerow::testing::QueryServer(port, kKey, sql); }

void AwaitAnswer(uint16_t port, const std::string& sql, const std::string& expected) {
  hedgerow::testing::AwaitServerAnswer(port, kKey, sql, expected);
}

std::tuple<int, std::string, std::string> Run(const std::vector<std::string>& args) {
  ChildProcess child(args);
  auto code = child.Wait(std::chrono::seconds(60));
  REQUIRE(code);
  return {*code, child.stdout_text(), child.stderr_text()};
}

}  // namespace

TEST_CASE("a backup taken under load restores to a server with the same answers", "[cli]") {
  TempDir dir;
  ChildProcess source({kBinary, "serve", "--data-dir", dir.File("source"), "--listen", "127.0.0.1:0", "--clickhouse-listen",
                       "127.0.0.1:0", "--project-token", "phc_backup", "--personal-api-key", kKey});
  const Ports ports = StartAndWait(source);
  const std::string url = fmt::format("http://127.0.0.1:{}", ports.api);

  // Load: batches with increasing seq, from 40 users (person updates too), until told to stop.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acked{0};
  std::thread load([&] {
    hedgerow::testing::TestConnection conn(ports.api);
    for (int64_t seq = 0; !stop; seq += 100) {
      std::string batch = R"({"api_key":"phc_backup","batch":[)";
      for (int i = 0; i < 100; ++i) {
        batch += fmt::format(R"({}{{"event":"{}","distinct_id":"u{}","properties":{{"seq":{},"$set":{{"last":{}}}}}}})",
                             i ? "," : "", i % 3 ? "view" : "buy", (seq + i) % 40, seq + i, seq + i);
      }
      batch += "]}";
      auto r = conn.Request("POST", "/batch/", batch);
      if (!r || r->status != 200) return;
      acked = seq + 100;
    }
  });
  while (acked < 5000) source.DrainFor(std::chrono::milliseconds(20));
  const int64_t before = acked;  // every event below this seq was acknowledged before the backup began
  auto [code, out, err] = Run({kBinary, "backup", dir.File("backup"), "--url", url, "--api-key", kKey});
  CHECK(code == 0);
  CHECK(out.find(R"("parts":)") != std::string::npos);
  source.DrainFor(std::chrono::milliseconds(300));  // more load after the backup
  stop = true;
  load.join();
  REQUIRE(acked > before);

  // A second backup into the same directory is refused, naming it.
  std::tie(code, out, err) = Run({kBinary, "backup", dir.File("backup"), "--url", url, "--api-key", kKey});
  CHECK(code == 2);
  CHECK(err.find("exists already") != std::string::npos);

  const std::string events_sql = fmt::format(
      "SELECT count(), sum(JSONExtractInt(properties, 'seq')), uniqExact(uuid), uniqExact(distinct_id) "
      "FROM events FINAL WHERE JSONExtractInt(properties, 'seq') < {}", before);
  const std::string expected_events = fmt::format("{}\t{}\t{}\t40\n", before, before * (before - 1) / 2, before);
  AwaitAnswer(ports.clickhouse, events_sql, expected_events);
  const std::string persons_sql = "SELECT count() FROM (SELECT distinct_id FROM person_distinct_id2 FINAL)";
  AwaitAnswer(ports.clickhouse, persons_sql, "40\n");
  source.Signal(SIGTERM);
  REQUIRE(source.Wait(std::chrono::seconds(30)) == 0);

  std::tie(code, out, err) = Run({kBinary, "restore", dir.File("backup"), "--data-dir", dir.File("restored")});
  CHECK(code == 0);
  std::tie(code, out, err) = Run({kBinary, "restore", dir.File("backup"), "--data-dir", dir.File("restored")});
  CHECK(code == 2);
  CHECK(err.find("is not empty") != std::string::npos);
  std::tie(code, out, err) = Run({kBinary, "restore", dir.File("source"), "--data-dir", dir.File("other")});
  CHECK(code == 2);
  CHECK(err.find("not a complete hedgerow backup") != std::string::npos);

  ChildProcess restored({kBinary, "serve", "--data-dir", dir.File("restored"), "--listen", "127.0.0.1:0",
                         "--clickhouse-listen", "127.0.0.1:0"});
  const Ports again = StartAndWait(restored);
  AwaitAnswer(again.clickhouse, events_sql, expected_events);
  AwaitAnswer(again.clickhouse, persons_sql, "40\n");
  // Nothing twice: every row of the restored events is a distinct event.
  auto totals = Query(again.clickhouse, "SELECT count() = uniqExact(uuid) FROM events FINAL");
  CHECK(totals == "1\n");
  restored.Signal(SIGTERM);
  CHECK(restored.Wait(std::chrono::seconds(30)) == 0);
}

TEST_CASE("export writes every row of a query as JSON lines or CSV, server running or not", "[cli]") {
  TempDir dir;
  ChildProcess server({kBinary, "serve", "--data-dir", dir.File("data"), "--listen", "127.0.0.1:0", "--clickhouse-listen",
                       "127.0.0.1:0", "--project-token", "phc_export", "--personal-api-key", kKey});
  const Ports ports = StartAndWait(server);
  std::string batch = R"({"api_key":"phc_export","batch":[)";
  for (int i = 0; i < 250; ++i) batch += fmt::format(R"({}{{"event":"e{}","distinct_id":"u{}","properties":{{"n":{}}}}})", i ? "," : "", i % 2, i, i);
  REQUIRE(HttpRequest(ports.api, "POST", "/batch/", batch + "]}")->status == 200);
  AwaitAnswer(ports.clickhouse, "SELECT count() FROM events", "250\n");
  const std::vector<std::string> base = {kBinary, "export", "--data-dir", dir.File("data")};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  };
  // With the server running: the parts on disk are read in this process.
  auto [code, out, err] = run({"SELECT event, count() AS c FROM events GROUP BY event ORDER BY event"});
  CHECK(code == 0);
  CHECK(out == "{\"event\":\"e0\",\"c\":\"125\"}\n{\"event\":\"e1\",\"c\":\"125\"}\n");
  server.Signal(SIGTERM);
  REQUIRE(server.Wait(std::chrono::seconds(30)) == 0);
  // No row limit (the query API's is 100 by default), and CSV with a header.
  std::tie(code, out, err) = run({"--format", "csv", "SELECT distinct_id, JSONExtractInt(properties, 'n') AS n FROM events ORDER BY n"});
  CHECK(code == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 251);
  CHECK(out.rfind("\"distinct_id\",\"n\"\n\"u0\",0\n\"u1\",1\n", 0) == 0);
  // Another project sees none of them; a bad query is a usage error naming it.
  std::tie(code, out, err) = run({"--project", "2", "SELECT count() FROM events"});
  CHECK(out == "{\"count()\":\"0\"}\n");
  std::tie(code, out, err) = run({"SELECT nope FROM events"});
  CHECK(code == 2);
  CHECK(err == "hedgerow: export: Missing columns: 'nope'\n");
}

TEST_CASE("delete-person removes a person, its distinct ids and its events, and nothing of anyone else", "[cli]") {
  TempDir dir;
  ChildProcess server({kBinary, "serve", "--data-dir", dir.File("data"), "--listen", "127.0.0.1:0", "--clickhouse-listen",
                       "127.0.0.1:0", "--project-token", "phc_gdpr", "--personal-api-key", kKey});
  const Ports ports = StartAndWait(server);
  const std::string url = fmt::format("http://127.0.0.1:{}", ports.api);
  std::string batch = R"({"api_key":"phc_gdpr","batch":[)"
                      R"({"event":"$pageview","distinct_id":"anon-1"},)"
                      R"({"event":"$identify","distinct_id":"ada","properties":{"$anon_distinct_id":"anon-1","$set":{"email":"ada@example.com"}}},)"
                      R"({"event":"paid","distinct_id":"ada"},)"
                      R"({"event":"paid","distinct_id":"bob","properties":{"$set":{"email":"bob@example.com"}}}]})";
  REQUIRE(HttpRequest(ports.api, "POST", "/batch/", batch)->status == 200);
  AwaitAnswer(ports.clickhouse, "SELECT count() FROM events", "4\n");
  AwaitAnswer(ports.clickhouse, "SELECT uniqExact(distinct_id) FROM person_distinct_id2", "3\n");
  const std::string ada = Query(ports.clickhouse,
                                "SELECT argMax(person_id, version) FROM person_distinct_id2 WHERE distinct_id = 'ada'");

  auto [code, out, err] = Run({kBinary, "delete-person", "ada", "--url", url, "--api-key", kKey});
  CHECK(code == 0);
  CHECK(out.find("deleted person " + ada.substr(0, 36)) == 0);
  // Gone: the events of both ids, the person's rows and its distinct ids; bob untouched.
  CHECK(Query(ports.clickhouse, "SELECT distinct_id FROM events ORDER BY distinct_id") == "bob\n");
  CHECK(Query(ports.clickhouse, "SELECT count() FROM person WHERE properties LIKE '%ada@%'") == "0\n");
  CHECK(Query(ports.clickhouse, "SELECT JSONExtractString(properties, 'email') FROM person FINAL WHERE is_deleted = 0") ==
        "bob@example.com\n");
  AwaitAnswer(ports.clickhouse,
              "SELECT distinct_id FROM person_distinct_id2 FINAL WHERE is_deleted = 0 ORDER BY distinct_id", "bob\n");
  std::tie(code, out, err) = Run({kBinary, "delete-person", "ada", "--url", url, "--api-key", kKey});
  CHECK(code == 1);
  CHECK(err == "hedgerow: delete-person: no person has the distinct id \"ada\"\n");
  // The HTTP API: a malformed or unknown uuid.
  auto bad = HttpRequest(ports.api, "DELETE", "/api/projects/1/persons/not-a-uuid/", "", {{"Authorization", std::string("Bearer ") + kKey}});
  CHECK(bad->status == 400);
  auto unknown = HttpRequest(ports.api, "DELETE", "/api/projects/1/persons/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/", "",
                             {{"Authorization", std::string("Bearer ") + kKey}});
  CHECK(unknown->status == 404);
  auto anonymous = HttpRequest(ports.api, "DELETE", "/api/projects/1/persons/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/");
  CHECK(anonymous->status == 401);
  // A later event of "ada" makes a new person.
  REQUIRE(HttpRequest(ports.api, "POST", "/e/", R"({"api_key":"phc_gdpr","event":"back","distinct_id":"ada"})")->status == 200);
  AwaitAnswer(ports.clickhouse, "SELECT count() FROM events WHERE distinct_id = 'ada'", "1\n");
  CHECK(Query(ports.clickhouse, "SELECT argMax(person_id, version) != toUUID('" + ada.substr(0, 36) +
                                    "') FROM person_distinct_id2 WHERE distinct_id = 'ada'") == "1\n");
  server.Signal(SIGTERM);
  CHECK(server.Wait(std::chrono::seconds(30)) == 0);
}
