// SHA-256 (OpenSSL EVP), streaming and one-shot, with hex/"sha256:" digest helpers.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace mlbox {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::array<uint8_t, 32> finish();
  std::string finish_hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path& path);  // throws on I/O error
std::string to_hex(const uint8_t* data, size_t size);
// "sha256:<hex>"
inline std::string oci_digest(std::string_view data) {
  return "sha256:" + sha256_hex(data);
}

}  // namespace mlbox
