#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

enum class AppOutcome { kKeep, kDrop };

// What an app may use besides the event.
struct AppEnv {
  persons::PersonTxn& txn;
  int64_t team_id;
  std::string_view distinct_id;
};

// A transformation app (PostHog's plugins), run on each event of its project in order. It
// may change the event object in place, or drop it. An error means "this app failed": the
// processor then sends the event on as it was before the app, with a warning.
// Immutable after construction; thread-safe.
class App {
 public:
  virtual ~App() = default;
  virtual std::string_view kind() const = 0;
  virtual Result<AppOutcome> Apply(rapidjson::Document& event, AppEnv& env) const = 0;
};

// Builds an app from its kind and JSON config. Kinds and configs:
//   property_filter   {"event": "name"?, "property": "key"?, "value": any?}: drop matching events
//   property_remover  {"properties": ["email", ...]}: strip keys (also from $set/$set_once)
//   property_renamer  {"renames": {"old": "new", ...}}
//   taxonomy          {"style": "snake_case" | "camelCase"}: event names (not $-events)
//   user_agent        {}: $browser, $os, $device_type from $raw_user_agent when absent
//   first_time_event  {}: is_first_event_ever / is_first_event_for_user properties
// kInvalidArgument naming the problem for an unknown kind or a bad config.
Result<std::unique_ptr<App>> MakeApp(std::string_view kind, std::string_view config);

// A project's apps in run order. Immutable; shared between threads.
struct AppChain {
  std::vector<std::unique_ptr<App>> apps;
};

}  // namespace hedgerow::ingest
