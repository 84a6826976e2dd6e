// The one JSON object a failing command prints on stdout under --json, so that a CI script
// can read what went wrong without parsing stderr: {"error": {"kind", "message", "hint"}}.
#pragma once

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace mlbox {

// kind is error_kind_name() ("usage", "config", "auth", ...); hint is "" when there is none.
nlohmann::json error_json(ErrorKind kind, const std::string& message, const std::string& hint);

}  // namespace mlbox
