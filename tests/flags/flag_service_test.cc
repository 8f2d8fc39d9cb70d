// FlagService over a real meta.sqlite and persons.sqlite: stored properties, groups, static
// cohorts, experience continuity and the definitions cache.
#include "hedgerow/flags/flag_service.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "support/temp_dir.h"

namespace hedgerow::flags {
namespace {

using hedgerow::testing::TempDir;

struct Stores {
  TempDir dir;
  std::unique_ptr<meta::MetaStore> meta;
  std::unique_ptr<persons::PersonStore> persons;
  persons::Person person;

  Stores() {
    auto m = meta::MetaStore::Open(dir.File("meta.sqlite"));
    REQUIRE(m.ok());
    meta = std::move(*m);
    REQUIRE(meta->Bootstrap("phc_test", "").ok());
    auto p = persons::PersonStore::Open(dir.File("persons.sqlite"));
    REQUIRE(p.ok());
    persons = std::move(*p);
    person.uuid = Uuid::V4();
    person.team_id = 1;
    person.properties = R"({"plan":"pro","email":"ann@corp.com"})";
    auto txn = persons->Begin();
    REQUIRE(txn.ok());
    REQUIRE((*txn)->Insert(person).ok());
    REQUIRE((*txn)->SetDistinctId({1, "ann", person.id, 0}).ok());
    auto index = (*txn)->GroupTypeIndex(1, "company", true);
    REQUIRE(index.ok());
    REQUIRE((*txn)->UpsertGroup({1, **index, "acme", R"({"tier":"gold"})", 0, 1}).ok());
    REQUIRE((*txn)->Commit().ok());
  }

  int64_t AddFlag(std::string key, std::string filters, bool continuity = false) {
    meta::FeatureFlagRow row{.project_id = 1, .key = std::move(key), .filters = std::move(filters)};
    row.ensure_experience_continuity = continuity;
    REQUIRE(meta->InsertFeatureFlag(row).ok());
    return row.id;
  }
};

const FlagResult& ResultOf(const FlagsResponse& r, std::string_view key) {
  for (size_t i = 0; i < r.flags.size(); ++i) {
    if (r.flags[i]->row.key == key) return r.results[i];
  }
  FAIL("no result for " << key);
  std::abort();
}

}  // namespace

TEST_CASE("flag service: stored person and group properties decide, the request's override them", "[flags]") {
  Stores s;
  s.AddFlag("pro", R"({"groups":[{"properties":[{"key":"plan","value":"pro"}]}]})");
  s.AddFlag("gold", R"({"aggregation_group_type_index":0,"groups":[{"properties":[{"key":"tier","type":"group","group_type_index":0,"value":"gold"}]}]})");
  FlagService service(s.meta.get(), s.persons.get());

  FlagsRequest req{.project_id = 1, .distinct_id = "ann"};
  req.groups = {{"company", "acme"}};
  auto r = service.Evaluate(req);
  REQUIRE(r.ok());
  CHECK(ResultOf(*r, "pro").enabled);
  CHECK(ResultOf(*r, "gold").enabled);
  CHECK(!r->errors);

  rapidjson::Document overrides;
  std::string_view plan = R"({"plan":"free"})";
  overrides.Parse(plan.data(), plan.size());
  rapidjson::Document group_overrides;
  std::string_view tier = R"({"company":{"tier":"bronze"}})";
  group_overrides.Parse(tier.data(), tier.size());
  req.person_properties = &overrides;
  req.group_properties = &group_overrides;
  r = service.Evaluate(req);
  REQUIRE(r.ok());
  CHECK(!ResultOf(*r, "pro").enabled);
  CHECK(!ResultOf(*r, "gold").enabled);

  FlagsRequest stranger{.project_id = 1, .distinct_id = "nobody"};
  r = service.Evaluate(stranger);
  REQUIRE(r.ok());
  CHECK(!ResultOf(*r, "pro").enabled);
  CHECK(ReasonCode(ResultOf(*r, "gold").reason) == "no_group_type");
}

TEST_CASE("flag service: static cohorts hold person uuids", "[flags]") {
  Stores s;
  meta::CohortRow cohort{.project_id = 1, .name = "beta testers", .is_static = true};
  REQUIRE(s.meta->InsertCohort(cohort).ok());
  REQUIRE(s.meta->AddCohortPeople(cohort.id, {s.person.uuid.ToString()}).ok());
  s.AddFlag("beta", fmt::format(R"({{"groups":[{{"properties":[{{"key":"id","type":"cohort","value":{}}}]}}]}})", cohort.id));
  FlagService service(s.meta.get(), s.persons.get());
  auto r = service.Evaluate({.project_id = 1, .distinct_id = "ann"});
  REQUIRE(r.ok());
  CHECK(ResultOf(*r, "beta").enabled);
  r = service.Evaluate({.project_id = 1, .distinct_id = "bob"});
  REQUIRE(r.ok());
  CHECK(!ResultOf(*r, "beta").enabled);
}

TEST_CASE("flag service: experience continuity pins the anonymous id's bucket on first sight", "[flags]") {
  Stores s;
  // 50%: find an anonymous id in the rollout and a user id outside it.
  std::string anon, user;
  for (int i = 0; anon.empty() || user.empty(); ++i) {
    std::string id = fmt::format("id{}", i);
    if (FlagHash("sticky", id) <= 0.5 && anon.empty()) anon = id;
    if (FlagHash("sticky", id) > 0.5 && user.empty()) user = id;
  }
  s.AddFlag("sticky", R"({"groups":[{"rollout_percentage":50}]})", true);
  FlagService service(s.meta.get(), s.persons.get());
  auto r = service.Evaluate({.project_id = 1, .distinct_id = user});
  REQUIRE(r.ok());
  CHECK(!ResultOf(*r, "sticky").enabled);
  r = service.Evaluate({.project_id = 1, .distinct_id = user, .anon_distinct_id = anon});
  REQUIRE(r.ok());
  CHECK(ResultOf(*r, "sticky").enabled);
  r = service.Evaluate({.project_id = 1, .distinct_id = user});  // pinned from now on
  REQUIRE(r.ok());
  CHECK(ResultOf(*r, "sticky").enabled);
}

TEST_CASE("flag service: a change through another connection is seen without a restart", "[flags]") {
  Stores s;
  int64_t id = s.AddFlag("toggle", R"({"groups":[{"rollout_percentage":100}]})");
  FlagService service(s.meta.get(), s.persons.get());
  auto flags = service.Flags(1);
  REQUIRE(flags.ok());
  CHECK((*flags)->any_active);
  std::string etag = (*flags)->etag;

  auto other = meta::MetaStore::Open(s.dir.File("meta.sqlite"));  // as `hedgerow flags set` would
  REQUIRE(other.ok());
  auto row = (*other)->FeatureFlag(1, id);
  REQUIRE(row.ok());
  REQUIRE(row->has_value());
  (*row)->active = false;
  REQUIRE((*other)->UpdateFeatureFlag(**row).ok());
  service.Invalidate();
  flags = service.Flags(1);
  REQUIRE(flags.ok());
  CHECK(!(*flags)->any_active);
  CHECK((*flags)->etag != etag);
}

}  // namespace hedgerow::flags
