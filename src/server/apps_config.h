#pragma once

#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::server {

// Applies the `apps` option: a JSON object from project id to its apps in order,
//   {"1": [{"kind": "property_remover", "config": {"properties": ["$ip"]}}, ...]}
// Each listed project's apps in meta.sqlite become exactly these (declarative, like a
// config file should be); projects not listed keep theirs. Every app is built first, so a
// bad entry changes nothing and is kInvalidArgument naming the project, position and kind.
Status ApplyAppsConfig(meta::MetaStore& meta, std::string_view json);

}  // namespace hedgerow::server
