#include "cli/commands.h"
#include "util/error.h"

namespace mlbox::cli {

void not_available(const std::string& command, const std::string& issue_hint) {
  throw Error(ErrorKind::kUsage, "'mlbox " + command + "' is not available yet in this build",
              issue_hint);
}

}  // namespace mlbox::cli
