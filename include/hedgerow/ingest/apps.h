#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/ingest/geoip.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

enum class AppOutcome { kKeep, kDrop };

// What an app may use besides the event.
struct AppEnv {
  persons::PersonTxn* txn;  // null unless some app of the chain reads_persons()
  int64_t team_id;
  std::string_view distinct_id;
  std::string_view ip;  // the client address capture recorded; empty when the project anonymizes IPs
};

// A transformation app (PostHog's plugins), run on each event of its project in order. It
// may change the event object in place, or drop it. An error means "this app failed": the
// processor then sends the event on as it was before the app, with a warning.
// Immutable after construction; thread-safe.
class App {
 public:
  virtual ~App() = default;
  virtual std::string_view kind() const = 0;
  // Apps that read persons state run inside the persons transaction; a chain without them
  // runs before it, on the pipeline's parallel steps.
  virtual bool reads_persons() const { return false; }
  // An app that never returns an error spares the processor a copy of the event to restore.
  virtual bool never_fails() const { return false; }
  virtual Result<AppOutcome> Apply(rapidjson::Document& event, AppEnv& env) const = 0;
};

// What apps share across projects, made once by the server.
struct AppResources {
  std::shared_ptr<GeoIpDatabase> geoip;  // null: no database configured; the geoip app adds nothing
};

// Builds an app from its kind and JSON config. Kinds and configs:
//   property_filter   {"event": "name"?, "property": "key"?, "value": any?}: drop matching events
//   property_remover  {"properties": ["email", ...]}: strip keys (also from $set/$set_once)
//   property_renamer  {"renames": {"old": "new", ...}}
//   taxonomy          {"style": "snake_case" | "camelCase"}: event names (not $-events)
//   geoip             {}: PostHog's GeoIP app (on by default for new projects): $geoip_* from
//                     the event's $ip (else the client address) in `resources.geoip`, and
//                     the same keys in $set and as $initial_geoip_* in $set_once; skipped
//                     when the event has a truthy $geoip_disable
//   user_agent        {}: $browser, $browser_version, $os, $os_version, $device_type with
//                     posthog-js's names, from $raw_user_agent (or $useragent, $user_agent,
//                     $user-agent) by uap-core's regexes, each when absent
//   first_time_event  {}: is_first_event_ever / is_first_event_for_user properties
// kInvalidArgument naming the problem for an unknown kind or a bad config.
Result<std::unique_ptr<App>> MakeApp(std::string_view kind, std::string_view config,
                                     const AppResources& resources = {});

// A project's apps in run order. Immutable; shared between threads.
struct AppChain {
  std::vector<std::unique_ptr<App>> apps;
  bool reads_persons() const {
    for (const auto& app : apps) {
      if (app->reads_persons()) return true;
    }
    return false;
  }
};

}  // namespace hedgerow::ingest
