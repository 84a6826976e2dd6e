#include "core/embedded.h"

#include <cstdlib>
#include <filesystem>

#include "util/error.h"
#include "util/fs.h"

namespace mlbox {

std::string load_template(std::string_view name) {
  if (const char* dir = std::getenv("MLBOX_TEMPLATES_DIR"); dir && *dir) {
    std::string out;
    if (fs::read_file_if_exists(std::filesystem::path(dir) / std::string(name), out)) return out;
  }
  if (auto data = embedded_file(name)) return std::string(*data);
  throw Error(ErrorKind::kInternal, "template '" + std::string(name) + "' is not built in");
}

}  // namespace mlbox
