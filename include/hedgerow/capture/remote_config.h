#pragma once

#include <string>
#include <string_view>

namespace hedgerow::capture {

// The remote config posthog-js loads before anything else (client-api.md §3.6, §9): gzip
// bodies, autocapture on with $elements_chain strings, capture at /i/v0/e/, no recordings
// or surveys. `has_feature_flags`: the project has active flags (when false the SDK does not
// call /flags).
std::string RemoteConfigJson(std::string_view token, bool has_feature_flags);

// config.js: a script that stores the same object in window._POSTHOG_REMOTE_CONFIG[token].
std::string RemoteConfigScript(std::string_view token, std::string_view config_json);

}  // namespace hedgerow::capture
