#include "hedgerow/capture/remote_config.h"

#include <fmt/format.h>

#include "hedgerow/http/response.h"

namespace hedgerow::capture {

std::string RemoteConfigJson(std::string_view token, bool has_feature_flags) {
  return fmt::format(
      R"({{"token":{},"supportedCompression":["gzip","gzip-js"],"hasFeatureFlags":{},)"
      R"("captureDeadClicks":false,"capturePerformance":false,"autocapture_opt_out":false,)"
      R"("autocaptureExceptions":false,"analytics":{{"endpoint":"/i/v0/e/"}},"elementsChainAsString":true,)"
      R"("errorTracking":{{"autocaptureExceptions":false,"suppressionRules":[]}},"sessionRecording":false,)"
      R"("heatmaps":false,"surveys":false,"productTours":false,"defaultIdentifiedOnly":true,"siteApps":[]}})",
      http::JsonQuote(token), has_feature_flags);
}

std::string RemoteConfigScript(std::string_view token, std::string_view config_json) {
  return fmt::format(
      "(function() {{\n"
      "  window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {{}};\n"
      "  window._POSTHOG_REMOTE_CONFIG[{}] = {{ config: {}, siteApps: [] }};\n"
      "}})();\n",
      http::JsonQuote(token), config_json);
}

}  // namespace hedgerow::capture
