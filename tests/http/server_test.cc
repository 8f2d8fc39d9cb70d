#include "hedgerow/http/server.h"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "hedgerow/common/compression.h"
#include "support/http_client.h"

using namespace hedgerow;
using namespace hedgerow::http;
using hedgerow::testing::BuildRequest;
using hedgerow::testing::HttpRequest;
using hedgerow::testing::TestConnection;

namespace {

// A handler's Reply parked until the test releases it: models a handler waiting on the log.
class ParkedReplies {
 public:
  void Park(Reply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    replies_.push_back(std::move(reply));
    cv_.notify_all();
  }
  void WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    REQUIRE(cv_.wait_for(lock, std::chrono::seconds(10), [&] { return replies_.size() >= n; }));
  }
  void AnswerAll(int status, const std::string& body) {
    std::vector<Reply> replies;
    {
      std::lock_guard<std::mutex> lock(mu_);
      replies.swap(replies_);
    }
    for (auto& r : replies) r(Response::Text(status, body));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Reply> replies_;
};

struct Fixture {
  explicit Fixture(ServerOptions options = {}) {
    options.listen = {"127.0.0.1", 0};
    Router router;
    router.Add("GET,POST", "/echo/", [](Request req, Reply reply) {
      reply(Response::Text(200, req.method + " " + req.path + " " + req.body));
    });
    router.Add("GET", "/items/:id", [](Request req, Reply reply) {
      reply(Response::Json(200, "{\"id\":\"" + req.path_params["id"] + "\"}"));
    });
    router.Add("POST", "/slow-then-fast/", [](Request req, Reply reply) {
      // The first pipelined request answers late, from another thread.
      std::thread([req = std::move(req), reply = std::move(reply)] {
        if (req.body == "first") std::this_thread::sleep_for(std::chrono::milliseconds(100));
        reply(Response::Text(200, req.body));
      }).detach();
    });
    router.Add("GET", "/parked/", [this](Request, Reply reply) { parked.Park(std::move(reply)); });
    router.Add("GET", "/watched/", [this](Request req, Reply reply) {
      {
        std::lock_guard<std::mutex> lock(watched_mu);
        watched.push_back(req.disconnected);
      }
      parked.Park(std::move(reply));
    });
    router.Add("GET", "/forgets/", [](Request, Reply) {});
    router.Add("GET", "/throws/", [](Request, Reply) { throw std::runtime_error("boom"); });
    router.Add("GET", "/twice/", [](Request, Reply reply) {
      reply(Response::Text(200, "first"));
      reply(Response::Text(500, "second"));
    });
    server = std::make_unique<Server>(options, std::move(router), &metrics);
    REQUIRE(server->Start().ok());
    port = server->port();
  }
  // The disconnected flag of the newest /watched/ request, once it is being handled.
  std::shared_ptr<std::atomic<bool>> LastWatched() {
    std::lock_guard<std::mutex> lock(watched_mu);
    return watched.empty() ? nullptr : watched.back();
  }
  MetricsRegistry metrics;
  ParkedReplies parked;
  std::mutex watched_mu;
  std::vector<std::shared_ptr<std::atomic<bool>>> watched;
  std::unique_ptr<Server> server;
  uint16_t port = 0;
};

}  // namespace

TEST_CASE("requests are routed with path parameters over a real socket", "[http]") {
  Fixture f;
  auto r = HttpRequest(f.port, "POST", "/echo?x=1", "hello");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /echo hello");
  CHECK(r->Header("server") == "hedgerow");
  auto item = HttpRequest(f.port, "GET", "/items/abc");
  REQUIRE(item);
  CHECK(item->body == "{\"id\":\"abc\"}");
  CHECK(item->Header("content-type") == "application/json");
}

TEST_CASE("unknown paths answer 404 and wrong methods 405 with JSON errors", "[http]") {
  Fixture f;
  auto missing = HttpRequest(f.port, "GET", "/nope");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->body.find("\"code\":\"not_found\"") != std::string::npos);
  auto wrong = HttpRequest(f.port, "DELETE", "/echo/");
  REQUIRE(wrong);
  CHECK(wrong->status == 405);
  CHECK(wrong->Header("allow") == "GET, POST");
}

TEST_CASE("keep-alive serves many requests on one connection", "[http]") {
  Fixture f;
  TestConnection c(f.port);
  for (int i = 0; i < 20; ++i) {
    auto r = c.Request("POST", "/echo/", std::to_string(i));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "POST /echo/ " + std::to_string(i));
    CHECK(r->Header("connection") != "close");
  }
}

TEST_CASE("pipelined requests are answered in order even when the first is slower", "[http]") {
  Fixture f;
  TestConnection c(f.port);
  c.SendRaw(BuildRequest("POST", "/slow-then-fast/", "first", {}) +
            BuildRequest("POST", "/slow-then-fast/", "second", {}) +
            BuildRequest("GET", "/items/3", "", {}));
  auto a = c.ReadResponse();
  auto b = c.ReadResponse();
  auto d = c.ReadResponse();
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(d);
  CHECK(a->body == "first");
  CHECK(b->body == "second");
  CHECK(d->body == "{\"id\":\"3\"}");
}

TEST_CASE("an oversized header block is answered 431", "[http]") {
  ServerOptions options;
  options.max_header_bytes = 4096;
  Fixture f(options);
  TestConnection c(f.port);
  auto r = c.Request("GET", "/echo/", "", {{"X-Big", std::string(8000, 'a')}});
  REQUIRE(r);
  CHECK(r->status == 431);
  CHECK(r->body.find("header_too_large") != std::string::npos);
  CHECK(c.WaitForClose());
}

TEST_CASE("an oversized body is answered 413, by Content-Length or while chunked", "[http]") {
  ServerOptions options;
  options.max_body_bytes = 1000;
  Fixture f(options);
  {
    TestConnection c(f.port);
    auto r = c.Request("POST", "/echo/", std::string(5000, 'x'));
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->body.find("exceeds 1000 bytes") != std::string::npos);
  }
  {
    TestConnection c(f.port);
    std::string chunk(600, 'y');
    c.SendRaw("POST /echo/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.SendRaw("258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
    auto r = c.ReadResponse();
    REQUIRE(r);
    CHECK(r->status == 413);
  }
  auto ok = HttpRequest(f.port, "POST", "/echo/", std::string(900, 'z'));
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("gzip request bodies are inflated for handlers, within the limit", "[http]") {
  ServerOptions options;
  options.max_body_bytes = 100000;
  Fixture f(options);
  auto r = HttpRequest(f.port, "POST", "/echo/", Gzip("compressed payload"),
                       {{"Content-Encoding", "gzip"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /echo/ compressed payload");

  auto corrupt = HttpRequest(f.port, "POST", "/echo/", "not gzip at all", {{"Content-Encoding", "gzip"}});
  REQUIRE(corrupt);
  CHECK(corrupt->status == 400);
  CHECK(corrupt->body.find("invalid_gzip") != std::string::npos);

  auto bomb = HttpRequest(f.port, "POST", "/echo/", Gzip(std::string(1000000, 'a')),
                          {{"Content-Encoding", "gzip"}});
  REQUIRE(bomb);
  CHECK(bomb->status == 413);

  auto br = HttpRequest(f.port, "POST", "/echo/", "x", {{"Content-Encoding", "br"}});
  REQUIRE(br);
  CHECK(br->status == 415);
}

TEST_CASE("a client that sends its request too slowly is disconnected", "[http]") {
  ServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  Fixture f(options);
  TestConnection slow(f.port);
  auto started = std::chrono::steady_clock::now();
  slow.SendRaw("GET /echo/ HTTP/1.1\r\nHost: x\r\n");  // never finishes its header
  CHECK(slow.WaitForClose());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));

  // An idle keep-alive connection is dropped the same way, and others are still served.
  TestConnection idle(f.port);
  REQUIRE(idle.Request("GET", "/echo/"));
  CHECK(idle.WaitForClose());
  auto r = HttpRequest(f.port, "GET", "/echo/");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("CORS: preflights are answered and the origin is echoed", "[http]") {
  Fixture f;
  auto pre = HttpRequest(f.port, "OPTIONS", "/e/",  "",
                         {{"Origin", "https://app.example.com"},
                          {"Access-Control-Request-Method", "POST"},
                          {"Access-Control-Request-Headers", "content-type,x-custom"}});
  REQUIRE(pre);
  CHECK(pre->status == 200);
  CHECK(pre->Header("access-control-allow-origin") == "https://app.example.com");
  CHECK(pre->Header("access-control-allow-credentials") == "true");
  CHECK(pre->Header("access-control-allow-headers") == "content-type,x-custom");
  CHECK(pre->Header("access-control-allow-methods").find("POST") != std::string::npos);

  auto get = HttpRequest(f.port, "GET", "/echo/", "", {{"Origin", "http://localhost:3000"}});
  REQUIRE(get);
  CHECK(get->Header("access-control-allow-origin") == "http://localhost:3000");
  CHECK(get->Header("vary") == "Origin");
  auto no_origin = HttpRequest(f.port, "GET", "/echo/");
  REQUIRE(no_origin);
  CHECK(no_origin->Header("access-control-allow-origin").empty());
}

TEST_CASE("a handler that forgets, throws or answers twice still yields one response", "[http]") {
  Fixture f;
  TestConnection c(f.port);
  auto forgot = c.Request("GET", "/forgets/");
  REQUIRE(forgot);
  CHECK(forgot->status == 500);
  auto threw = c.Request("GET", "/throws/");
  REQUIRE(threw);
  CHECK(threw->status == 500);
  auto twice = c.Request("GET", "/twice/");
  REQUIRE(twice);
  CHECK(twice->body == "first");
  auto next = c.Request("GET", "/echo/");  // the connection is still in step
  REQUIRE(next);
  CHECK(next->body == "GET /echo/ ");
}

TEST_CASE("malformed requests get 400 and the server keeps serving", "[http]") {
  Fixture f;
  TestConnection c(f.port);
  c.SendRaw("GARBAGE\r\n\r\n");
  auto r = c.ReadResponse();
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(HttpRequest(f.port, "GET", "/echo/")->status == 200);
}

TEST_CASE("graceful stop answers in-flight requests and closes idle connections", "[http]") {
  Fixture f;
  TestConnection idle(f.port);
  REQUIRE(idle.Request("GET", "/echo/"));
  TestConnection busy(f.port);
  busy.SendRaw(BuildRequest("GET", "/parked/", "", {}));
  f.parked.WaitFor(1);

  auto stopped = std::async(std::launch::async, [&] { f.server->Stop(std::chrono::seconds(10)); });
  CHECK(idle.WaitForClose());
  CHECK(stopped.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  f.parked.AnswerAll(200, "done");
  auto r = busy.ReadResponse();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "done");
  CHECK(r->Header("connection") == "close");
  REQUIRE(stopped.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK_THROWS(TestConnection(f.port));
}

TEST_CASE("stop gives up on a handler that never answers after the drain deadline", "[http]") {
  Fixture f;
  TestConnection busy(f.port);
  busy.SendRaw(BuildRequest("GET", "/parked/", "", {}));
  f.parked.WaitFor(1);
  auto started = std::chrono::steady_clock::now();
  f.server->Stop(std::chrono::milliseconds(200));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(busy.WaitForClose());
  f.parked.AnswerAll(200, "too late");  // dropped without touching the stopped server
}

TEST_CASE("past max_connections a new connection is answered 503 and closed, until others close", "[http]") {
  ServerOptions options;
  options.max_connections = 2;
  Fixture f(options);
  {
    std::vector<std::unique_ptr<TestConnection>> open;
    for (int i = 0; i < 2; ++i) {
      open.push_back(std::make_unique<TestConnection>(f.port));
      auto r = open.back()->Request("GET", "/echo/");  // answered: the server holds it now
      REQUIRE(r);
      CHECK(r->status == 200);
    }
    for (int i = 0; i < 3; ++i) {
      TestConnection extra(f.port);
      auto refused = extra.Request("POST", "/echo/", std::string(10000, 'x'));  // sent whole, answered still
      REQUIRE(refused);
      CHECK(refused->status == 503);
      CHECK(refused->Header("retry-after") == "1");
      CHECK(refused->body.find("\"code\":\"too_many_connections\"") != std::string::npos);
      CHECK(refused->body.find("2 connections are open") != std::string::npos);
      CHECK(extra.WaitForClose());
    }
    for (auto& c : open) {  // the held connections were not disturbed
      auto r = c->Request("GET", "/echo/");
      REQUIRE(r);
      CHECK(r->status == 200);
    }
  }
  // The two are closed; once the server has seen them go, new connections are served.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<testing::ClientResponse> r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = HttpRequest(f.port, "GET", "/echo/");
    if (r && r->status != 503) break;
  }
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.metrics.RenderPrometheus().find("hedgerow_http_connections_refused_total{server=\"api\"} ") !=
        std::string::npos);
}

TEST_CASE("requests are counted in the metrics registry", "[http]") {
  Fixture f;
  REQUIRE(HttpRequest(f.port, "GET", "/items/1"));
  REQUIRE(HttpRequest(f.port, "GET", "/items/2"));
  std::string text = f.metrics.RenderPrometheus();
  CHECK(text.find("hedgerow_http_requests_total{server=\"api\",route=\"/items/:id\",method=\"GET\","
                  "status=\"200\"} 2") != std::string::npos);
  CHECK(text.find("hedgerow_http_request_duration_seconds_count{server=\"api\",route=\"/items/:id\"} 2") !=
        std::string::npos);
}

TEST_CASE("binding a port in use is a clear error", "[http]") {
  Fixture f;
  MetricsRegistry metrics;
  ServerOptions options;
  options.listen = {"127.0.0.1", f.port};
  Server second(options, Router(), &metrics);
  Status s = second.Start();
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message().find("cannot listen on 127.0.0.1:" + std::to_string(f.port)) != std::string::npos);
}

// Polls `flag` until it is set or 10 s pass: the flag is set by the server's I/O thread.
bool BecomesTrue(const std::atomic<bool>& flag) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!flag.load() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  return flag.load();
}

TEST_CASE("a handler learns that its client went away; a pipelined request is not a disconnect", "[http]") {
  Fixture f;
  {
    TestConnection c(f.port);
    c.SendRaw(BuildRequest("GET", "/watched/", "", {}));
    f.parked.WaitFor(1);
    REQUIRE(f.LastWatched() != nullptr);
    CHECK_FALSE(f.LastWatched()->load());
  }  // the client closes its socket while the handler still works
  CHECK(BecomesTrue(*f.LastWatched()));
  f.parked.AnswerAll(200, "late");  // answering a gone client is harmless

  TestConnection c(f.port);
  c.SendRaw(BuildRequest("GET", "/watched/", "", {}) + BuildRequest("GET", "/items/1", "", {}));
  f.parked.WaitFor(1);
  auto flag = f.LastWatched();
  f.parked.AnswerAll(200, "done");
  auto first = c.ReadResponse();
  auto second = c.ReadResponse();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->body == "done");
  CHECK(second->body == "{\"id\":\"1\"}");
  CHECK_FALSE(flag->load());
}
