// /flags, /decide, the definitions and the flag management API as SDKs and users call them:
// a real server, real sockets, flags created through the API.

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <random>

#include "hedgerow/common/base64.h"
#include "hedgerow/common/compression.h"
#include "hedgerow/server/server.h"
#include "support/http_client.h"
#include "support/json_response.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::ClientResponse;
using hedgerow::testing::HttpRequest;
using hedgerow::testing::Json;

namespace {

constexpr const char* kKey = "phx_flags_api_key";
constexpr const char* kToken = "phc_flags_api";

struct Fixture {
  // `geoip`: with the GeoLite2 database, and the client named by X-Forwarded-For (the tests'
  // connections come from 127.0.0.1, a trusted proxy then).
  explicit Fixture(bool geoip = false) {
    server::ServerOptions options;
    options.data_dir = dir.File("data");
    options.project_token = kToken;
    options.personal_api_key = kKey;
    options.api.listen = {"127.0.0.1", 0};
    if (geoip) {
      options.geoip_database = HEDGEROW_GEOIP_DATABASE;
      options.capture.trusted_proxies = {"127.0.0.1"};
    }
    auto s = server::Server::Start(options);
    REQUIRE(s.ok());
    server = std::move(s).value();
  }
  ClientResponse Call(std::string_view method, std::string_view target, std::string_view body = {},
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto r = HttpRequest(server->api_port(), method, target, body, headers);
    REQUIRE(r);
    return *r;
  }
  ClientResponse Api(std::string_view method, std::string_view target, std::string_view body = {},
                     std::string key = kKey) {
    return Call(method, target, body, {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  }
  int64_t CreateFlag(std::string_view json) {
    ClientResponse r = Api("POST", "/api/projects/1/feature_flags/", json);
    INFO(r.body);
    REQUIRE(r.status == 201);
    rapidjson::Document doc;
    doc.Parse(r.body.data(), r.body.size());
    return doc["id"].GetInt64();
  }
  testing::TempDir dir;
  std::unique_ptr<server::Server> server;
};

std::string FlagsBody(std::string_view distinct_id, std::string_view extra = "") {
  return fmt::format(R"({{"token":"{}","distinct_id":"{}"{}}})", kToken, distinct_id, extra);
}

}  // namespace

TEST_CASE("flags api: /flags?v=2 gives the worked examples' answers with reasons and payloads", "[api][flags]") {
  Fixture f;
  f.CreateFlag(R"({"key":"beta-feature","filters":{"groups":[{"properties":[],"rollout_percentage":50}],"payloads":{"true":"{\"color\": \"blue\"}"}}})");
  f.CreateFlag(R"({"key":"checkout-test","filters":{"groups":[{"properties":[],"rollout_percentage":100}],
                   "multivariate":{"variants":[{"key":"control","rollout_percentage":50},{"key":"test","rollout_percentage":50}]}}})");
  f.CreateFlag(R"({"key":"multivariate-flag","filters":{"groups":[
                   {"properties":[{"key":"email","type":"person","operator":"icontains","value":"@corp.com"}],"rollout_percentage":100},
                   {"properties":[],"rollout_percentage":90}],
                   "multivariate":{"variants":[{"key":"first","rollout_percentage":33},{"key":"second","rollout_percentage":33},{"key":"third","rollout_percentage":34}]}}})");

  rapidjson::Document r = Json(f.Call("POST", "/flags/?v=2", FlagsBody("user_1")));
  const rapidjson::Value& beta = r["flags"]["beta-feature"];
  CHECK(beta["enabled"].GetBool());
  CHECK(beta["variant"].IsNull());
  CHECK(std::string(beta["reason"]["code"].GetString()) == "condition_match");
  CHECK(beta["reason"]["condition_index"].GetInt() == 0);
  CHECK(std::string(beta["metadata"]["payload"].GetString()) == R"({"color": "blue"})");
  CHECK(beta["metadata"]["version"].GetInt() == 1);
  CHECK(!r["errorsWhileComputingFlags"].GetBool());
  CHECK(r["requestId"].IsString());
  CHECK(!r.HasMember("supportedCompression"));  // v=2 without config=true

  r = Json(f.Call("POST", "/flags/?v=2", FlagsBody("distinct_id_42")));
  CHECK(std::string(r["flags"]["checkout-test"]["variant"].GetString()) == "test");

  // Example 4: condition 0 fails on the property, condition 1's rollout 90 fails on the hash.
  r = Json(f.Call("POST", "/flags/?v=2", FlagsBody("test_id", R"(,"person_properties":{"email":"a@other.com"})")));
  const rapidjson::Value& mv = r["flags"]["multivariate-flag"];
  CHECK(!mv["enabled"].GetBool());
  CHECK(std::string(mv["reason"]["code"].GetString()) == "out_of_rollout_bound");
  CHECK(mv["reason"]["condition_index"].GetInt() == 1);
  r = Json(f.Call("POST", "/flags/?v=2", FlagsBody("test_id", R"(,"person_properties":{"email":"x@corp.com"})")));
  CHECK(std::string(r["flags"]["multivariate-flag"]["variant"].GetString()) == "second");
  CHECK(r["flags"]["multivariate-flag"]["reason"]["condition_index"].GetInt() == 0);
}

TEST_CASE("flags api: every body form posthog-js sends, and every response version", "[api][flags]") {
  Fixture f;
  f.CreateFlag(R"({"key":"on","filters":{"groups":[{"rollout_percentage":100}],"payloads":{"true":"7"}}})");
  f.CreateFlag(R"({"key":"off","filters":{"groups":[{"rollout_percentage":0}]}})");
  const std::string body = FlagsBody("someone");

  // posthog-js: a form with base64 JSON in data=, compression=base64.
  ClientResponse form = f.Call("POST", "/flags/?v=2&compression=base64", "data=" + Base64Encode(body),
                               {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(Json(form)["flags"]["on"]["enabled"].GetBool());
  ClientResponse gzipped = f.Call("POST", "/flags/?v=2", Gzip(body), {{"Content-Encoding", "gzip"}});
  CHECK(Json(gzipped)["flags"]["on"]["enabled"].GetBool());
  ClientResponse magic = f.Call("POST", "/flags/?v=2", Gzip(body), {{"Content-Type", "text/plain"}});
  CHECK(Json(magic)["flags"]["on"]["enabled"].GetBool());

  rapidjson::Document legacy = Json(f.Call("POST", "/decide/?v=3", body));
  CHECK(legacy["featureFlags"]["on"].GetBool());
  CHECK(!legacy["featureFlags"]["off"].GetBool());
  CHECK(std::string(legacy["featureFlagPayloads"]["on"].GetString()) == "7");
  CHECK(legacy["supportedCompression"].IsArray());  // /decide always carries the config
  CHECK(legacy["hasFeatureFlags"].GetBool());
  rapidjson::Document v4 = Json(f.Call("POST", "/decide/?v=4", body));
  CHECK(v4["flags"]["on"]["enabled"].GetBool());
  rapidjson::Document v2 = Json(f.Call("POST", "/decide/?v=2", body));
  CHECK(v2["featureFlags"]["on"].GetBool());
  CHECK(!v2["featureFlags"].HasMember("off"));
  rapidjson::Document v1 = Json(f.Call("POST", "/decide/", body));
  REQUIRE(v1["featureFlags"].IsArray());
  CHECK(v1["featureFlags"].Size() == 1);
  rapidjson::Document bare = Json(f.Call("POST", "/flags/", body));  // neither v nor config: v2 with config
  CHECK(bare["flags"]["on"]["enabled"].GetBool());
  CHECK(bare["analytics"]["endpoint"].IsString());
  rapidjson::Document only = Json(f.Call("POST", "/flags/?v=2", FlagsBody("someone", R"(,"flag_keys":["off"])")));
  CHECK(only["flags"].MemberCount() == 1);
  rapidjson::Document disabled = Json(f.Call("POST", "/flags/?v=2", FlagsBody("someone", R"(,"disable_flags":true)")));
  CHECK(disabled["flags"].MemberCount() == 0);
  CHECK(f.Call("GET", "/flags/").status == 200);
  CHECK(f.Call("HEAD", "/flags/").status == 200);
}

TEST_CASE("flags api: the remote config says whether the project has active flags", "[api][flags]") {
  Fixture f;
  auto has_flags = [&] {
    return Json(f.Call("GET", fmt::format("/array/{}/config", kToken)))["hasFeatureFlags"].GetBool();
  };
  CHECK(!has_flags());
  int64_t id = f.CreateFlag(R"({"key":"x"})");
  CHECK(has_flags());
  CHECK(f.Api("PATCH", fmt::format("/api/projects/1/feature_flags/{}/", id), R"({"active":false})").status == 200);
  CHECK(!has_flags());
}

TEST_CASE("flags api: bad requests get PostHog's errors, never a 5xx", "[api][flags]") {
  Fixture f;
  f.CreateFlag(R"({"key":"re","filters":{"groups":[{"properties":[{"key":"email","operator":"regex","value":"(unclosed"}]}]}})");
  ClientResponse r = f.Call("POST", "/flags/?v=2", R"({"distinct_id":"a"})");
  CHECK(r.status == 401);
  r = f.Call("POST", "/flags/?v=2", R"({"token":"phc_nobody","distinct_id":"a"})");
  CHECK(r.status == 401);
  CHECK(std::string(Json(r)["code"].GetString()) == "invalid_api_key");
  CHECK(f.Call("POST", "/flags/?v=2", fmt::format(R"({{"token":"{}"}})", kToken)).status == 400);
  CHECK(f.Call("POST", "/flags/?v=2", "{not json").status == 400);
  CHECK(f.Call("POST", "/flags/?v=2", std::string(200, '[')).status == 400);
  rapidjson::Document ok = Json(f.Call("POST", "/flags/?v=2", FlagsBody("u", R"(,"person_properties":{"email":"x"})")));
  CHECK(!ok["flags"]["re"]["enabled"].GetBool());  // an invalid regex matches nothing

  const std::string seed = FlagsBody("fuzz", R"(,"groups":{"company":"acme"},"person_properties":{"a":[1,{"b":null}]},"flag_keys":["re"])");
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) {
    std::string body = seed.substr(0, 1 + rng() % seed.size());
    for (int k = 0; k < 2; ++k) body[rng() % body.size()] = static_cast<char>(rng() % 256);
    ClientResponse fuzzed = f.Call("POST", i % 2 ? "/flags/?v=2" : "/decide/?v=3", body);
    INFO(body);
    CHECK(fuzzed.status < 500);
  }
  CHECK(f.Call("POST", "/flags/?v=2", FlagsBody("after")).status == 200);  // still serving
}

TEST_CASE("flags api: management API and local evaluation definitions", "[api][flags]") {
  Fixture f;
  int64_t id = f.CreateFlag(R"({"key":"alpha","name":"Alpha","filters":{"groups":[{"rollout_percentage":30}]}})");
  ClientResponse dup = f.Api("POST", "/api/projects/1/feature_flags/", R"({"key":"alpha"})");
  CHECK(dup.status == 400);
  CHECK(std::string(Json(dup)["code"].GetString()) == "unique");
  ClientResponse bad = f.Api("POST", "/api/projects/1/feature_flags/", R"({"key":"b","filters":{"groups":[{"rollout_percentage":300}]}})");
  CHECK(bad.status == 400);
  CHECK(std::string(Json(bad)["attr"].GetString()) == "filters");
  CHECK(f.Api("GET", "/api/projects/1/feature_flags/", "", "phx_nope").status == 401);
  CHECK(f.Api("GET", "/api/projects/9/feature_flags/").status == 404);
  CHECK(f.Api("GET", "/api/projects/1/feature_flags/999/").status == 404);

  rapidjson::Document one = Json(f.Api("GET", fmt::format("/api/projects/@current/feature_flags/{}/", id)));
  CHECK(std::string(one["name"].GetString()) == "Alpha");
  CHECK(one["is_simple_flag"].GetBool());
  CHECK(one["rollout_percentage"].GetDouble() == 30);
  rapidjson::Document patched = Json(f.Api("PATCH", fmt::format("/api/projects/1/feature_flags/{}/", id), R"({"name":"A2"})"));
  CHECK(patched["version"].GetInt() == 2);

  auto definitions = [&](std::string etag = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"Authorization", std::string("Bearer ") + kKey}};
    if (!etag.empty()) headers.emplace_back("If-None-Match", etag);
    return f.Call("GET", fmt::format("/flags/definitions?token={}&send_cohorts", kToken), "", headers);
  };
  ClientResponse defs = definitions();
  REQUIRE(defs.status == 200);
  CHECK(Json(defs)["flags"].Size() == 1);
  CHECK(Json(defs)["group_type_mapping"].IsObject());
  const std::string etag = defs.Header("etag");
  CHECK(definitions(etag).status == 304);
  CHECK(f.Call("GET", fmt::format("/api/feature_flag/local_evaluation?token={}", kToken)).status == 401);
  CHECK(f.Call("GET", "/flags/definitions?token=phc_other", "", {{"Authorization", std::string("Bearer ") + kKey}}).status == 403);

  CHECK(f.Api("DELETE", fmt::format("/api/projects/1/feature_flags/{}/", id)).status == 204);
  ClientResponse after = definitions(etag);
  REQUIRE(after.status == 200);  // changed: the deleted flag is gone
  CHECK(Json(after)["flags"].Size() == 0);
  CHECK(Json(f.Call("POST", "/flags/?v=2", FlagsBody("u")))["flags"].MemberCount() == 0);
  f.CreateFlag(R"({"key":"alpha"})");  // the key of a deleted flag is free again
}

TEST_CASE("flags api: cohorts through the API decide cohort conditions", "[api][flags]") {
  Fixture f;
  ClientResponse c = f.Api("POST", "/api/projects/1/cohorts/",
                           R"({"name":"corp","filters":{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"email","type":"person","operator":"icontains","value":"@corp.com"}]}]}}})");
  REQUIRE(c.status == 201);
  int64_t cohort = Json(c)["id"].GetInt64();
  f.CreateFlag(fmt::format(R"({{"key":"corp","filters":{{"groups":[{{"properties":[{{"key":"id","type":"cohort","value":{}}}]}}]}}}})", cohort));
  f.CreateFlag(R"({"key":"ghost-cohort","filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":999}]}]}})");
  rapidjson::Document in = Json(f.Call("POST", "/flags/?v=2", FlagsBody("u", R"(,"person_properties":{"email":"a@corp.com"})")));
  CHECK(in["flags"]["corp"]["enabled"].GetBool());
  CHECK(in["flags"]["ghost-cohort"]["failed"].GetBool());
  CHECK(in["errorsWhileComputingFlags"].GetBool());
  rapidjson::Document out = Json(f.Call("POST", "/flags/?v=2", FlagsBody("u", R"(,"person_properties":{"email":"a@b.com"})")));
  CHECK(!out["flags"]["corp"]["enabled"].GetBool());
  rapidjson::Document defs = Json(f.Call("GET", fmt::format("/flags/definitions?token={}", kToken), "",
                                         {{"Authorization", std::string("Bearer ") + kKey}}));
  CHECK(defs["cohorts"][std::to_string(cohort).c_str()]["type"] == "OR");
}

TEST_CASE("flags api: GeoIP person properties of the client's address, under the request's own", "[api][flags]") {
  Fixture f(true);
  f.CreateFlag(R"({"key":"uk-only","filters":{"groups":[{"properties":[{"key":"$geoip_country_code","type":"person","operator":"exact","value":["GB"]}],"rollout_percentage":100}]}})");
  f.CreateFlag(R"({"key":"minneapolis","filters":{"groups":[{"properties":[{"key":"$geoip_city_name","type":"person","operator":"exact","value":["Minneapolis"]}],"rollout_percentage":100}]}})");
  auto flags = [&](std::string_view ip, std::string_view extra = "") {
    return Json(f.Call("POST", "/flags/?v=2", FlagsBody("geo_user", extra),
                       {{"Content-Type", "application/json"}, {"X-Forwarded-For", std::string(ip)}}));
  };
  rapidjson::Document r = flags("81.2.69.142");
  CHECK(r["flags"]["uk-only"]["enabled"].GetBool());
  CHECK_FALSE(r["flags"]["minneapolis"]["enabled"].GetBool());
  r = flags("128.101.101.101, 10.0.0.1");
  CHECK_FALSE(r["flags"]["uk-only"]["enabled"].GetBool());
  CHECK(r["flags"]["minneapolis"]["enabled"].GetBool());
  // The request's own value wins; a null one is filled.
  r = flags("81.2.69.142", R"(,"person_properties":{"$geoip_country_code":"US"})");
  CHECK_FALSE(r["flags"]["uk-only"]["enabled"].GetBool());
  r = flags("81.2.69.142", R"(,"person_properties":{"$geoip_country_code":null})");
  CHECK(r["flags"]["uk-only"]["enabled"].GetBool());
  // posthog-node sends geoip_disable: true; unknown and private addresses add nothing.
  r = flags("81.2.69.142", R"(,"geoip_disable":true)");
  CHECK_FALSE(r["flags"]["uk-only"]["enabled"].GetBool());
  for (std::string_view ip : {"10.1.2.3", "127.0.0.1", "not-an-ip"}) {
    INFO(ip);
    r = flags(ip);
    CHECK_FALSE(r["flags"]["uk-only"]["enabled"].GetBool());
    CHECK_FALSE(r["errorsWhileComputingFlags"].GetBool());
  }
}
