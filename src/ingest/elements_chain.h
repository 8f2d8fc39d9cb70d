#pragma once

#include <rapidjson/document.h>

#include <string>

namespace hedgerow::ingest {

// PostHog's elements_chain string from autocapture's $elements list (ingestion.md §7):
// per element tag_name, each class sorted as ".class", then ":" and the sorted key="value"
// attributes (attr__*, href, attr_id, nth-child, nth-of-type, text), quotes escaped;
// elements joined by ";". Elements that are not objects are skipped.
std::string ElementsChain(const rapidjson::Value& elements);

}  // namespace hedgerow::ingest
