#include "cloud/gcp/adc.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cloud/gcp/external_account.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::cloud::gcp {

namespace fs = std::filesystem;

std::string AdcSource::describe() const {
  switch (kind) {
    case Kind::kServiceAccount:
      return fmt::format("service-account key {} ({})", file, account);
    case Kind::kAuthorizedUser:
      return fmt::format("gcloud user credentials {}", file);
    case Kind::kMetadata:
      return fmt::format("metadata server {}", token_uri);
    case Kind::kExternalAccount:
      return fmt::format("external_account credentials {}", file);
    case Kind::kImpersonated:
      return fmt::format("impersonated_service_account credentials {} ({})", file, account);
    case Kind::kNone:
      break;
  }
  return "no Google credentials";
}

ServiceAccountKey parse_service_account_key(const nlohmann::json& j, const std::string& file) {
  ServiceAccountKey key;
  auto field = [&](const char* name, bool required) {
    if (j.contains(name) && j[name].is_string()) return j[name].get<std::string>();
    if (required) {
      throw Error(ErrorKind::kAuth,
                  fmt::format("{}: service-account key has no \"{}\"", file, name),
                  "download a new JSON key: gcloud iam service-accounts keys create KEY.json "
                  "--iam-account SA_EMAIL");
    }
    return std::string();
  };
  key.client_email = field("client_email", true);
  key.private_key = field("private_key", true);
  key.private_key_id = field("private_key_id", false);
  key.token_uri = field("token_uri", false);
  if (key.token_uri.empty()) key.token_uri = kDefaultTokenUri;
  key.project_id = field("project_id", false);
  return key;
}

namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string rs256_sign(const std::string& pem, const std::string& input) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) return {};
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return {};
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return {};
  }
  sig.resize(len);
  return sig;
}

std::string json_string(const nlohmann::json& j, const char* name) {
  return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : std::string();
}

nlohmann::json read_json_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::kAuth, fmt::format("cannot read {}", file.string()), kAdcHint);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::out_of_range&) {  // a number beyond double
    throw Error(ErrorKind::kAuth,
                fmt::format("{}: not a Google credentials JSON file (a number out of range)",
                            file.string()),
                kAdcHint);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorKind::kAuth,
                fmt::format("{}: not a Google credentials JSON file (byte {}: invalid JSON)",
                            file.string(), e.byte),
                kAdcHint);
  }
}

}  // namespace

std::string make_jwt_assertion(const ServiceAccountKey& key, const std::string& scope,
                               int64_t now) {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  nlohmann::json claims = {{"iss", key.client_email},
                           {"scope", scope},
                           {"aud", key.token_uri},
                           {"iat", now},
                           {"exp", now + 3600}};
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  std::string sig = rs256_sign(key.private_key, input);
  if (sig.empty()) {
    throw Error(ErrorKind::kAuth,
                fmt::format("the private_key of service account {} is not a readable PEM RSA key",
                            key.client_email),
                "download a new JSON key: gcloud iam service-accounts keys create KEY.json "
                "--iam-account SA_EMAIL");
  }
  return input + "." + base64url_encode(sig);
}

AccessToken parse_token_response(const net::Outcome& outcome, const std::string& what,
                                 const std::string& url, int64_t now) {
  if (!outcome.ok()) {
    throw Error(ErrorKind::kNetwork,
                fmt::format("{}: token request to {} failed: {}", what, redact_url(url),
                            net::describe(outcome)),
                "check the network (and proxy settings) and try again");
  }
  const auto& r = outcome.response;
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200) {
    std::string error, description;
    if (j.is_object()) {
      error = json_string(j, "error");
      description = json_string(j, "error_description");
      if (error.empty() && j.contains("error") && j["error"].is_object()) {
        error = json_string(j["error"], "status");
        description = json_string(j["error"], "message");
      }
    }
    std::string detail = error.empty() ? "" : ": " + error;
    if (!description.empty()) detail += " (" + description + ")";
    ErrorKind kind = r.status >= 500 ? ErrorKind::kRemote : ErrorKind::kAuth;
    throw Error(kind,
                fmt::format("{}: token request to {} was refused: HTTP {}{}", what, redact_url(url),
                            r.status, detail),
                error == "invalid_grant"
                    ? std::string("the credentials are no longer valid (expired, revoked, a "
                                  "deleted key, or a clock far off): ") +
                          kAdcHint
                    : kAdcHint);
  }
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
    throw Error(ErrorKind::kRemote,
                fmt::format("{}: token reply from {} has no access_token", what, redact_url(url)),
                kAdcHint);
  }
  AccessToken t;
  t.value = j["access_token"].get<std::string>();
  int64_t expires_in = 3600;
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
    expires_in = j["expires_in"].get<int64_t>();
  }
  t.expires_at = now + expires_in;
  t.obtained_at = now;
  return t;
}

AdcCredentials::AdcCredentials(Options options) : options_(std::move(options)) {
  if (!options_.now) {
    options_.now = [] {
      return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
    };
  }
  auto host = env("GCE_METADATA_HOST");
  metadata_host_ = host && !host->empty() ? *host : "metadata.google.internal";
}

AdcCredentials::~AdcCredentials() = default;

std::unique_ptr<AdcCredentials> AdcCredentials::for_process(const net::TransportConfig& transport,
                                                            Observer& observer) {
  auto http = std::make_unique<net::HttpClient>(transport, observer);
  config::EnvGetter env = config::process_env();
  auto host = env("GCE_METADATA_HOST");
  net::TransportConfig meta = transport;
  // The metadata server speaks plain HTTP on a link-local address, and is absent off GCE:
  // do not wait long for it.
  meta.insecure_hosts.push_back(host && !host->empty() ? *host : "metadata.google.internal");
  meta.connect_timeout = std::chrono::seconds(2);
  meta.stall_timeout = std::chrono::seconds(10);
  auto metadata_http = std::make_unique<net::HttpClient>(meta, observer);
  Options options;
  options.env = env;
  net::HttpClient* h = http.get();
  net::HttpClient* m = metadata_http.get();
  options.send = [h](const net::Request& r, const net::RetryPolicy& p) { return h->send(r, p); };
  options.metadata_send = [m](const net::Request& r, const net::RetryPolicy& p) {
    return m->send(r, p);
  };
  auto adc = std::make_unique<AdcCredentials>(std::move(options));
  adc->http_ = std::move(http);
  adc->metadata_http_ = std::move(metadata_http);
  return adc;
}

std::optional<std::string> AdcCredentials::env(const std::string& name) const {
  return options_.env ? options_.env(name) : std::nullopt;
}

AdcSource AdcCredentials::discover() {
  if (discovered_) return source_;
  std::vector<std::string> tried;
  AdcSource s;
  auto from_file = [&](const fs::path& file, const std::string& origin) {
    nlohmann::json j = read_json_file(file);
    std::string type = j.is_object() ? json_string(j, "type") : "";
    s.file = file.string();
    if (type == "service_account") {
      auto key = parse_service_account_key(j, s.file);
      s.kind = AdcSource::Kind::kServiceAccount;
      s.account = key.client_email;
      s.token_uri = key.token_uri;
    } else if (type == "authorized_user") {
      s.kind = AdcSource::Kind::kAuthorizedUser;
      s.token_uri = json_string(j, "token_uri");
      if (s.token_uri.empty()) s.token_uri = kDefaultTokenUri;
    } else if (type == "external_account") {
      auto account = parse_external_account(j, s.file);  // fails early on a bad file
      s.kind = AdcSource::Kind::kExternalAccount;
      s.token_uri = account.token_url;
      s.account = impersonated_account(account.impersonation_url);
    } else if (type == "impersonated_service_account") {
      s.kind = AdcSource::Kind::kImpersonated;
      s.token_uri = json_string(j, "service_account_impersonation_url");
      s.account = impersonated_account(s.token_uri);
      if (s.token_uri.empty() || !j.contains("source_credentials") ||
          !j["source_credentials"].is_object()) {
        throw Error(ErrorKind::kAuth,
                    fmt::format("{}: impersonated_service_account credentials need "
                                "service_account_impersonation_url and source_credentials",
                                s.file),
                    "write the file with `gcloud auth application-default login "
                    "--impersonate-service-account SA_EMAIL`");
      }
    } else {
      throw Error(ErrorKind::kAuth,
                  fmt::format("{} ({}): credential type \"{}\" is not supported (mlbox reads "
                              "service_account, authorized_user, external_account and "
                              "impersonated_service_account files)",
                              s.file, origin, type),
                  kAdcHint);
    }
    s.quota_project = json_string(j, "quota_project_id");
  };
  auto gac = env("GOOGLE_APPLICATION_CREDENTIALS");
  if (gac && !gac->empty()) {
    if (!fs::exists(*gac)) {
      throw Error(
          ErrorKind::kAuth,
          fmt::format("GOOGLE_APPLICATION_CREDENTIALS names {}, which does not exist", *gac),
          "point it at a service-account JSON key, or unset it to use "
          "`gcloud auth application-default login` credentials");
    }
    from_file(*gac, "GOOGLE_APPLICATION_CREDENTIALS");
  } else {
    tried.push_back("GOOGLE_APPLICATION_CREDENTIALS is not set");
    fs::path dir;
    if (auto c = env("CLOUDSDK_CONFIG"); c && !c->empty()) {
      dir = *c;
    } else if (auto home = env("HOME"); home && !home->empty()) {
      dir = fs::path(*home) / ".config" / "gcloud";
    }
    fs::path wk = dir.empty() ? fs::path() : dir / "application_default_credentials.json";
    if (!wk.empty() && fs::exists(wk)) {
      from_file(wk, "gcloud application-default credentials");
    } else {
      tried.push_back(wk.empty() ? "no HOME for gcloud's credentials"
                                 : fmt::format("{} does not exist", wk.string()));
      auto skip = env("NO_GCE_CHECK");
      if (skip && (to_lower(*skip) == "true" || *skip == "1")) {
        tried.push_back("the metadata server is skipped (NO_GCE_CHECK)");
      } else if (options_.metadata_send) {
        net::Request probe;
        probe.url = "http://" + metadata_host_ + "/";
        probe.headers = {{"Metadata-Flavor", "Google"}};
        net::RetryPolicy once;
        once.max_attempts = 1;
        net::Outcome o = options_.metadata_send(probe, once);
        auto flavor = o.ok() ? o.response.header("metadata-flavor") : std::nullopt;
        if (flavor && *flavor == "Google") {
          s.kind = AdcSource::Kind::kMetadata;
          s.token_uri = "http://" + metadata_host_ +
                        "/computeMetadata/v1/instance/service-accounts/default/token";
        } else {
          tried.push_back(
              fmt::format("no metadata server at {} ({})", metadata_host_,
                          o.ok() ? "no Metadata-Flavor: Google header" : net::describe(o)));
        }
      }
    }
  }
  discovered_ = true;
  source_ = s;
  not_found_ = join(tried, "; ");
  return s;
}

bool AdcCredentials::available() {
  std::lock_guard lock(mutex_);
  return discover().kind != AdcSource::Kind::kNone;
}

AdcSource AdcCredentials::source() {
  std::lock_guard lock(mutex_);
  return source_;
}

std::string AdcCredentials::quota_project() {
  if (auto q = env("GOOGLE_CLOUD_QUOTA_PROJECT"); q && !q->empty()) return *q;
  std::lock_guard lock(mutex_);
  return discover().quota_project;
}

std::string AdcCredentials::not_found_reason() {
  std::lock_guard lock(mutex_);
  discover();
  return not_found_;
}

std::string AdcCredentials::access_token() {
  std::lock_guard lock(mutex_);
  int64_t now = options_.now();
  if (cached_) {
    // Refresh 5 minutes early, or at half-life for short-lived tokens.
    int64_t margin = std::min<int64_t>(300, (cached_->expires_at - cached_->obtained_at) / 2);
    if (now + margin < cached_->expires_at) return cached_->value;
  }
  AdcSource s = discover();
  if (s.kind == AdcSource::Kind::kNone) {
    throw Error(ErrorKind::kAuth, fmt::format("no Google credentials found: {}", not_found_),
                kAdcHint);
  }
  AccessToken t = fetch(s);
  cached_ = t;
  return t.value;
}

AccessToken AdcCredentials::fetch(const AdcSource& source) {
  switch (source.kind) {
    case AdcSource::Kind::kServiceAccount:
      return fetch_service_account(read_json_file(source.file), source.file, source.describe());
    case AdcSource::Kind::kAuthorizedUser:
      return fetch_authorized_user(read_json_file(source.file), source.file, source.token_uri,
                                   source.describe());
    case AdcSource::Kind::kMetadata:
      return fetch_metadata(source);
    case AdcSource::Kind::kExternalAccount:
      return fetch_external_account(source);
    case AdcSource::Kind::kImpersonated:
      return fetch_impersonated(source);
    case AdcSource::Kind::kNone:
      break;
  }
  throw Error(ErrorKind::kInternal, "no ADC source");
}

AccessToken AdcCredentials::post_token_form(const std::string& token_uri, const std::string& form,
                                            const std::string& what) {
  net::Request r;
  r.method = "POST";
  r.url = token_uri;
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
               {"Accept", "application/json"}};
  r.body = form;
  int64_t now = options_.now();
  return parse_token_response(options_.send(r, net::RetryPolicy{}), what, token_uri, now);
}

AccessToken AdcCredentials::fetch_service_account(const nlohmann::json& key_json,
                                                  const std::string& file,
                                                  const std::string& what) {
  auto key = parse_service_account_key(key_json, file);
  std::string jwt = make_jwt_assertion(key, kCloudPlatformScope, options_.now());
  std::string form = "grant_type=" + percent_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                     "&assertion=" + percent_encode(jwt);
  try {
    return post_token_form(key.token_uri, form, what);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kAuth) throw;
    throw Error(ErrorKind::kAuth, e.what(),
                "the key may have been deleted or disabled, or this clock is far off: create a "
                "new key (gcloud iam service-accounts keys create KEY.json --iam-account " +
                    key.client_email +
                    "), or unset GOOGLE_APPLICATION_CREDENTIALS and run `gcloud auth "
                    "application-default login`");
  }
}

AccessToken AdcCredentials::fetch_authorized_user(const nlohmann::json& j, const std::string& file,
                                                  const std::string& token_uri,
                                                  const std::string& what) {
  std::string form = "grant_type=refresh_token";
  for (const char* name : {"client_id", "client_secret", "refresh_token"}) {
    std::string v = json_string(j, name);
    if (v.empty()) {
      throw Error(ErrorKind::kAuth,
                  fmt::format("{}: authorized_user credentials have no \"{}\"", file, name),
                  "run `gcloud auth application-default login` again");
    }
    form += fmt::format("&{}={}", name, percent_encode(v));
  }
  return post_token_form(token_uri, form, what);
}

AccessToken AdcCredentials::fetch_external_account(const AdcSource& source) {
  ExternalAccount account = parse_external_account(read_json_file(source.file), source.file);
  std::string subject = read_subject_token(account, options_.send);
  AccessToken sts = exchange_token(options_.send, account, subject, options_.now());
  if (account.impersonation_url.empty()) return sts;
  return generate_access_token(options_.send, account.impersonation_url, sts.value, {},
                               account.lifetime_seconds, source.describe(), options_.now());
}

AccessToken AdcCredentials::fetch_impersonated(const AdcSource& source) {
  nlohmann::json j = read_json_file(source.file);
  const nlohmann::json& src = j["source_credentials"];
  std::string type = json_string(src, "type");
  std::string what = source.describe() + " source_credentials";
  AccessToken base;
  if (type == "authorized_user") {
    std::string uri = json_string(src, "token_uri");
    base = fetch_authorized_user(src, source.file, uri.empty() ? kDefaultTokenUri : uri, what);
  } else if (type == "service_account") {
    base = fetch_service_account(src, source.file, what);
  } else {
    throw Error(ErrorKind::kAuth,
                fmt::format("{}: source_credentials of type \"{}\" are not supported "
                            "(authorized_user or service_account)",
                            source.file, type),
                kAdcHint);
  }
  std::vector<std::string> delegates;
  if (j.contains("delegates") && j["delegates"].is_array()) {
    for (const auto& d : j["delegates"]) {
      if (!d.is_string()) continue;
      std::string name = d.get<std::string>();
      // gcloud writes e-mails; the API takes resource names.
      delegates.push_back(name.starts_with("projects/") ? name
                                                        : "projects/-/serviceAccounts/" + name);
    }
  }
  return generate_access_token(options_.send, source.token_uri, base.value, delegates, 3600,
                               source.describe(), options_.now());
}

AccessToken AdcCredentials::fetch_metadata(const AdcSource& source) {
  net::Request r;
  r.url = source.token_uri;
  r.headers = {{"Metadata-Flavor", "Google"}};
  net::RetryPolicy policy;
  policy.max_attempts = 3;
  int64_t now = options_.now();
  return parse_token_response(options_.metadata_send(r, policy), source.describe(),
                              source.token_uri, now);
}

}  // namespace mlbox::cloud::gcp
