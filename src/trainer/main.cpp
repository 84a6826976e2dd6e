// mlbox-trainer: the image's entrypoint.
#include <cstdio>
#include <cstring>
#include <string>

#include "trainer/probe.h"

namespace {

int usage(FILE* out) {
  std::fprintf(out,
               "usage: mlbox-trainer --version\n"
               "       mlbox-trainer --probe [--json]\n");
  return out == stderr ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  std::string first = argv[1];
  if (first == "--version") {
    std::printf("mlbox-trainer %s\n", MLBOX_VERSION);
    return 0;
  }
  if (first == "--help" || first == "-h") return usage(stdout);
  if (first == "--probe") {
    bool json = argc > 2 && std::strcmp(argv[2], "--json") == 0;
    auto report = mlbox::trainer::probe_devices();
    std::string text = json ? report.to_json().dump(2) + "\n" : report.to_text();
    std::fputs(text.c_str(), stdout);
    return report.cpu_matmul_ok ? 0 : 1;
  }
  std::fprintf(stderr, "mlbox-trainer: unknown argument '%s'\n", argv[1]);
  return usage(stderr);
}
