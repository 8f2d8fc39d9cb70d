#pragma once

// The web UI's files, compiled in by cmake/EmbedFiles.cmake (see src/ui/CMakeLists.txt).

#include <string_view>
#include <vector>

namespace hedgerow::ui {

struct EmbeddedFile {
  std::string_view name;  // base name: "app.js"
  std::string_view bytes;
};

const std::vector<EmbeddedFile>& EmbeddedFiles();

}  // namespace hedgerow::ui
