// Docker/containers auth files and docker-credential-<helper> output. The first byte picks
// which: even = the config file, odd = a helper's stdout (the file names the helper).
#include "fuzz_support.h"
#include "registry/credentials.h"
#include "util/error.h"
#include "util/process.h"

namespace {

class HelperOutput : public mlbox::CommandRunner {
 public:
  std::string out;
  mlbox::ProcessResult run(const std::vector<std::string>&, const mlbox::ProcessOptions&) override {
    mlbox::ProcessResult r;
    r.exit_code = 0;
    r.out = out;
    return r;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto& scratch = mlbox::fuzz::Scratch::get();
  scratch.fresh();
  std::string_view rest = mlbox::fuzz::as_text(data + 1, size - 1);
  HelperOutput helper;
  std::filesystem::path file;
  if (data[0] % 2 == 0) {
    file = scratch.write("config.json", rest);
  } else {
    helper.out = std::string(rest);
    file = scratch.write("config.json", R"({"credHelpers": {"reg.example": "fuzz"}})");
  }
  mlbox::registry::DockerConfigCredentials creds({file}, &helper);
  for (const char* host : {"reg.example", "docker.io", "localhost:5000"}) {
    try {
      (void)creds.for_registry(host);
    } catch (const mlbox::Error&) {
    }
  }
  return 0;
}
