// Files compiled into the binary from templates/ (see cmake/EmbedScript.cmake).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox {

std::optional<std::string_view> embedded_file(std::string_view name);
std::vector<std::string> embedded_file_names();

// The template named `name`: $MLBOX_TEMPLATES_DIR/name when that variable is set (for
// development), else the embedded copy. Throws Error(kInternal) when neither exists.
std::string load_template(std::string_view name);

}  // namespace mlbox
