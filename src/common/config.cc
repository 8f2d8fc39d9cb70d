#include "hedgerow/common/config.h"

#include <cassert>
#include <cerrno>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

extern char** environ;

namespace hedgerow {
namespace {

constexpr std::string_view kConfigOption = "config";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const OptionSpec* FindSpec(std::span<const OptionSpec> specs, std::string_view name) {
  for (const OptionSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return std::nullopt;
}

// Checks `value` against the spec's type; returns the expectation it failed, or "".
std::string CheckValue(const OptionSpec& spec, std::string_view value) {
  switch (spec.type) {
    case OptionType::kString:
      if (spec.choices.empty()) return "";
      for (const std::string& c : spec.choices) {
        if (c == value) return "";
      }
      return fmt::format("expected one of {}", fmt::join(spec.choices, ", "));
    case OptionType::kInt: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size() || v < spec.min || v > spec.max) {
        return fmt::format("expected an integer from {} to {}", spec.min, spec.max);
      }
      return "";
    }
    case OptionType::kBool:
      return ParseBool(value) ? "" : "expected true or false";
    case OptionType::kHostPort: {
      Result<HostPort> hp = ParseHostPort(value);
      return hp.ok() ? "" : "expected HOST:PORT, e.g. 127.0.0.1:8000";
    }
  }
  return "";
}

struct FileEntry {
  std::string value;
  int line;
};

// Parses the INI file into option name -> value, checking sections and keys.
Status ReadConfigFile(const std::string& path, std::span<const OptionSpec> all_options,
                      std::map<std::string, FileEntry>& out) {
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound(
        fmt::format("config: cannot read config file \"{}\": {}", path, std::strerror(errno)));
  }
  std::string section;
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return Status::InvalidArgument(
            fmt::format("config: {}:{}: section header \"{}\" lacks its closing ]", path, line_no, line));
      }
      section = std::string(Trim(line.substr(1, line.size() - 2)));
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(fmt::format(
          "config: {}:{}: expected \"key = value\" or \"[section]\", got \"{}\"", path, line_no, line));
    }
    std::string key(Trim(line.substr(0, eq)));
    std::string_view value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const OptionSpec* spec = FindSpec(all_options, key);
    if (spec == nullptr || key == kConfigOption) {
      return Status::InvalidArgument(fmt::format("config: {}:{}: unknown key \"{}\"{}", path,
                                                 line_no, key,
                                                 section.empty() ? "" : " in [" + section + "]"));
    }
    if (spec->section != section) {
      return Status::InvalidArgument(fmt::format(
          "config: {}:{}: \"{}\" belongs in section [{}], not {}", path, line_no, key,
          spec->section, section.empty() ? "outside any section" : "[" + section + "]"));
    }
    std::string problem = CheckValue(*spec, value);
    if (!problem.empty()) {
      return Status::InvalidArgument(fmt::format("config: {}:{}: [{}] {} = \"{}\": {}", path,
                                                 line_no, section, key, value, problem));
    }
    out[key] = FileEntry{std::string(value), line_no};
  }
  return Status::Ok();
}

}  // namespace

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<HostPort> ParseHostPort(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument(fmt::format("\"{}\" is not [IPv6]:PORT", text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument(fmt::format("\"{}\" is not HOST:PORT", text));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (host.empty() || port.empty() || ec != std::errc() || ptr != port.data() + port.size() ||
      p > 65535) {
    return Status::InvalidArgument(fmt::format("\"{}\" is not HOST:PORT", text));
  }
  return HostPort{std::string(host), static_cast<uint16_t>(p)};
}

std::string EnvVarName(std::string_view option_name) {
  std::string out = "HEDGEROW_";
  for (char c : option_name) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<Config> Config::Load(std::span<const OptionSpec> command_options,
                            std::span<const OptionSpec> all_options, std::string_view command_name,
                            const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env) {
  Config config;
  std::map<std::string, std::string> flags;
  std::string config_path;
  auto unknown = [&](std::string_view arg) {
    return Status::InvalidArgument(fmt::format(
        "config: unknown option {} for \"hedgerow {}\"; see hedgerow {} --help", arg,
        command_name, command_name));
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      if (!arg.empty() && arg[0] == '-' && arg != "-") return unknown(arg);
      config.positional_.emplace_back(arg);
      continue;
    }
    std::string_view body = arg.substr(2);
    size_t eq = body.find('=');
    std::string name(body.substr(0, eq));
    if (name == kConfigOption) {
      if (eq != std::string_view::npos) {
        config_path = std::string(body.substr(eq + 1));
      } else if (i + 1 < args.size()) {
        config_path = args[++i];
      } else {
        return Status::InvalidArgument("config: --config needs a FILE argument");
      }
      continue;
    }
    const OptionSpec* spec = FindSpec(command_options, name);
    if (spec == nullptr) return unknown("--" + name);
    std::string value;
    if (eq != std::string_view::npos) {
      value = std::string(body.substr(eq + 1));
    } else if (spec->type == OptionType::kBool) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidArgument(
          fmt::format("config: --{} needs a {} argument", name, spec->value_name));
    }
    std::string problem = CheckValue(*spec, value);
    if (!problem.empty()) {
      return Status::InvalidArgument(fmt::format("config: --{} \"{}\": {}", name, value, problem));
    }
    flags[name] = value;
  }

  if (config_path.empty()) {
    auto it = env.find(EnvVarName(kConfigOption));
    if (it != env.end()) config_path = it->second;
  }
  std::map<std::string, FileEntry> file;
  if (!config_path.empty()) {
    HEDGEROW_RETURN_IF_ERROR(ReadConfigFile(config_path, all_options, file));
  }

  for (const OptionSpec& spec : command_options) {
    Value v{spec.default_value, "default"};
    if (auto f = flags.find(spec.name); f != flags.end()) {
      v = Value{f->second, "flag"};
    } else if (auto e = env.find(EnvVarName(spec.name)); e != env.end()) {
      std::string problem = CheckValue(spec, e->second);
      if (!problem.empty()) {
        return Status::InvalidArgument(fmt::format("config: {}=\"{}\": {}", EnvVarName(spec.name),
                                                   e->second, problem));
      }
      v = Value{e->second, "env"};
    } else if (auto fe = file.find(spec.name); fe != file.end()) {
      v = Value{fe->second.value, "file"};
    }
    config.values_.emplace(spec.name, std::move(v));
  }
  return config;
}

const Config::Value& Config::Find(std::string_view name) const {
  auto it = values_.find(name);
  assert(it != values_.end() && "option is not declared for this command");
  return it->second;
}

const std::string& Config::GetString(std::string_view name) const { return Find(name).text; }

int64_t Config::GetInt(std::string_view name) const {
  const std::string& t = Find(name).text;
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);  // validated by Load
  return v;
}

bool Config::GetBool(std::string_view name) const {
  return ParseBool(Find(name).text).value_or(false);
}

HostPort Config::GetHostPort(std::string_view name) const {
  Result<HostPort> hp = ParseHostPort(Find(name).text);
  return hp.ok() ? *hp : HostPort{};
}

std::string_view Config::SourceOf(std::string_view name) const { return Find(name).source; }

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::string FormatOptionsHelp(std::string_view usage, std::string_view summary,
                              std::span<const OptionSpec> options) {
  std::string out = fmt::format("Usage: {}\n\n{}\n", usage, summary);
  if (!options.empty()) out += "\nOptions (also HEDGEROW_<NAME> variables and [section] keys of --config FILE):\n";
  for (const OptionSpec& o : options) {
    std::string flag = o.type == OptionType::kBool ? fmt::format("--{}", o.name)
                                                   : fmt::format("--{} {}", o.name, o.value_name);
    std::string dflt = o.default_value.empty() ? "" : fmt::format(" (default {})", o.default_value);
    out += fmt::format("  {:<32} {}{}\n", flag, o.help, dflt);
  }
  out += fmt::format("  {:<32} {}\n", "--config FILE", "read settings from an INI file");
  out += fmt::format("  {:<32} {}\n", "--help", "print this help");
  return out;
}

}  // namespace hedgerow
