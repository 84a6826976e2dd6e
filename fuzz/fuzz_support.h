// Shared by the harnesses: libFuzzer's entry point, and a scratch directory for parsers that
// read files. A harness lets only mlbox::Error escape-proof inputs through: any other
// exception (std::out_of_range from std::stoul, nlohmann::json::type_error, ...) propagates
// and is reported as a crash, since main() would print it as an internal error.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace mlbox::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A directory private to this process, created once, emptied by each call to fresh().
class Scratch {
 public:
  static Scratch& get() {
    static Scratch s;
    return s;
  }
  const std::filesystem::path& fresh() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_);
    return dir_;
  }
  std::filesystem::path write(const std::string& name, std::string_view bytes) {
    std::filesystem::path p = dir_ / name;
    std::ofstream(p, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  Scratch()
      : dir_(std::filesystem::temp_directory_path() /
             ("mlbox-fuzz-" + std::to_string(::getpid()))) {}
  std::filesystem::path dir_;
};

}  // namespace mlbox::fuzz
