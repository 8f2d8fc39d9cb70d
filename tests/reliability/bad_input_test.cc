// A corpus of malformed requests against a real `hedgerow serve`: bodies, encodings, HTTP
// framing, headers, slow clients, pipelining, the query API, the ClickHouse listener, flags and
// the management APIs. Every one gets a 4xx (framing garbage may instead get its connection
// closed), never a 5xx or a crash, and the server still ingests and answers afterwards.

#include <signal.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hedgerow/common/compression.h"
#include "support/child_process.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace hedgerow::testing {
namespace {

const std::string kBinary = HEDGEROW_BINARY;
constexpr const char* kToken = "phc_bad_input";
constexpr const char* kKey = "phx_bad_input";

using Headers = std::vector<std::pair<std::string, std::string>>;

enum class Port { kApi, kClickHouse };

struct BadRequest {
  std::string name;
  Port port = Port::kApi;
  std::string raw;  // the whole request as bytes on the wire
  bool may_close = false;  // framing garbage: closing the connection without an answer is fine too
};

BadRequest Make(std::string name, std::string_view method, std::string_view target, std::string_view body,
                Headers headers = {}, Port port = Port::kApi) {
  return {std::move(name), port, BuildRequest(method, target, body, headers)};
}

std::string Deep(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::vector<BadRequest> CaptureBodies() {
  const std::string event = fmt::format(R"("api_key":"{}","event":"e","distinct_id":"d")", kToken);
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"empty body", ""},
      {"truncated JSON", "{\"api_key\":\"" + std::string(kToken) + "\",\"event\":\"e"},
      {"not JSON", "this is not json"},
      {"empty array", "[]"},
      {"empty batch", fmt::format(R"({{"api_key":"{}","batch":[]}})", kToken)},
      {"batch not an array", fmt::format(R"({{"api_key":"{}","batch":5}})", kToken)},
      {"no token", R"({"event":"e","distinct_id":"d"})"},
      {"two tokens", fmt::format(R"([{{{}}},{{"api_key":"phc_other","event":"e","distinct_id":"d"}}])", event)},
      {"personal key as token", R"({"api_key":"phx_secret","event":"e","distinct_id":"d"})"},
      {"NUL in token", std::string("{\"api_key\":\"phc_a\\u0000b\",\"event\":\"e\",\"distinct_id\":\"d\"}")},
      {"distinct_id object", fmt::format(R"({{"api_key":"{}","event":"e","distinct_id":{{"a":1}}}})", kToken)},
      {"no distinct_id", fmt::format(R"({{"api_key":"{}","event":"e"}})", kToken)},
      {"100k-deep properties", fmt::format(R"({{{},"properties":{}}})", event, Deep(100000))},
      {"200-deep properties", fmt::format(R"({{{},"properties":{{"a":{}}}}})", event, Deep(200))},
      {"trailing garbage", fmt::format(R"({{{}}}garbage)", event)},
      {"a number", "42"},
      {"a string", "\"just a string\""},
      {"null", "null"},
      {"invalid base64", "data=!!!not*base64!!!"},
      {"lz64 garbage", "compression=lz64&data=%E2%98%83%E2%98%83"},
      {"event over 1 MB", fmt::format(R"({{{},"properties":{{"big":"{}"}}}})", event, std::string(1100000, 'x'))},
  };
  const std::vector<std::string> paths = {"/e/", "/batch/", "/i/v0/e/", "/capture/", "/track/", "/engage/", "/s/"};
  std::vector<BadRequest> out;
  for (const std::string& path : paths) {
    for (const auto& [name, body] : bodies) {
      const bool form = body.rfind("data=", 0) == 0 || body.rfind("compression=", 0) == 0;
      out.push_back(Make(path + " " + name, "POST", path, body,
                         {{"Content-Type", form ? "application/x-www-form-urlencoded" : "application/json"}}));
    }
  }
  // Encodings.
  const std::string valid = fmt::format("{{{}}}", event);
  std::string gz = Gzip(valid);
  out.push_back(Make("gzip header, plain body", "POST", "/batch/", valid, {{"Content-Encoding", "gzip"}}));
  out.push_back(Make("truncated gzip", "POST", "/batch/", gz.substr(0, gz.size() / 2), {{"Content-Encoding", "gzip"}}));
  out.push_back(Make("gzip query hint, plain body", "POST", "/batch/?compression=gzip-js", "not gzip at all"));
  out.push_back(Make("lz64 query hint, JSON body", "POST", "/batch/?compression=lz64", valid + "!!"));
  out.push_back(Make("gzip bomb", "POST", "/batch/", Gzip(std::string(64 << 20, ' ')), {{"Content-Encoding", "gzip"}}));
  out.push_back(Make("unknown content encoding", "POST", "/batch/", valid, {{"Content-Encoding", "br"}}));
  out.push_back(Make("body over 20 MB", "POST", "/batch/", std::string(21 << 20, ' ')));
  out.push_back(Make("GET data= garbage", "GET", "/e/?data=%ZZ%ZZ", ""));
  out.push_back(Make("GET data= not base64", "GET", "/e/?data=@@@@", ""));
  return out;
}

std::vector<BadRequest> Framing() {
  auto raw = [](std::string name, std::string bytes) { return BadRequest{std::move(name), Port::kApi, std::move(bytes), true}; };
  std::vector<BadRequest> out = {
      raw("garbage request line", "GARBAGE\r\n\r\n"),
      raw("no version", "GET /_health\r\n\r\n"),
      raw("HTTP/9.9", "GET /_health HTTP/9.9\r\nHost: x\r\n\r\n"),
      raw("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
      raw("TLS client hello", std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) + std::string(160, '\x00')),
      raw("NUL in request line", std::string("GET /_he\0alth HTTP/1.1\r\nHost: x\r\n\r\n", 35)),
      raw("header without colon", "GET /_health HTTP/1.1\r\nHost x\r\n\r\n"),
      raw("non-numeric Content-Length", "POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
      raw("negative Content-Length", "POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
      raw("huge Content-Length", "POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
      raw("two Content-Lengths", "POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
      raw("Content-Length and chunked", "POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"),
      raw("bad chunk size", "POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n"),
      raw("chunk size overflow", "POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n"),
      raw("unknown transfer encoding", "POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, banana\r\n\r\n0\r\n\r\n"),
      raw("100 KB target", "GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"),
      raw("100 KB header", "GET /_health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n"),
      raw("space in a header name", "GET /_health HTTP/1.1\r\nHost: x\r\nX Bad: a\r\n\r\n"),
      raw("bare LF line ends and junk", "GET /_health HTTP/1.1\nHost: x\n\x01\x02\x03\n\n"),
      raw("space before colon", "GET /_health HTTP/1.1\r\nHost : x\r\n\r\n"),
  };
  std::string many = "GET /_health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 5000; ++i) many += fmt::format("X-H{}: v\r\n", i);
  out.push_back(raw("5000 headers", many + "\r\n"));
  out.push_back(Make("unknown method", "BREW", "/e/", ""));
  out.push_back(Make("path traversal", "GET", "/../../../etc/passwd", ""));
  out.push_back(Make("unknown path", "GET", "/nope/nope", ""));
  out.push_back(Make("DELETE on capture", "DELETE", "/e/", ""));
  out.push_back(Make("bad percent escapes in the target", "GET", "/api/projects/%ZZ/events/", "", {{"Authorization", std::string("Bearer ") + kKey}}));
  return out;
}

std::vector<BadRequest> QueryApi() {
  const Headers auth = {{"Authorization", std::string("Bearer ") + kKey}, {"Content-Type", "application/json"}};
  auto query = [&](std::string name, std::string body, Headers headers, std::string project = "1") {
    return Make(std::move(name), "POST", "/api/projects/" + project + "/query/", body, std::move(headers));
  };
  auto sql = [&](std::string name, const std::string& text) {
    std::string body = R"({"query":{"kind":"HogQLQuery","query":")";
    for (char c : text) {
      if (c == '"' || c == '\\') body += '\\';
      body += c;
    }
    return query(std::move(name), body + "\"}}", auth);
  };
  std::string huge_in = "SELECT 1 WHERE 1 IN (";
  for (int i = 0; i < 200000; ++i) huge_in += std::to_string(i) + ",";
  huge_in += "0";  // never closed
  return {
      query("query: no auth", R"({"query":{"kind":"HogQLQuery","query":"SELECT 1"}})", {}),
      query("query: wrong key", R"({"query":{"kind":"HogQLQuery","query":"SELECT 1"}})", {{"Authorization", "Bearer phx_wrong"}}),
      query("query: not JSON", "not json", auth),
      query("query: no query", R"({"kind":"HogQLQuery"})", auth),
      query("query: unknown kind", R"({"query":{"kind":"TrendsQuery","series":[]}})", auth),
      query("query: query not a string", R"({"query":{"kind":"HogQLQuery","query":42}})", auth),
      query("query: unknown project", R"({"query":{"kind":"HogQLQuery","query":"SELECT 1"}})", auth, "999"),
      query("query: project not a number", R"({"query":{"kind":"HogQLQuery","query":"SELECT 1"}})", auth, "abc"),
      query("query: deep JSON", "{\"query\":" + Deep(100000) + "}", auth),
      sql("query: syntax error", "SELEC 1"),
      sql("query: unknown table", "SELECT * FROM nope"),
      sql("query: unknown column", "SELECT nope FROM events"),
      sql("query: unknown function", "SELECT nope(1)"),
      sql("query: wrong argument count", "SELECT toDate()"),
      sql("query: INSERT", "INSERT INTO events VALUES (1)"),
      sql("query: DROP", "DROP TABLE events"),
      sql("query: 100k nested parentheses", std::string(100000, '(') + "1" + std::string(100000, ')')),
      sql("query: 100k unary minus", "SELECT " + std::string(100000, '-') + "1"),
      sql("query: unclosed 200k IN list", huge_in),
      sql("query: unknown format", "SELECT 1 FORMAT Nope"),
      sql("query: type mismatch", "SELECT 'a' + 1"),
      sql("query: unterminated string", "SELECT 'abc"),
      sql("query: bad lambda", "SELECT arrayMap(x ->, [1])"),
      sql("query: empty", ""),
  };
}

std::vector<BadRequest> ClickHouseListener() {
  auto ch = [](std::string name, std::string_view method, std::string_view target, std::string_view body,
               Headers headers = {{"X-ClickHouse-Key", kKey}}) {
    return Make(std::move(name), method, target, body, std::move(headers), Port::kClickHouse);
  };
  return {
      ch("clickhouse: no credentials", "POST", "/", "SELECT 1", {}),
      ch("clickhouse: wrong password", "POST", "/?user=default&password=wrong", "SELECT 1", {}),
      ch("clickhouse: garbage SQL", "POST", "/", "\x01\x02\x03 garbage"),
      ch("clickhouse: GET without query", "GET", "/", ""),
      ch("clickhouse: bad percent escapes", "GET", "/?query=SELECT%ZZ1", ""),
      ch("clickhouse: unknown default_format", "POST", "/?default_format=Nope", "SELECT 1"),
      ch("clickhouse: unknown database", "POST", "/?database=nope", "SELECT 1"),
      ch("clickhouse: deep expression", "POST", "/", "SELECT " + std::string(100000, '(') + "1" + std::string(100000, ')')),
      ch("clickhouse: INSERT", "POST", "/", "INSERT INTO events FORMAT JSONEachRow {\"a\":1}"),
      ch("clickhouse: ALTER", "POST", "/", "ALTER TABLE events DELETE WHERE 1"),
      ch("clickhouse: unknown table", "POST", "/", "SELECT * FROM system.nope"),
      ch("clickhouse: gzip garbage", "POST", "/", "not gzip", {{"X-ClickHouse-Key", kKey}, {"Content-Encoding", "gzip"}}),
      ch("clickhouse: bad setting value", "POST", "/?max_result_rows=abc", "SELECT 1"),
      ch("clickhouse: unknown parameter type", "POST", "/?param_x=1", "SELECT {x:Nope}"),
      ch("clickhouse: missing parameter", "POST", "/", "SELECT {x:UInt8}"),
  };
}

std::vector<BadRequest> FlagsAndManagement() {
  const Headers json = {{"Content-Type", "application/json"}};
  const Headers auth = {{"Authorization", std::string("Bearer ") + kKey}, {"Content-Type", "application/json"}};
  std::vector<BadRequest> out;
  for (const std::string path : {"/flags/?v=2", "/decide/?v=3", "/decide/?v=4"}) {
    out.push_back(Make(path + " not JSON", "POST", path, "not json", json));
    out.push_back(Make(path + " no token", "POST", path, R"({"distinct_id":"d"})", json));
    out.push_back(Make(path + " unknown token", "POST", path, R"({"token":"phc_nobody","distinct_id":"d"})", json));
    out.push_back(Make(path + " deep person_properties", "POST", path,
                       fmt::format(R"({{"token":"{}","distinct_id":"d","person_properties":{}}})", kToken, Deep(100000)), json));
    out.push_back(Make(path + " base64 garbage", "POST", path + "&compression=base64", "data=%%%%", {{"Content-Type", "application/x-www-form-urlencoded"}}));
    out.push_back(Make(path + " gzip garbage", "POST", path, "not gzip", {{"Content-Encoding", "gzip"}}));
    out.push_back(Make(path + " array body", "POST", path, "[1,2,3]", json));
  }
  const std::string flags = "/api/projects/1/feature_flags/";
  out.push_back(Make("flags API: no auth", "GET", flags, ""));
  out.push_back(Make("flags API: not JSON", "POST", flags, "{", auth));
  out.push_back(Make("flags API: no key", "POST", flags, R"({"filters":{}})", auth));
  out.push_back(Make("flags API: bad key", "POST", flags, R"({"key":"has spaces and ü","filters":{}})", auth));
  out.push_back(Make("flags API: filters a string", "POST", flags, R"({"key":"k1","filters":"nope"})", auth));
  out.push_back(Make("flags API: rollout 500", "POST", flags, R"({"key":"k2","filters":{"groups":[{"rollout_percentage":500}]}})", auth));
  out.push_back(Make("flags API: variants not 100", "POST", flags,
                     R"({"key":"k3","filters":{"groups":[],"multivariate":{"variants":[{"key":"a","rollout_percentage":10}]}}})", auth));
  out.push_back(Make("flags API: unknown operator", "POST", flags,
                     R"({"key":"k4","filters":{"groups":[{"properties":[{"key":"a","value":1,"operator":"nope"}]}]}})", auth));
  out.push_back(Make("flags API: groups not an array", "POST", flags, R"({"key":"k5","filters":{"groups":{"a":1}}})", auth));
  out.push_back(Make("flags API: deep filters", "POST", flags, R"({"key":"k6","filters":)" + Deep(100000) + "}", auth));
  out.push_back(Make("flags API: PATCH unknown id", "PATCH", flags + "999999/", R"({"active":false})", auth));
  out.push_back(Make("flags API: DELETE id not a number", "DELETE", flags + "abc/", "", auth));
  out.push_back(Make("local evaluation: no key", "GET", "/api/feature_flag/local_evaluation", ""));
  out.push_back(Make("events API: limit 0", "GET", "/api/projects/1/events/?limit=0", "", auth));
  out.push_back(Make("events API: limit text", "GET", "/api/projects/1/events/?limit=abc", "", auth));
  out.push_back(Make("events API: bad before", "GET", "/api/projects/1/events/?before=yesterday-ish", "", auth));
  out.push_back(Make("events API: no auth", "GET", "/api/projects/1/events/", ""));
  out.push_back(Make("persons API: bad uuid", "DELETE", "/api/projects/1/persons/not-a-uuid/", "", auth));
  out.push_back(Make("persons API: unknown person", "DELETE", "/api/projects/1/persons/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/", "", auth));
  out.push_back(Make("backup API: relative path", "POST", "/api/backup/", R"({"dir":"relative/dir"})", auth));
  out.push_back(Make("backup API: no auth", "POST", "/api/backup/", R"({"dir":"/tmp/x"})"));
  out.push_back(Make("remote config: unknown token", "GET", "/array/phc_nobody/config", ""));
  return out;
}

// Sends `request` on a connection of its own; the status, or 0 when the server closed it.
int Send(const ServerPorts& ports, const BadRequest& request) {
  TestConnection connection(request.port == Port::kApi ? ports.api : ports.clickhouse, std::chrono::seconds(30));
  connection.SendRaw(request.raw);
  std::optional<ClientResponse> response = connection.ReadResponse();
  return response ? response->status : 0;
}

void ExpectServing(const ServerPorts& ports) {
  auto health = HttpRequest(ports.api, "GET", "/_health");
  REQUIRE(health);
  REQUIRE(health->status == 200);
}

TEST_CASE("malformed requests get 4xx, never 5xx or a crash, and the server keeps serving", "[reliability]") {
  TempDir dir;
  ChildProcess server({kBinary, "serve", "--data-dir", dir.File("data"), "--listen", "127.0.0.1:0", "--clickhouse-listen",
                       "127.0.0.1:0", "--project-token", kToken, "--personal-api-key", kKey});
  const ServerPorts ports = AwaitServerReady(server);
  std::vector<BadRequest> corpus;
  for (auto part : {CaptureBodies(), Framing(), QueryApi(), ClickHouseListener(), FlagsAndManagement()}) {
    for (BadRequest& r : part) corpus.push_back(std::move(r));
  }
  REQUIRE(corpus.size() >= 150);
  size_t closed = 0;
  for (const BadRequest& request : corpus) {
    INFO(request.name);
    const int status = Send(ports, request);
    if (status == 0) {
      CHECK(request.may_close);
      ++closed;
    } else {
      CHECK(status >= 400);
      CHECK(status < 500);
    }
    server.DrainFor(std::chrono::milliseconds(0));
  }
  ExpectServing(ports);
  WARN(fmt::format("{} malformed requests, {} answered 4xx, {} closed", corpus.size(), corpus.size() - closed, closed));

  // Pipelined: a good request, a malformed one, then one that must not be read as part of it.
  {
    TestConnection connection(ports.api);
    connection.SendRaw(BuildRequest("GET", "/_health", "", {}) + "POST /e/ HTTP/1.1\r\nContent-Length: zz\r\n\r\n" +
                       BuildRequest("GET", "/_health", "", {}));
    auto first = connection.ReadResponse();
    REQUIRE(first);
    CHECK(first->status == 200);
    auto second = connection.ReadResponse();
    if (second) CHECK(second->status == 400);
  }

  // Slow clients hold connections open a byte at a time; others are still served meanwhile.
  {
    std::vector<std::unique_ptr<TestConnection>> slow;
    for (int i = 0; i < 50; ++i) {
      slow.push_back(std::make_unique<TestConnection>(ports.api));
      slow.back()->SendRaw("POST /e/ HTTP/1.1\r\nHost: x\r\n");
    }
    for (int round = 0; round < 5; ++round) {
      for (auto& c : slow) c->SendRaw("X");
      const auto started = std::chrono::steady_clock::now();
      ExpectServing(ports);
      CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    }
  }

  // Still ingesting and answering: an event sent now is queryable.
  auto sent = HttpRequest(ports.api, "POST", "/e/",
                          fmt::format(R"({{"api_key":"{}","event":"after-the-storm","distinct_id":"survivor"}})", kToken));
  REQUIRE(sent);
  CHECK(sent->status == 200);
  AwaitServerAnswer(ports.clickhouse, kKey, "SELECT count() FROM events WHERE event = 'after-the-storm'", "1\n");
  server.Signal(SIGTERM);
  CHECK(server.Wait(std::chrono::seconds(30)) == 0);
}

}  // namespace
}  // namespace hedgerow::testing
