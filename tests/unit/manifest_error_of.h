// Shared by the manifest unit tests: the message parse() throws for an invalid mlbox.yaml.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "manifest/load.h"
#include "util/error.h"

namespace mlbox::manifest::testing {

// The message parse() throws for `text`, which must be invalid (a kConfig error).
inline std::string error_of(const std::string& text) {
  try {
    parse(text, "mlbox.yaml");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    return e.what();
  }
  FAIL("manifest was accepted: " << text.substr(0, 200));
  return {};
}

}  // namespace mlbox::manifest::testing
