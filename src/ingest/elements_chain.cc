#include "elements_chain.h"

#include <algorithm>
#include <map>
#include <vector>

namespace hedgerow::ingest {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

std::string Text(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsNumber()) return std::to_string(v.GetDouble());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return {};
}

}  // namespace

std::string ElementsChain(const rapidjson::Value& elements) {
  std::string chain;
  if (!elements.IsArray()) return chain;
  for (const auto& el : elements.GetArray()) {
    if (!el.IsObject()) continue;
    std::string part;
    if (auto it = el.FindMember("tag_name"); it != el.MemberEnd()) part += Text(it->value);
    std::vector<std::string> classes;
    if (auto it = el.FindMember("attr_class"); it != el.MemberEnd()) {
      if (it->value.IsArray()) {
        for (const auto& c : it->value.GetArray()) classes.push_back(Text(c));
      } else if (it->value.IsString()) {
        std::string all = Text(it->value);
        size_t pos = 0;
        while (pos < all.size()) {
          size_t space = all.find(' ', pos);
          std::string one = all.substr(pos, space - pos);
          if (!one.empty()) classes.push_back(one);
          if (space == std::string::npos) break;
          pos = space + 1;
        }
      }
    }
    std::sort(classes.begin(), classes.end());
    for (const auto& c : classes) part += "." + c;
    std::map<std::string, std::string> attributes;  // sorted by key
    for (const auto& m : el.GetObject()) {
      std::string key(m.name.GetString(), m.name.GetStringLength());
      bool wanted = key.rfind("attr__", 0) == 0 || key == "href" || key == "attr_id" || key == "nth_child" ||
                    key == "nth_of_type" || key == "text" || key == "nth-child" || key == "nth-of-type";
      if (!wanted || m.value.IsNull()) continue;
      if (key == "nth_child") key = "nth-child";
      if (key == "nth_of_type") key = "nth-of-type";
      attributes[key] = Text(m.value);
    }
    if (!attributes.empty()) {
      part += ":";
      for (const auto& [k, v] : attributes) part += k + "=\"" + Escape(v) + "\"";
    }
    if (!chain.empty()) chain += ";";
    chain += part;
  }
  return chain;
}

}  // namespace hedgerow::ingest
