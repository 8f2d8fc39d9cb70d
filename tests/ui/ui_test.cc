// The web UI's server side on a real server and real sockets: its files, sign-in with the key
// and the admin password, the session cookie standing in for the key (same origin only,
// CSRF token on writes), sign-out, the project settings API and the health endpoint.

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "hedgerow/common/compression.h"
#include "hedgerow/meta/meta_store.h"
#include "hedgerow/server/server.h"
#include "password.h"
#include "support/http_client.h"
#include "support/json_response.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::ClientResponse;
using hedgerow::testing::HttpRequest;
using hedgerow::testing::Json;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr const char* kKey = "phx_ui_test_key";
constexpr const char* kToken = "phc_ui_test";

constexpr const char* kKeyTwo = "phx_ui_test_key_of_project_2";

struct Fixture {
  // `second_project`: project 2 exists too, with the key kKeyTwo.
  explicit Fixture(bool second_project = false) {
    if (second_project) {
      std::filesystem::create_directories(dir.File("data"));
      auto meta = meta::MetaStore::Open(dir.File("data") + "/meta.sqlite");
      REQUIRE(meta.ok());
      REQUIRE((*meta)->Bootstrap(kToken, kKey).ok());
      REQUIRE((*meta)->CreateProject("Second", "phc_ui_test_two").ok());
      REQUIRE((*meta)->AddPersonalApiKey(kKeyTwo, 2).ok());
    }
    server::ServerOptions options;
    options.data_dir = dir.File("data");
    options.project_token = kToken;
    options.personal_api_key = kKey;
    options.api.listen = {"127.0.0.1", 0};
    auto s = server::Server::Start(options);
    REQUIRE(s.ok());
    server = std::move(s).value();
  }
  ClientResponse Call(std::string_view method, std::string_view target, std::string_view body = {}, Headers headers = {}) {
    auto r = HttpRequest(server->api_port(), method, target, body, headers);
    REQUIRE(r);
    return *r;
  }
  testing::TempDir dir;
  std::unique_ptr<server::Server> server;
};

// A signed-in browser: the cookie and the CSRF token its sign-in gave.
struct Browser {
  std::string cookie;
  std::string csrf;
  Headers Reading() const { return {{"Cookie", "hedgerow_session=" + cookie}}; }
  Headers Writing() const {
    return {{"Cookie", "hedgerow_session=" + cookie}, {"X-CSRF-Token", csrf}, {"Origin", "http://127.0.0.1"},
            {"Content-Type", "application/json"}};
  }
};

Browser SignedIn(const ClientResponse& r, int64_t project = 1) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::string set_cookie = r.Header("set-cookie");
  CHECK(set_cookie.find("HttpOnly") != std::string::npos);
  CHECK(set_cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(set_cookie.find("Path=/") != std::string::npos);
  const std::string prefix = "hedgerow_session=";
  REQUIRE(set_cookie.starts_with(prefix));
  rapidjson::Document doc = Json(r);
  CHECK(doc["signed_in"].GetBool());
  CHECK(doc["project"]["id"].GetInt64() == project);
  return {set_cookie.substr(prefix.size(), set_cookie.find(';') - prefix.size()), doc["csrf_token"].GetString()};
}

const std::string kQuery = R"({"query":{"kind":"HogQLQuery","query":"SELECT 1 + 1"}})";

}  // namespace

TEST_CASE("ui: passwords hash to PBKDF2-HMAC-SHA256 in Django's format and verify", "[ui]") {
  // Vectors from Python's hashlib.pbkdf2_hmac('sha256', password, salt, iterations), base64.
  CHECK(ui::VerifyPassword("correct horse battery",
                           "pbkdf2_sha256$1000$NaClNaClNaClNaClNaCl12$NaB2QKiz4tvbXh1X5gv74m+jk2PPD79M98/wwJdFEUQ="));
  CHECK(ui::VerifyPassword("p\xC3\xA4ssw\xC3\xB6rd", "pbkdf2_sha256$1$seasalt$jNnVD2qREQKzQKUoAua/qgpUw74vgUawI5qm0kj3R84="));
  CHECK_FALSE(ui::VerifyPassword("correct horse batterY",
                                 "pbkdf2_sha256$1000$NaClNaClNaClNaClNaCl12$NaB2QKiz4tvbXh1X5gv74m+jk2PPD79M98/wwJdFEUQ="));

  std::string hash = *ui::HashPassword("hunter22hunter22", 2000);
  CHECK(hash.starts_with("pbkdf2_sha256$2000$"));
  CHECK(ui::VerifyPassword("hunter22hunter22", hash));
  CHECK_FALSE(ui::VerifyPassword("hunter22hunter2", hash));
  CHECK(*ui::HashPassword("hunter22hunter22", 2000) != hash);  // a new salt each time
  CHECK_FALSE(ui::HashPassword("x", 0).ok());

  for (std::string_view bad : {"", "$", "$$$", "pbkdf2_sha256$$$", "pbkdf2_sha1$1000$salt$x", "pbkdf2_sha256$0$s$x",
                               "pbkdf2_sha256$-5$s$x", "pbkdf2_sha256$99999999999$s$x", "pbkdf2_sha256$10000001$s$x",
                               "pbkdf2_sha256$1e3$s$x", "pbkdf2_sha256$1000$salt"}) {
    INFO(bad);
    CHECK_FALSE(ui::VerifyPassword("", bad));
    CHECK_FALSE(ui::VerifyPassword("x", bad));
  }
  // Random and truncated stored values never verify and never crash.
  std::mt19937 rng(7);
  const std::string alphabet = "pbkdf2_sha256$0123456789abcXYZ+/=";
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 40, ' ');
    for (char& c : junk) c = alphabet[rng() % alphabet.size()];
    CHECK_FALSE(ui::VerifyPassword("x", junk));
    CHECK_FALSE(ui::VerifyPassword("hunter22hunter22", hash.substr(0, rng() % hash.size())));
  }
}

TEST_CASE("ui: the pages and files are served from the binary, with caching and gzip", "[ui]") {
  Fixture f;
  ClientResponse page = f.Call("GET", "/");
  REQUIRE(page.status == 200);
  CHECK(page.Header("content-type") == "text/html; charset=utf-8");
  CHECK(page.Header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.Header("x-frame-options") == "DENY");
  CHECK(page.body.find("/ui/assets/app.js") != std::string::npos);
  for (std::string_view path : {"/ui/events", "/ui/persons", "/ui/persons/0188f0c4-7a4c-7000-8000-000000000000",
                                "/ui/sql", "/ui/trends", "/ui/funnels", "/ui/flags", "/ui/settings", "/ui/health",
                                "/ui/login"}) {
    INFO(path);
    ClientResponse r = f.Call("GET", path);
    CHECK(r.status == 200);
    CHECK(r.body == page.body);
  }
  CHECK(f.Call("GET", "/ui/nope").status == 404);
  CHECK(f.Call("GET", "/ui/assets/nope.js").status == 404);
  CHECK(f.Call("GET", "/ui/assets/index.html").status == 404);

  for (std::string_view name : {"app.js", "pages.js", "admin.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css"}) {
    INFO(name);
    std::string path = fmt::format("/ui/assets/{}", name);
    ClientResponse plain = f.Call("GET", path);
    REQUIRE(plain.status == 200);
    CHECK(plain.Header("content-type").starts_with(name.ends_with(".js") ? "text/javascript" : "text/css"));
    CHECK(plain.Header("content-encoding").empty());
    ClientResponse gzipped = f.Call("GET", path, {}, {{"Accept-Encoding", "gzip, deflate"}});
    REQUIRE(gzipped.status == 200);
    CHECK(gzipped.Header("content-encoding") == "gzip");
    CHECK(gzipped.body.size() < plain.body.size());
    auto unzipped = GunzipLimited(gzipped.body, 1 << 20);
    REQUIRE(unzipped.ok());
    CHECK(*unzipped == plain.body);
    std::string etag = plain.Header("etag");
    REQUIRE(etag.size() > 2);
    ClientResponse again = f.Call("GET", path, {}, {{"If-None-Match", etag}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());
  }
}

TEST_CASE("ui: the personal API key signs in; the cookie then reads the APIs from the same origin only", "[ui]") {
  Fixture f;
  rapidjson::Document state = Json(f.Call("GET", "/ui/api/session"));
  CHECK_FALSE(state["signed_in"].GetBool());
  CHECK_FALSE(state["admin_password_set"].GetBool());

  ClientResponse wrong = f.Call("POST", "/ui/api/login", R"({"personal_api_key":"phx_wrong"})");
  CHECK(wrong.status == 401);
  CHECK(wrong.Header("set-cookie").empty());
  CHECK(f.Call("POST", "/ui/api/login", R"({"personal_api_key":")" + std::string(kKey) + "\"}",
               {{"Origin", "http://evil.example"}}).status == 403);
  CHECK(f.Call("POST", "/ui/api/login", "[1]").status == 400);
  CHECK(f.Call("POST", "/ui/api/login", std::string(200, '[')).status == 400);

  Browser b = SignedIn(f.Call("POST", "/ui/api/login", R"({"personal_api_key":")" + std::string(kKey) + "\"}"));
  rapidjson::Document again = Json(f.Call("GET", "/ui/api/session", {}, b.Reading()));
  CHECK(again["signed_in"].GetBool());
  CHECK(std::string(again["csrf_token"].GetString()) == b.csrf);

  SECTION("reads need the cookie only; writes its CSRF token too") {
    CHECK(f.Call("GET", "/api/projects/1/", {}, b.Reading()).status == 200);
    CHECK(f.Call("GET", "/api/projects/@current/feature_flags/", {}, b.Reading()).status == 200);
    CHECK(f.Call("GET", "/api/projects/1/", {}, {}).status == 401);
    CHECK(f.Call("GET", "/api/projects/1/", {}, {{"Cookie", "hedgerow_session=" + b.cookie + "0"}}).status == 401);
    CHECK(f.Call("POST", "/api/projects/1/query/", kQuery, b.Reading()).status == 403);
    Headers wrong_token = b.Writing();
    wrong_token[1].second[0] ^= 1;
    CHECK(f.Call("POST", "/api/projects/1/query/", kQuery, wrong_token).status == 403);
    ClientResponse ran = f.Call("POST", "/api/projects/1/query/", kQuery, b.Writing());
    INFO(ran.body);
    CHECK(ran.status == 200);
    CHECK(Json(ran)["results"][0][0].GetInt() == 2);
    CHECK(f.Call("GET", "/api/projects/2/", {}, b.Reading()).status == 404);
  }
  SECTION("another origin cannot use the cookie, even for reads (the capture routes echo origins for the SDKs)") {
    Headers cross = b.Writing();
    cross[2].second = "http://localhost:3000";
    ClientResponse r = f.Call("POST", "/api/projects/1/query/", kQuery, cross);
    CHECK(r.status == 403);
    CHECK(r.body.find("own pages") != std::string::npos);
    Headers cross_read = b.Reading();
    cross_read.emplace_back("Origin", "http://localhost:3000");
    CHECK(f.Call("GET", "/api/projects/1/", {}, cross_read).status == 403);
    CHECK_FALSE(Json(f.Call("GET", "/ui/api/session", {}, cross_read))["signed_in"].GetBool());
    CHECK(f.Call("GET", "/ui/api/health", {}, cross_read).status == 403);
  }
  SECTION("the health endpoint reports the consumers and tables") {
    CHECK(f.Call("GET", "/ui/api/health").status == 401);
    rapidjson::Document health = Json(f.Call("GET", "/ui/api/health", {}, b.Reading()));
    bool events_table = false, events_consumer = false;
    for (const auto& t : health["tables"].GetArray()) events_table |= std::string(t["table"].GetString()) == "events";
    for (const auto& c : health["consumers"].GetArray()) {
      events_consumer |= std::string(c["topic"].GetString()) == "clickhouse_events_json" && c["lag"].GetUint64() == 0;
    }
    CHECK(events_table);
    CHECK(events_consumer);
  }
  SECTION("signing out ends the session") {
    CHECK(f.Call("POST", "/ui/api/logout", "", b.Reading()).status == 403);  // no CSRF token
    ClientResponse out = f.Call("POST", "/ui/api/logout", "", b.Writing());
    CHECK(out.status == 200);
    CHECK(out.Header("set-cookie").find("Max-Age=0") != std::string::npos);
    CHECK(f.Call("GET", "/api/projects/1/", {}, b.Reading()).status == 401);
    CHECK_FALSE(Json(f.Call("GET", "/ui/api/session", {}, b.Reading()))["signed_in"].GetBool());
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("ui: the first admin password needs the setup code from the data dir; then sign-in, brake, change", "[ui]") {
  Fixture f;
  const std::string code_file = f.dir.File("data") + "/ui-setup-code";
  std::string code = ReadFile(code_file);
  REQUIRE(code.size() == 25);
  code.pop_back();  // the newline
  CHECK((std::filesystem::status(code_file).permissions() & std::filesystem::perms::group_read) ==
        std::filesystem::perms::none);
  rapidjson::Document state = Json(f.Call("GET", "/ui/api/session"));
  CHECK(std::string(state["setup_code_file"].GetString()) == code_file);

  const std::string first = R"({"password":"first-run-password"})";
  CHECK(f.Call("POST", "/ui/api/login", first).status == 401);  // none set yet
  auto with_code = [](std::string_view password, std::string_view setup_code) {
    return fmt::format(R"({{"password":"{}","setup_code":"{}"}})", password, setup_code);
  };
  // No code, a wrong one, another site: refused, whoever the peer is (a loopback address
  // proves nothing behind a proxy or through DNS rebinding).
  CHECK(f.Call("POST", "/ui/api/admin_password", first).status == 403);
  std::string wrong = code;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  CHECK(f.Call("POST", "/ui/api/admin_password", with_code("first-run-password", wrong)).status == 403);
  CHECK(f.Call("POST", "/ui/api/admin_password", with_code("first-run-password", code),
               {{"Origin", "http://rebound.example"}}).status == 403);
  CHECK(f.Call("POST", "/ui/api/admin_password", with_code("short", code)).status == 400);
  CHECK(f.Call("POST", "/ui/api/admin_password", with_code(std::string(2000, 'x'), code)).status == 400);
  // A stale cookie (of a wiped data dir) or a proxy's Basic credentials do not stand in the way.
  Browser b = SignedIn(f.Call("POST", "/ui/api/admin_password", with_code("first-run-password", code),
                              {{"Cookie", "hedgerow_session=0123"}, {"Authorization", "Basic eDp5"}}));
  CHECK_FALSE(std::filesystem::exists(code_file));
  state = Json(f.Call("GET", "/ui/api/session"));
  CHECK(state["admin_password_set"].GetBool());
  CHECK(state["setup_code_file"].IsNull());
  CHECK(f.Call("POST", "/ui/api/admin_password", with_code("someone-elses-password", code)).status == 409);

  SignedIn(f.Call("POST", "/ui/api/login", first));
  // A wrong password makes this address wait (0.5 s, doubling) before its next try.
  CHECK(f.Call("POST", "/ui/api/login", R"({"password":"first-run-passwor"})").status == 401);
  ClientResponse braked = f.Call("POST", "/ui/api/login", first);
  CHECK(braked.status == 429);
  CHECK(braked.body.find("wrong passwords") != std::string::npos);
  ClientResponse later;
  for (int i = 0; i < 100; ++i) {  // the wait is 0.5 s: poll for its end, up to 10 s
    later = f.Call("POST", "/ui/api/login", first);
    if (later.status != 429) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Browser other = SignedIn(later);

  CHECK(f.Call("POST", "/ui/api/admin_password", R"({"password":"changed-password"})", b.Reading()).status == 403);
  CHECK(f.Call("POST", "/ui/api/admin_password", R"({"password":"changed-password"})", b.Writing()).status == 200);
  // The change ends project 1's other sessions, not the one that made it.
  CHECK(f.Call("GET", "/api/projects/1/", {}, other.Reading()).status == 401);
  CHECK(f.Call("GET", "/api/projects/1/", {}, b.Reading()).status == 200);
  CHECK(f.Call("POST", "/ui/api/login", first).status == 401);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the brake of that wrong one
  SignedIn(f.Call("POST", "/ui/api/login", R"({"password":"changed-password"})"));
}

TEST_CASE("ui: only project 1's key or sessions may change the admin password", "[ui]") {
  Fixture f(true);
  Headers two{{"Authorization", std::string("Bearer ") + kKeyTwo}, {"Content-Type", "application/json"}};
  ClientResponse refused = f.Call("POST", "/ui/api/admin_password", R"({"password":"set-by-the-key"})", two);
  CHECK(refused.status == 403);
  CHECK(refused.body.find("project 1") != std::string::npos);
  Browser b2 = SignedIn(f.Call("POST", "/ui/api/login", fmt::format(R"({{"personal_api_key":"{}"}})", kKeyTwo)), 2);
  CHECK(f.Call("POST", "/ui/api/admin_password", R"({"password":"set-by-the-key"})", b2.Writing()).status == 403);
  CHECK(f.Call("POST", "/ui/api/login", R"({"password":"set-by-the-key"})").status == 401);  // still none

  Headers key{{"Authorization", std::string("Bearer ") + kKey}, {"Content-Type", "application/json"}};
  CHECK(f.Call("POST", "/ui/api/admin_password", R"({"password":"set-by-the-key"})", key).status == 200);
  SignedIn(f.Call("POST", "/ui/api/login", R"({"password":"set-by-the-key"})"));
}

TEST_CASE("ui: the project settings API reads and changes IP anonymization and apps", "[ui][api]") {
  Fixture f;
  Headers key{{"Authorization", std::string("Bearer ") + kKey}, {"Content-Type", "application/json"}};
  rapidjson::Document project = Json(f.Call("GET", "/api/projects/1/", {}, key));
  CHECK(std::string(project["api_token"].GetString()) == kToken);
  CHECK_FALSE(project["anonymize_ips"].GetBool());
  REQUIRE(project["apps"].IsArray());

  CHECK(f.Call("PATCH", "/api/projects/1/", R"({"anonymize_ips":"yes"})", key).status == 400);
  ClientResponse bad_app = f.Call("PATCH", "/api/projects/1/", R"({"anonymize_ips":true,"apps":[{"kind":"no_such_app"}]})", key);
  CHECK(bad_app.status == 400);
  CHECK(bad_app.body.find("no_such_app") != std::string::npos);
  CHECK_FALSE(Json(f.Call("GET", "/api/projects/1/", {}, key))["anonymize_ips"].GetBool());  // nothing changed

  rapidjson::Document changed = Json(f.Call(
      "PATCH", "/api/projects/1/",
      R"({"anonymize_ips":true,"apps":[{"kind":"property_remover","config":{"properties":["secret"]}}]})", key));
  CHECK(changed["anonymize_ips"].GetBool());
  REQUIRE(changed["apps"].Size() == 1);
  CHECK(std::string(changed["apps"][0]["kind"].GetString()) == "property_remover");
  CHECK(std::string(changed["apps"][0]["config"]["properties"][0].GetString()) == "secret");
  CHECK(f.Call("GET", "/api/projects/1/", {}, {}).status == 401);
  CHECK(f.Call("GET", "/api/projects/7/", {}, key).status == 404);
}

TEST_CASE("ui: random and truncated cookies, encodings, ETags and bodies never get a 5xx", "[ui]") {
  Fixture f;
  Browser b = SignedIn(f.Call("POST", "/ui/api/login", fmt::format(R"({{"personal_api_key":"{}"}})", kKey)));
  std::mt19937 rng(11);
  const std::string alphabet = "hedgrow_sin=;, \"W/*q0.1gzip{}[]:\\abc";
  auto junk = [&](size_t max) {
    std::string s(rng() % max, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  const std::string cookie = "hedgerow_session=" + b.cookie;
  for (int i = 0; i < 300; ++i) {
    Headers headers{{"Cookie", i % 3 == 0 ? cookie.substr(0, rng() % cookie.size()) : junk(80)},
                    {"Accept-Encoding", junk(40)},
                    {"If-None-Match", junk(40)},
                    {"X-CSRF-Token", i % 2 ? b.csrf.substr(0, rng() % b.csrf.size()) : junk(70)}};
    for (auto [method, path] : {std::pair{"GET", "/ui/assets/app.js"}, std::pair{"GET", "/ui/api/session"},
                                std::pair{"POST", "/ui/api/login"}, std::pair{"POST", "/ui/api/logout"},
                                std::pair{"POST", "/ui/api/admin_password"}, std::pair{"GET", "/ui/api/health"},
                                std::pair{"PATCH", "/api/projects/1/"}}) {
      std::string body = i % 4 == 0 ? R"({"password":"x)" : junk(60);
      ClientResponse r = f.Call(method, path, body, headers);
      INFO(method << " " << path << " " << body);
      CHECK(r.status < 500);
    }
  }
  // The session itself still works.
  CHECK(f.Call("GET", "/api/projects/1/", {}, b.Reading()).status == 200);
}
