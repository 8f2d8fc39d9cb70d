// Table-style cases of the transformation apps (PostHog's plugins), through the processor.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "hedgerow/ingest/apps.h"
#include "ingest/processor_harness.h"

using namespace hedgerow;
using namespace hedgerow::ingest;
using namespace hedgerow::ingest::testing;

TEST_CASE("apps: a property filter drops matching events only", "[ingest]") {
  Harness h;
  h.AddApp("property_filter", R"({"event":"internal","property":"$host","value":"localhost"})");
  auto rows = h.Run({{R"({"event":"internal","properties":{"$host":"localhost"}})", "u"},
                     {R"({"event":"internal","properties":{"$host":"shop.example"}})", "u"},
                     {R"({"event":"other","properties":{"$host":"localhost"}})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  REQUIRE(e.size() == 2);
  CHECK(e[0]->Json("properties")["$host"].GetString() == std::string("shop.example"));
  CHECK(e[1]->Str("event") == "other");
}

TEST_CASE("apps: the property remover strips PII from properties and person updates", "[ingest]") {
  Harness h;
  h.AddApp("property_remover", R"({"properties":["email","phone"]})");
  auto rows = h.Run({{R"({"event":"signup","properties":{"email":"a@x","plan":"pro","$set":{"email":"a@x","name":"A"}},"$set_once":{"phone":"1"}})", "u"}});
  auto props = Of(rows, "clickhouse_events_json")[0]->Json("properties");
  CHECK_FALSE(props.HasMember("email"));
  CHECK(std::string(props["plan"].GetString()) == "pro");
  CHECK(h.Person("u")->properties == R"({"name":"A"})");
}

TEST_CASE("apps: the renamer moves a property to its new name", "[ingest]") {
  Harness h;
  h.AddApp("property_renamer", R"({"renames":{"userPlan":"plan"}})");
  auto rows = h.Run({{R"({"event":"x","properties":{"userPlan":"pro","plan":"old"}})", "u"}});
  auto props = Of(rows, "clickhouse_events_json")[0]->Json("properties");
  CHECK_FALSE(props.HasMember("userPlan"));
  CHECK(std::string(props["plan"].GetString()) == "pro");
}

TEST_CASE("apps: the taxonomy app renames custom events and leaves PostHog's alone", "[ingest]") {
  Harness snake;
  snake.AddApp("taxonomy", R"({"style":"snake_case"})");
  auto rows = snake.Run({{R"({"event":"Order Placed"})", "u"}, {R"({"event":"userSignedUp"})", "u"}, {R"({"event":"$pageview"})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  CHECK(e[0]->Str("event") == "order_placed");
  CHECK(e[1]->Str("event") == "user_signed_up");
  CHECK(e[2]->Str("event") == "$pageview");
  Harness camel;
  camel.AddApp("taxonomy", R"({"style":"camelCase"})");
  rows = camel.Run({{R"({"event":"order placed"})", "u"}, {R"({"event":"user-signed_up"})", "u"}});
  e = Of(rows, "clickhouse_events_json");
  CHECK(e[0]->Str("event") == "orderPlaced");
  CHECK(e[1]->Str("event") == "userSignedUp");
}

TEST_CASE("apps: first time event flags the first event ever and per user", "[ingest]") {
  Harness h;
  h.AddApp("first_time_event", "{}");
  auto rows = h.Run({{R"({"event":"buy"})", "u1"}, {R"({"event":"buy"})", "u1"}, {R"({"event":"buy"})", "u2"}});
  auto e = Of(rows, "clickhouse_events_json");
  auto flags = [&](int i) {
    auto p = e[i]->Json("properties");
    return std::make_pair(p["is_first_event_ever"].GetBool(), p["is_first_event_for_user"].GetBool());
  };
  CHECK(flags(0) == std::make_pair(true, true));
  CHECK(flags(1) == std::make_pair(false, false));
  CHECK(flags(2) == std::make_pair(false, true));
}

namespace {
// An app that damages the event and then fails, like a plugin that throws half-way.
class FailingApp final : public App {
 public:
  std::string_view kind() const override { return "failing"; }
  Result<AppOutcome> Apply(rapidjson::Document& e, AppEnv&) const override {
    e["event"].SetString("damaged");
    return Status::Internal("boom");
  }
};
// An app that throws, as a bug in one would.
class ThrowingApp final : public App {
 public:
  std::string_view kind() const override { return "throwing"; }
  Result<AppOutcome> Apply(rapidjson::Document&, AppEnv&) const override { throw std::runtime_error("bug"); }
};
}  // namespace

TEST_CASE("apps: an app that throws sends its event to the dead letter queue, and the next goes on", "[ingest]") {
  Harness h;
  h.apps = std::make_shared<AppChain>();
  h.apps->apps.push_back(std::make_unique<ThrowingApp>());
  auto rows = h.Run({{R"({"event":"real"})", "u"}});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].topic == "dead_letter_queue");
  CHECK(rows[0].Str("error_location") == "ingest:apps");
  CHECK(rows[0].Str("error") == "unexpected error: bug");
  CHECK(rows[0].Str("raw_payload").find(R"(\"event\":\"real\")") != std::string::npos);
  h.apps->apps.clear();
  CHECK(Of(h.Run({{R"({"event":"next"})", "u"}}), "clickhouse_events_json").size() == 1);
}

TEST_CASE("apps: a failing app sends the event on unchanged with a warning", "[ingest]") {
  Harness h;
  h.apps = std::make_shared<AppChain>();
  h.apps->apps.push_back(std::make_unique<FailingApp>());
  auto rows = h.Run({{R"({"event":"real"})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  REQUIRE(e.size() == 1);
  CHECK(e[0]->Str("event") == "real");
  auto w = Of(rows, "clickhouse_ingestion_warnings");
  REQUIRE(w.size() == 1);
  CHECK(w[0]->Str("type") == "app_error");
  CHECK(w[0]->Str("details").find("boom") != std::string::npos);
}

TEST_CASE("apps: bad app configurations are refused with a reason", "[ingest]") {
  CHECK(MakeApp("nope", "{}").status().message().rfind("apps: unknown app \"nope\"", 0) == 0);
  CHECK_FALSE(MakeApp("property_filter", "{}").ok());
  CHECK_FALSE(MakeApp("property_remover", R"({"properties":"email"})").ok());
  CHECK_FALSE(MakeApp("taxonomy", R"({"style":"kebab"})").ok());
  CHECK_FALSE(MakeApp("user_agent", "[]").ok());
  // A config is read at every start: one nested past the limit is refused, not parsed.
  std::string deep = R"({"event":"x","property":"p","value":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(MakeApp("property_filter", deep).status().message().find("nests deeper than 128 levels") != std::string::npos);
}

