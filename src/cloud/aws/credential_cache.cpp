#include "cloud/aws/credential_cache.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/hash.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

std::string sha1_hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr);
  return to_hex(md, len);
}

std::filesystem::path CredentialFileCache::file_for(const std::string& key) const {
  return dir_ / (sha1_hex(key) + ".json");
}

std::optional<AwsCredentials> CredentialFileCache::load(const std::string& key, int64_t now,
                                                        int64_t margin) const {
  if (dir_.empty()) return std::nullopt;
  std::string text;
  if (!fs::read_file_if_exists(file_for(key), text)) return std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("Credentials") || !j["Credentials"].is_object())
    return std::nullopt;
  const auto& c = j["Credentials"];
  auto text_of = [&](const char* k) {
    return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : std::string();
  };
  AwsCredentials out{text_of("AccessKeyId"), text_of("SecretAccessKey"), text_of("SessionToken"),
                     ""};
  out.expires_at = parse_rfc3339(text_of("Expiration"));
  if (out.access_key_id.empty() || out.secret_access_key.empty() || out.expires_at <= 0 ||
      out.expires_at - margin <= now)
    return std::nullopt;
  return out;
}

void CredentialFileCache::store(const std::string& key, const AwsCredentials& credentials) const {
  if (dir_.empty() || credentials.expires_at <= 0) return;
  try {
    std::filesystem::create_directories(dir_);
    ::chmod(dir_.c_str(), 0700);
    nlohmann::json j = {{"Credentials",
                         {{"AccessKeyId", credentials.access_key_id},
                          {"SecretAccessKey", credentials.secret_access_key},
                          {"SessionToken", credentials.session_token},
                          {"Expiration", format_rfc3339(credentials.expires_at)}}}};
    fs::write_file_atomic(file_for(key), j.dump(), 0600);
  } catch (const std::exception&) {
    // The cache only saves an STS call.
  }
}

}  // namespace mlbox::cloud::aws
