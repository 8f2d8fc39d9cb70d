#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "commands.h"

namespace {

void PrintUsage(FILE* out) {
  std::string text = "Usage: hedgerow COMMAND [OPTIONS]\n\n"
                     "A single-binary, PostHog-compatible product-analytics server.\n\nCommands:\n";
  size_t width = 0;
  for (const auto& c : hedgerow::cli::Commands()) width = std::max(width, std::string_view(c.name).size());
  for (const auto& c : hedgerow::cli::Commands()) text += fmt::format("  {:<{}} {}\n", c.name, width, c.summary);
  text += "\nRun \"hedgerow COMMAND --help\" for a command's options.\n";
  std::fputs(text.c_str(), out);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hedgerow::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (args.size() > 1) args = {args[1], "--help"};
    else {
      PrintUsage(stdout);
      return kExitOk;
    }
  }
  if (args[0] == "--version") args[0] = "version";
  for (const Command& command : Commands()) {
    if (args[0] != command.name) continue;
    std::vector<std::string> rest(args.begin() + 1, args.end());
    for (const std::string& a : rest) {
      if (a == "--help" || a == "-h") {
        std::vector<hedgerow::OptionSpec> options = command.options();
        std::fputs(hedgerow::FormatOptionsHelp(command.usage, command.summary, options).c_str(), stdout);
        return kExitOk;
      }
    }
    return command.run(rest);
  }
  ReportError(fmt::format("unknown command \"{}\"; run hedgerow --help", args[0]));
  return kExitUsage;
}
