// What `mlbox init` reads from a project: requirements.txt, pyproject.toml, setup.py and
// Python sources.
#include "fuzz_support.h"
#include "manifest/init_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = mlbox::fuzz::as_text(data, size);
  (void)mlbox::manifest::parse_requirements(text);
  (void)mlbox::manifest::parse_pyproject(text);
  (void)mlbox::manifest::parse_setup_py(text);
  (void)mlbox::manifest::imported_frameworks(text);
  (void)mlbox::manifest::has_main_guard(text);
  return 0;
}
