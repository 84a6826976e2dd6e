#include "core/error_json.h"

namespace mlbox {

nlohmann::json error_json(ErrorKind kind, const std::string& message, const std::string& hint) {
  return {{"error", {{"kind", error_kind_name(kind)}, {"message", message}, {"hint", hint}}}};
}

}  // namespace mlbox
