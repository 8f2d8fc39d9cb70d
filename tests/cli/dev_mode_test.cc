// The developer test mode as an app's test suite uses it: `serve --ephemeral` and its JSON
// line, events captured, `hedgerow expect` passing and failing, the data dir gone at exit.
#include <signal.h>

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

#include "support/child_process.h"
#include "support/http_client.h"

using hedgerow::testing::ChildProcess;
using hedgerow::testing::HttpRequest;

namespace {

const std::string kBinary = HEDGEROW_BINARY;

// The port of "http://127.0.0.1:P".
uint16_t PortOf(const std::string& url) { return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1))); }

// Exit code, stdout and stderr of a command that ends by itself.
std::tuple<int, std::string, std::string> Run(const std::vector<std::string>& args) {
  ChildProcess child(args);
  auto code = child.Wait(std::chrono::seconds(30));
  REQUIRE(code);
  return {*code, child.stdout_text(), child.stderr_text()};
}

}  // namespace

TEST_CASE("serve --ephemeral prints where it is, takes events that expect sees, and leaves nothing behind", "[cli]") {
  ChildProcess server({kBinary, "serve", "--ephemeral"});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.stdout_text().find('\n') == std::string::npos) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    server.DrainFor(std::chrono::milliseconds(10));
  }
  const std::string line = server.stdout_text();
  CHECK(line.find('\n') == line.size() - 1);  // one line, nothing else on stdout
  rapidjson::Document ready;
  ready.Parse(line.data(), line.size());
  REQUIRE(ready.IsObject());
  for (const char* key : {"url", "clickhouse_url", "token", "personal_api_key", "data_dir"}) {
    INFO(key);
    REQUIRE(ready.HasMember(key));
    REQUIRE(ready[key].IsString());
  }
  const std::string url = ready["url"].GetString(), token = ready["token"].GetString(),
                    key = ready["personal_api_key"].GetString(), data_dir = ready["data_dir"].GetString();
  CHECK(token.rfind("phc_", 0) == 0);
  CHECK(key.rfind("phx_", 0) == 0);
  CHECK(std::filesystem::exists(std::filesystem::path(data_dir) / "meta.sqlite"));
  auto ping = HttpRequest(PortOf(ready["clickhouse_url"].GetString()), "GET", "/ping");
  REQUIRE(ping);
  CHECK(ping->status == 200);

  const std::vector<std::string> expect = {kBinary, "expect", "--url", url, "--api-key", key, "--event", "signed up"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = expect;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  // Nothing yet: expect waits out its timeout and says what it saw.
  auto [code, out, err] = Run(with({"--timeout", "200ms"}));
  CHECK(code == 1);
  CHECK(err.find("wanted 1 event(s) named \"signed up\" within 200ms, saw 0") != std::string::npos);
  CHECK(err.find("the project has no events at all") != std::string::npos);

  auto captured = HttpRequest(PortOf(url), "POST", "/e/",
                              R"({"api_key":")" + token + R"(","event":"signed up","distinct_id":"u1","properties":{"plan":"pro"}})");
  REQUIRE(captured);
  CHECK(captured->status == 200);
  std::tie(code, out, err) = Run(with({"--where", "properties.plan = 'pro'", "--timeout", "20s"}));
  CHECK(code == 0);
  CHECK(out == "expect: 1 event(s) named \"signed up\" where properties.plan = 'pro'\n");
  std::tie(code, out, err) = Run(with({"--count", "2", "--timeout", "300ms"}));
  CHECK(code == 1);
  CHECK(err.find("saw 1") != std::string::npos);
  CHECK(err.find("signed up  distinct_id=u1") != std::string::npos);
  std::tie(code, out, err) = Run(with({"--where", "properties.plan = 'free'", "--timeout", "300ms"}));
  CHECK(code == 1);
  CHECK(err.find("1 event(s) named \"signed up\" without --where") != std::string::npos);
  // Usage errors: 2, naming what to fix.
  std::tie(code, out, err) = Run(with({"--where", "nosuchfunction(1)"}));
  CHECK(code == 2);
  CHECK(err.find("Unknown function nosuchfunction") != std::string::npos);
  std::tie(code, out, err) = Run(with({"--timeout", "soon"}));
  CHECK(code == 2);
  std::tie(code, out, err) = Run({kBinary, "expect", "--url", url, "--api-key", key});
  CHECK(code == 2);
  CHECK(err == "hedgerow: expect: --event NAME is required\n");

  server.Signal(SIGTERM);
  CHECK(server.Wait() == 0);
  CHECK_FALSE(std::filesystem::exists(data_dir));
  // The server is gone: expect says it cannot connect.
  std::tie(code, out, err) = Run(with({"--timeout", "200ms"}));
  CHECK(code == 1);
  CHECK(err.find("is hedgerow serve running?") != std::string::npos);
}

TEST_CASE("serve --ephemeral refuses a --data-dir", "[cli]") {
  auto [code, out, err] = Run({kBinary, "serve", "--ephemeral", "--data-dir", "/tmp/x"});
  CHECK(code == 2);
  CHECK(err == "hedgerow: --ephemeral makes its own temporary data dir: drop --data-dir\n");
}
