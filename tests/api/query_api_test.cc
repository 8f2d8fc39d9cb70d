// The query surfaces as clients use them: a real server, real sockets, events captured and
// ingested first.

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <functional>
#include <thread>

#include "hedgerow/common/base64.h"
#include "hedgerow/common/json.h"
#include "hedgerow/meta/meta_store.h"
#include "hedgerow/server/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::BuildRequest;
using hedgerow::testing::HttpRequest;
using hedgerow::testing::TestConnection;

namespace {

constexpr const char* kKey = "phx_query_test_key";

// A server on `data_dir` whose first project has `token` and the personal API key `key`,
// the query API and the ClickHouse HTTP interface on one free loopback port, the store
// consumer writing every 20 ms so that captured events are soon queryable.
std::unique_ptr<server::Server> StartServer(const std::string& data_dir, const std::string& token,
                                            const std::string& key, size_t query_threads = 2) {
  server::ServerOptions options;
  options.query_threads = query_threads;
  options.data_dir = data_dir;
  options.project_token = token;
  options.personal_api_key = key;
  options.api.listen = {"127.0.0.1", 0};
  options.clickhouse = options.api;
  options.store_batch_wait = std::chrono::milliseconds(20);
  auto s = server::Server::Start(options);
  REQUIRE(s.ok());
  return std::move(s).value();
}

// The ClickHouse HTTP interface's TabSeparated answer to `sql`, signed in with `key`.
testing::ClientResponse ClickHouseQuery(const server::Server& server, const std::string& sql, const std::string& key) {
  auto r = HttpRequest(server.clickhouse_port(), "POST", "/?default_format=TabSeparated", sql,
                       {{"Authorization", "Basic " + Base64Encode("default:" + key)}});
  REQUIRE(r);
  return *r;
}

// Waits until `ready()` (the pipeline and the store consumer have caught up); fails after 30 s.
void WaitUntil(const std::function<bool()>& ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ready()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct Fixture {
  explicit Fixture(size_t query_threads = 2) {
    server = StartServer(dir.File("data"), "phc_query", kKey, query_threads);
    std::string batch = R"({"api_key":"phc_query","batch":[)";
    for (int i = 0; i < 7; ++i) {
      batch += fmt::format(R"({}{{"event":"{}","distinct_id":"u{}"}})", i ? "," : "", i % 3 ? "$pageview" : "signup", i % 2);
    }
    batch += "]}";
    REQUIRE(HttpRequest(server->api_port(), "POST", "/batch/", batch)->status == 200);
    WaitUntil([&] { return ClickHouse("SELECT count() FROM events").body == "7\n"; });
  }
  testing::ClientResponse ClickHouse(const std::string& sql, const std::string& password = kKey) {
    return ClickHouseQuery(*server, sql, password);
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
  CHECK(query("SELECT count() FROM (SELECT 1)").body.find(R"("results":[[1]])") != std::string::npos);
  // HogQL's sugar, with the column named as written.
  CHECK(query("SELECT properties.$lib AS lib, person_id FROM events LIMIT 1").status == 200);
  CHECK(query("SELECT properties.$nope FROM events LIMIT 1").body ==
        R"j({"columns":["properties.$nope"],"types":[["properties.$nope","Nullable(String)"]],"results":[[null]]})j");
}

namespace {

constexpr const char* kKeyOne = "phx_project_one_key";
constexpr const char* kKeyTwo = "phx_project_two_key";

// Two projects, each with a key of its own, events and persons in both. Everything of
// project 1 is marked "p1-secret"/"p1_secret" (event names, distinct ids, properties,
// person properties) so that any leak to project 2 shows in a response body; both
// projects share the distinct id "shared".
struct TwoProjects {
  TwoProjects() {
    const std::string data = dir.File("data");
    std::filesystem::create_directories(data);
    {
      auto meta = meta::MetaStore::Open(data + "/meta.sqlite");
      REQUIRE(meta.ok());
      REQUIRE((*meta)->Bootstrap("phc_one", kKeyOne).ok());
      auto two = (*meta)->CreateProject("Second", "phc_two");
      REQUIRE(two.ok());
      REQUIRE(two->id == 2);
      REQUIRE((*meta)->AddPersonalApiKey(kKeyTwo, 2).ok());
    }
    server = StartServer(data, "phc_one", kKeyOne);
    Capture(R"({"api_key":"phc_one","batch":[)"
            R"({"event":"p1_secret_event","distinct_id":"p1-secret-user","properties":{"secret":"p1-secret-prop"}},)"
            R"({"event":"p1_secret_event","distinct_id":"p1-secret-user","properties":{"secret":"p1-secret-prop"}},)"
            R"({"event":"p1_secret_event","distinct_id":"p1-secret-user","properties":{"secret":"p1-secret-prop"}},)"
            R"({"event":"$identify","distinct_id":"shared","properties":{"$set":{"email":"p1-secret@one.example"}}},)"
            R"({"event":"$pageview","distinct_id":"shared","properties":{"$browser":"p1-secret-browser"}}]})");
    Capture(R"({"api_key":"phc_two","batch":[)"
            R"({"event":"p2_event","distinct_id":"p2-user","properties":{"secret":"p2-visible"}},)"
            R"({"event":"p2_event","distinct_id":"p2-user","properties":{"secret":"p2-visible"}},)"
            R"({"event":"$identify","distinct_id":"shared","properties":{"$set":{"email":"p2@two.example"}}}]})");
    // Until both projects' events, persons and distinct ids are in the store.
    const std::string ready = "SELECT (SELECT count() FROM events), (SELECT count() FROM person) > 0, "
                              "(SELECT count() FROM person_distinct_id2) > 0";
    WaitUntil([&] {
      return ClickHouse(ready, kKeyOne).body == "5\t1\t1\n" && ClickHouse(ready, kKeyTwo).body == "3\t1\t1\n";
    });
  }
  void Capture(const std::string& batch) {
    REQUIRE(HttpRequest(server->api_port(), "POST", "/batch/", batch)->status == 200);
  }
  testing::ClientResponse Query(const std::string& sql, const std::string& project = "2", const std::string& key = kKeyTwo) {
    std::string body = R"({"query":{"kind":"HogQLQuery","query":)";
    AppendJsonString(body, sql);
    body += "}}";
    auto r = HttpRequest(server->api_port(), "POST", "/api/projects/" + project + "/query/", body,
                         {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
    REQUIRE(r);
    return *r;
  }
  testing::ClientResponse ClickHouse(const std::string& sql, const std::string& key) {
    return ClickHouseQuery(*server, sql, key);
  }
  testing::TempDir dir;
  std::unique_ptr<server::Server> server;
};

bool Leaks(const std::string& body) {
  return body.find("p1-secret") != std::string::npos || body.find("p1_secret") != std::string::npos;
}

}  // namespace

TEST_CASE("project 2's key never reads project 1's rows, whatever the SQL tries", "[api]") {
  TwoProjects f;
  // The secrets are there: project 1's own key reads them.
  CHECK(Leaks(f.Query("SELECT event, properties, distinct_id FROM events", "1", kKeyOne).body));
  CHECK(f.Query("SELECT person.properties.email FROM events WHERE distinct_id = 'shared' LIMIT 1", "1", kKeyOne).body ==
        R"j({"columns":["person.properties.email"],"types":[["person.properties.email","Nullable(String)"]],)j"
        R"("results":[["p1-secret@one.example"]]})");

  // Queries whose answer is project 2's row count (3 events) or nothing of project 1's.
  const std::vector<std::pair<std::string, std::string>> counts = {
      {"SELECT count() FROM events WHERE team_id = 1", "0"},
      {"SELECT count() FROM events WHERE team_id = 2 OR 1 = 1", "3"},
      {"SELECT count() FROM events WHERE team_id IN (1, 2) OR team_id != 2", "3"},
      {"SELECT count() FROM events WHERE toInt64(team_id) = 1 OR team_id = 1.0 OR toString(team_id) = '1'", "0"},
      {"SELECT count() FROM events PREWHERE team_id = 1", "0"},
      {"SELECT count() FROM (SELECT * FROM events WHERE team_id = 1)", "0"},
      {"SELECT count() FROM (SELECT team_id FROM events) WHERE team_id = 1", "0"},
      {"SELECT count() FROM (SELECT 1 AS team_id, * FROM events)", "3"},
      {"SELECT sum(c) FROM (SELECT count() AS c FROM events UNION ALL SELECT count() FROM events WHERE team_id = 1)", "3"},
      {"SELECT count() FROM (SELECT event FROM events WHERE team_id = 1 UNION ALL SELECT event FROM default.events "
       "WHERE team_id != 2)", "0"},
      {"SELECT count() FROM events AS a JOIN events AS b ON a.distinct_id = b.distinct_id WHERE b.team_id = 1", "0"},
      {"SELECT count() FROM events AS a CROSS JOIN events AS b", "9"},
      {"SELECT count() FROM events AS a JOIN events AS b ON a.distinct_id = b.distinct_id AND b.team_id = 1", "0"},
      {"SELECT count() FROM events AS a FULL JOIN (SELECT * FROM events WHERE team_id = 1) AS b USING (uuid)", "3"},
      {"SELECT count() FROM events WHERE distinct_id IN (SELECT distinct_id FROM events WHERE team_id = 1)", "0"},
      {"SELECT count() FROM events WHERE distinct_id NOT IN (SELECT distinct_id FROM events WHERE team_id = 2)", "0"},
      {"SELECT (SELECT count() FROM events WHERE team_id = 1)", "0"},
      {"WITH t AS (SELECT * FROM events WHERE team_id = 1) SELECT count() FROM t", "0"},
      {"WITH (SELECT count() FROM events) AS n SELECT n", "3"},
      {"SELECT count() FROM events /* WHERE team_id = 2 */ WHERE team_id = 1 -- AND team_id = 2", "0"},
      {"SELECT count() FROM events WHERE event = 'x\\' OR team_id = 1 OR event = \\'' OR team_id = 1", "0"},
      {"SELECT count() FROM events WHERE event = 'x'' OR 1 = 1 --'", "0"},
      {"SELECT count() FROM events FINAL WHERE team_id = 1", "0"},
      {"SELECT count() FROM events FINAL", "3"},
      {"SELECT count() FROM default.events", "3"},
      {"SELECT count() FROM `events` WHERE `team_id` = 1", "0"},
      {"SELECT count() FROM \"default\".\"events\"", "3"},
      {"SELECT count() FROM events SETTINGS readonly = 0, additional_table_filters = ''", "3"},
      {"SELECT count() FROM events ARRAY JOIN [1, 2] AS team_id WHERE team_id = 1", "3"},
      {"SELECT count() FROM person WHERE team_id = 1", "0"},
      {"SELECT count() FROM person_distinct_id2 FINAL WHERE team_id != 2", "0"},
      {"SELECT count() FROM events WHERE person.properties.email != 'p2@two.example'", "0"},
      {"SELECT count() FROM numbers(10)", "10"},
  };
  for (const auto& [sql, count] : counts) {
    INFO(sql);
    auto r = f.Query(sql);
    CHECK(r.status == 200);
    CHECK(r.body.find(R"("results":[[)" + count + "]]}") != std::string::npos);
    CHECK_FALSE(Leaks(r.body));
  }

  // Whole rows of every table, and what each refused trick answers: never project 1's.
  for (const char* sql : {
           "SELECT * FROM events",
           "SELECT * FROM events FINAL",
           "SELECT * FROM person",
           "SELECT * FROM person_distinct_id2",
           "SELECT * FROM groups",
           "SELECT * FROM ingestion_warnings",
           "SELECT * FROM dead_letter_queue",
           "SELECT event, properties.secret, person.properties.email, person_id FROM events",
           "SELECT a.event, b.event FROM events AS a, events AS b",
           "SELECT * FROM events UNION ALL SELECT * FROM events WHERE team_id = 1",
           "SELECT groupArray(event), groupArray(properties) FROM events",
           "SELECT * FROM events WHERE team_id = 1 OR event != ''",
           "SELECT * FROM file('/etc/passwd', 'TSV', 'line String')",
           "SELECT * FROM url('http://127.0.0.1:1/', 'TSV', 'line String')",
           "SELECT * FROM remote('127.0.0.1', default.events)",
           "SELECT * FROM cluster('default', default.events)",
           "SELECT * FROM merge('default', '^events$')",
           "SELECT * FROM system.parts",
           "SELECT * FROM system.tables",
           "SELECT * FROM system.columns",
           "SELECT * FROM system.query_log",
           "SELECT * FROM system.processes",
           "SELECT * FROM sharded_events",
           "SELECT * FROM writable_events",
           "SELECT * FROM other_db.events",
           "SELECT joinGet('events', 'event', 1)",
           "SELECT count() FROM events WHERE distinct_id IN events",
           "SELECT count() FROM events WHERE (distinct_id, event) IN (SELECT distinct_id, event FROM events WHERE team_id = 1)",
           "SELECT 1; SELECT * FROM events",
           "INSERT INTO events SELECT * FROM events",
           "ALTER TABLE events DELETE WHERE team_id = 2",
           "DROP TABLE events",
           "CREATE TABLE x AS events",
           "SELECT * FROM events WHERE team_id = {team:Int64}",
       }) {
    INFO(sql);
    auto r = f.Query(sql);
    CHECK((r.status == 200 || (r.status >= 400 && r.status < 500)));
    CHECK_FALSE(Leaks(r.body));
    CHECK(r.body.find("root:") == std::string::npos);  // /etc/passwd
  }
  CHECK(f.Query("INSERT INTO events SELECT * FROM events").status == 400);
  // A tree too deep to walk is refused, not a crashed server (1+1+...+1 nests as deep as it is long).
  std::string chain = "SELECT 1";
  for (int i = 0; i < 100000; ++i) chain += "+1";
  CHECK(f.Query(chain).status == 400);
  CHECK(f.ClickHouse(chain, kKeyTwo).status == 400);
  CHECK(f.Query("SELECT * FROM file('/etc/passwd', 'TSV', 'line String')").status == 400);
  // Project 2's person for the shared distinct id, not project 1's.
  CHECK(f.Query("SELECT person.properties.email FROM events WHERE distinct_id = 'shared'").body.find("p2@two.example") !=
        std::string::npos);

  // Project 1's endpoint with project 2's key (and leading zeros, and no key) is refused.
  for (const char* project : {"1", "01", "+1"}) {
    auto r = f.Query("SELECT count() FROM events", project);
    CHECK((r.status == 403 || r.status == 404));
    CHECK(r.body.find("results") == std::string::npos);
  }
  CHECK(f.Query("SELECT count() FROM events", "1", "").status == 401);
  CHECK(f.Query("SELECT count() FROM events", "1", "phx_project_two_ke").status == 401);
  CHECK(f.Query("SELECT count() FROM events", "2", kKeyOne).status == 403);

  // The ClickHouse listener reads the key's own project.
  CHECK(f.ClickHouse("SELECT count() FROM events", kKeyTwo).body == "3\n");
  CHECK(f.ClickHouse("SELECT count() FROM events", kKeyOne).body == "5\n");
  CHECK(f.ClickHouse("SELECT count() FROM events WHERE team_id = 1 OR 1 = 1", kKeyTwo).body == "3\n");
  CHECK_FALSE(Leaks(f.ClickHouse("SELECT * FROM events FORMAT JSONEachRow", kKeyTwo).body));
  CHECK_FALSE(Leaks(f.ClickHouse("SELECT * FROM person FORMAT JSONEachRow", kKeyTwo).body));
  CHECK(f.ClickHouse("SELECT count() FROM events", "phx_wrong").status == 403);
}

TEST_CASE("a query stops at its time and memory limits, and when its client goes away", "[api]") {
  Fixture f(1);  // one query thread: a query left running would hold up the next one
  auto timeout = f.ClickHouse("SELECT count() FROM system.numbers SETTINGS max_execution_time = 0.2");
  CHECK(timeout.status == 500);
  CHECK(timeout.body.rfind("Code: 159. DB::Exception: Timeout exceeded", 0) == 0);
  auto by_url = HttpRequest(f.server->clickhouse_port(), "POST", "/?max_execution_time=0.2", "SELECT count() FROM system.numbers",
                            {{"X-ClickHouse-Key", kKey}});
  REQUIRE(by_url);
  CHECK(by_url->body.find("(TIMEOUT_EXCEEDED)") != std::string::npos);
  auto memory = f.ClickHouse("SELECT number FROM numbers(5000000) SETTINGS max_memory_usage = 1000000");
  CHECK(memory.status == 500);
  CHECK(memory.body.rfind("Code: 241. DB::Exception: Memory limit (for query) exceeded", 0) == 0);
  // A query may lower the server's limits, not raise them past 60 s.
  CHECK(f.ClickHouse("SELECT count() FROM numbers(1000) SETTINGS max_execution_time = 100000").body == "1000\n");

  {
    // Without its client, a query that would run for the server's whole 60 s stops at once:
    // the next query, on the only query thread, is answered within the client's timeout.
    TestConnection gone(f.server->clickhouse_port());
    gone.SendRaw(BuildRequest("POST", "/", "SELECT count() FROM system.numbers", {{"X-ClickHouse-Key", kKey}}));
  }
  CHECK(f.ClickHouse("SELECT 1").body == "1\n");
}
