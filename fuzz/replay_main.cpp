// Corpus replay without libFuzzer: feeds every file named on the command line (directories
// are walked) to LLVMFuzzerTestOneInput once. Builds with any compiler, so CI replays the
// checked-in corpora (and every input a fuzzing run found) under ASan/UBSan with gcc.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz_support.h"

namespace {

int replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) count += replay(f);
    } else {
      count += replay(arg);
    }
  }
  std::printf("%s: replayed %d inputs\n", argc > 0 ? argv[0] : "replay", count);
  return count > 0 ? 0 : 1;
}
