#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"

namespace hedgerow {

enum class OptionType { kString, kInt, kBool, kHostPort };

// One setting, known by the same name in every source:
//   flag          --data-dir DIR  or  --data-dir=DIR   (bools: --follow, --follow=false)
//   environment   HEDGEROW_DATA_DIR=DIR
//   config file   [server]
//                 data-dir = DIR
struct OptionSpec {
  std::string name;     // flag name without dashes
  std::string section;  // config-file section the key belongs in
  std::string default_value;  // text form; empty means "not set"
  std::string help;           // one line for --help
  OptionType type = OptionType::kString;
  int64_t min = 0;  // kInt bounds, inclusive
  int64_t max = INT64_MAX;
  std::vector<std::string> choices;  // kString: when non-empty, the only accepted values
  std::string value_name = "VALUE";  // placeholder in --help
};

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
};

// "HOST:PORT", "[v6]:PORT"; port 0 means "pick a free one".
Result<HostPort> ParseHostPort(std::string_view text);

// "HEDGEROW_" + upper snake case: data-dir -> HEDGEROW_DATA_DIR.
std::string EnvVarName(std::string_view option_name);

// The resolved settings of one command. Immutable after Load; safe to share.
class Config {
 public:
  // Resolves every option of `command_options` with precedence flag > env > file > default.
  // The config file comes from --config FILE, else HEDGEROW_CONFIG; none is read otherwise.
  // The file is shared by all commands, so keys of `all_options` that this command does not
  // use are accepted and ignored. Values are checked against their type in every source.
  // Returns kInvalidArgument with one line that names the source (flag, variable, or
  // file:line), the key and the expectation; kNotFound if the config file is missing.
  static Result<Config> Load(std::span<const OptionSpec> command_options,
                             std::span<const OptionSpec> all_options,
                             std::string_view command_name, const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env);

  // The getters take names of this command's options; any other name is a bug (asserts).
  const std::string& GetString(std::string_view name) const;
  int64_t GetInt(std::string_view name) const;
  bool GetBool(std::string_view name) const;
  HostPort GetHostPort(std::string_view name) const;
  bool IsSet(std::string_view name) const { return !GetString(name).empty(); }
  // "flag", "env", "file" or "default".
  std::string_view SourceOf(std::string_view name) const;
  // Arguments that are not options, in order (e.g. the TOPIC of `log tail TOPIC`).
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  struct Value {
    std::string text;
    std::string_view source;
  };
  const Value& Find(std::string_view name) const;

  std::map<std::string, Value, std::less<>> values_;
  std::vector<std::string> positional_;
};

// The environment of this process as a map, for Config::Load.
std::map<std::string, std::string> ProcessEnvironment();

// --help text of a command: usage line, then one line per option with its default.
std::string FormatOptionsHelp(std::string_view usage, std::string_view summary,
                              std::span<const OptionSpec> options);

}  // namespace hedgerow
