// Keyless Google ADC: external_account (file / url subject tokens, text / json formats, the
// STS exchange, service account impersonation) and impersonated_service_account files,
// and the quota project, with requests checked field by field (no server).
#include <doctest/doctest.h>

#include <map>

#include "cloud/gcp/adc.h"
#include "cloud/gcp/external_account.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

using namespace mlbox;
using namespace mlbox::cloud::gcp;
using mlbox::fs::TempDir;
using mlbox::fs::write_file_atomic;

namespace {

const char* kAudience =
    "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/gh/providers/gh";
const char* kImpersonate =
    "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
    "trainer@p.iam.gserviceaccount.com:generateAccessToken";

net::Outcome reply(long status, std::string body) {
  net::Outcome o;
  o.response.status = status;
  o.response.body = std::move(body);
  return o;
}

std::map<std::string, std::string> form(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const auto& pair : split(body, '&')) {
    auto eq = pair.find('=');
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return out;
}

std::string header(const net::Request& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

ErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = std::string(e.what()) + " | " + e.hint();
    return e.kind();
  }
  return ErrorKind::kInternal;
}

struct Adc {
  TempDir dir;
  std::map<std::string, std::string> env;
  std::vector<net::Request> sent;
  std::function<net::Outcome(const net::Request&)> handler;
  std::unique_ptr<AdcCredentials> make() {
    AdcCredentials::Options o;
    o.env = config::env_from_map(env);
    o.send = [this](const net::Request& r, const net::RetryPolicy&) {
      sent.push_back(r);
      return handler(r);
    };
    o.now = [] { return int64_t{1'800'000'000}; };
    return std::make_unique<AdcCredentials>(o);
  }
  void write_adc(const nlohmann::json& j) {
    write_file_atomic(dir.path() / "adc.json", j.dump());
    env["GOOGLE_APPLICATION_CREDENTIALS"] = (dir.path() / "adc.json").string();
  }
};

nlohmann::json external(const nlohmann::json& source, bool impersonate) {
  nlohmann::json j = {{"type", "external_account"},
                      {"audience", kAudience},
                      {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                      {"token_url", "https://sts.googleapis.com/v1/token"},
                      {"credential_source", source}};
  if (impersonate) j["service_account_impersonation_url"] = kImpersonate;
  return j;
}

}  // namespace

TEST_CASE("external_account: file subject token, STS exchange, impersonation") {
  Adc a;
  write_file_atomic(a.dir.path() / "oidc", "eyJhbGciOiJSUzI1NiJ9.e30.sig\n");
  auto j = external({{"file", (a.dir.path() / "oidc").string()}}, true);
  j["quota_project_id"] = "from-file";
  j["service_account_impersonation"] = {{"token_lifetime_seconds", 1200}};
  a.write_adc(j);
  a.handler = [](const net::Request& r) {
    if (r.url == "https://sts.googleapis.com/v1/token") {
      CHECK(header(r, "Content-Type") == "application/x-www-form-urlencoded");
      auto f = form(std::get<std::string>(r.body));
      CHECK(f["grant_type"] == "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange");
      CHECK(f["requested_token_type"] == "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token");
      CHECK(f["subject_token_type"] == "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt");
      CHECK(f["subject_token"] == "eyJhbGciOiJSUzI1NiJ9.e30.sig");
      CHECK(f["audience"] == percent_encode(kAudience));
      CHECK(f["scope"] == percent_encode(kCloudPlatformScope));
      return reply(200, R"({"access_token": "ya29.sts", "issued_token_type":
        "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in": 3600})");
    }
    CHECK(r.url == kImpersonate);
    CHECK(header(r, "Authorization") == "Bearer ya29.sts");
    auto body = nlohmann::json::parse(std::get<std::string>(r.body));
    CHECK(body == nlohmann::json({{"scope", {kCloudPlatformScope}}, {"lifetime", "1200s"}}));
    return reply(200, R"({"accessToken": "ya29.sa", "expireTime": "2027-01-15T08:20:00Z"})");
  };
  auto adc = a.make();
  CHECK(adc->access_token() == "ya29.sa");
  CHECK(adc->access_token() == "ya29.sa");  // cached
  CHECK(a.sent.size() == 2);
  CHECK(adc->source().kind == AdcSource::Kind::kExternalAccount);
  CHECK(adc->source().account == "trainer@p.iam.gserviceaccount.com");
  CHECK(adc->quota_project() == "from-file");
  a.env["GOOGLE_CLOUD_QUOTA_PROJECT"] = "from-env";
  CHECK(a.make()->quota_project() == "from-env");
}

TEST_CASE("external_account: url subject token in json format, no impersonation") {
  Adc a;
  a.write_adc(external({{"url", "http://127.0.0.1:9/token?aud=x"},
                        {"headers", {{"Authorization", "bearer runner-secret"}}},
                        {"format", {{"type", "json"}, {"subject_token_field_name", "value"}}}},
                       false));
  a.handler = [](const net::Request& r) {
    if (r.method == "GET") {
      CHECK(header(r, "Authorization") == "bearer runner-secret");
      return reply(200, R"({"count": 1, "value": "eyJ.sub.tok"})");
    }
    CHECK(form(std::get<std::string>(r.body))["subject_token"] == "eyJ.sub.tok");
    return reply(200, R"({"access_token": "ya29.fed", "expires_in": 3600})");
  };
  CHECK(a.make()->access_token() == "ya29.fed");
  CHECK(a.sent.size() == 2);
}

TEST_CASE("external_account: errors name the file and STS's error, never the token") {
  Adc a;
  write_file_atomic(a.dir.path() / "oidc", "eyJ.SECRETPART.sig");
  a.write_adc(external({{"file", (a.dir.path() / "oidc").string()}}, true));
  a.handler = [](const net::Request&) {
    return reply(400,
                 R"({"error": "invalid_grant", "error_description": "The ID Token has expired."})");
  };
  std::string m;
  CHECK(kind_of([&] { a.make()->access_token(); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("invalid_grant") != std::string::npos);
  CHECK(m.find("The ID Token has expired.") != std::string::npos);
  CHECK(m.find("adc.json") != std::string::npos);
  CHECK(m.find("workload identity pool") != std::string::npos);
  CHECK(m.find("SECRETPART") == std::string::npos);

  int n = 0;
  a.handler = [&](const net::Request&) {
    if (n++ == 0) return reply(200, R"({"access_token": "ya29.sts", "expires_in": 3600})");
    return reply(403, R"({"error": {"code": 403, "status": "PERMISSION_DENIED",
                          "message": "Permission 'iam.serviceAccounts.getAccessToken' denied"}})");
  };
  CHECK(kind_of([&] { a.make()->access_token(); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("PERMISSION_DENIED") != std::string::npos);
  CHECK(m.find("roles/iam.serviceAccountTokenCreator") != std::string::npos);

  std::filesystem::remove(a.dir.path() / "oidc");
  CHECK(kind_of([&] { a.make()->access_token(); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("cannot be read") != std::string::npos);
}

TEST_CASE("external_account: what the file must hold") {
  auto parse = [](nlohmann::json j) { return parse_external_account(j, "f.json"); };
  auto base = external({{"file", "/t"}}, false);
  CHECK(parse(base).format_type == "text");
  CHECK(parse(base).impersonation_url.empty());
  std::string m;
  for (const char* key : {"audience", "subject_token_type", "credential_source"}) {
    auto j = base;
    j.erase(key);
    CHECK(kind_of([&] { parse(j); }, &m) == ErrorKind::kAuth);
    CHECK(m.find(key) != std::string::npos);
  }
  auto exec = external({{"executable", {{"command", "/bin/tok"}}}}, false);
  CHECK(kind_of([&] { parse(exec); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("executable") != std::string::npos);
  auto aws = external({{"environment_id", "aws1"}}, false);
  CHECK(kind_of([&] { parse(aws); }, &m) == ErrorKind::kAuth);
  auto json_no_field = external({{"file", "/t"}, {"format", {{"type", "json"}}}}, false);
  CHECK(kind_of([&] { parse(json_no_field); }) == ErrorKind::kAuth);
  auto xml = external({{"file", "/t"}, {"format", {{"type", "xml"}}}}, false);
  CHECK(kind_of([&] { parse(xml); }) == ErrorKind::kAuth);
  CHECK(impersonated_account(kImpersonate) == "trainer@p.iam.gserviceaccount.com");
}

TEST_CASE("impersonated_service_account: source credentials, delegates") {
  Adc a;
  a.write_adc({{"type", "impersonated_service_account"},
               {"service_account_impersonation_url", kImpersonate},
               {"delegates", {"middle@p.iam.gserviceaccount.com"}},
               {"quota_project_id", "billing"},
               {"source_credentials",
                {{"type", "authorized_user"},
                 {"client_id", "cid"},
                 {"client_secret", "cs"},
                 {"refresh_token", "1//rt"}}}});
  a.handler = [](const net::Request& r) {
    if (r.url == kDefaultTokenUri) {
      CHECK(form(std::get<std::string>(r.body))["grant_type"] == "refresh_token");
      return reply(200, R"({"access_token": "ya29.user", "expires_in": 3600})");
    }
    CHECK(header(r, "Authorization") == "Bearer ya29.user");
    auto body = nlohmann::json::parse(std::get<std::string>(r.body));
    CHECK(body["delegates"] ==
          nlohmann::json({"projects/-/serviceAccounts/middle@p.iam.gserviceaccount.com"}));
    CHECK(body["lifetime"] == "3600s");
    return reply(200, R"({"accessToken": "ya29.imp", "expireTime": "2027-01-15T08:20:00Z"})");
  };
  auto adc = a.make();
  CHECK(adc->access_token() == "ya29.imp");
  CHECK(adc->source().kind == AdcSource::Kind::kImpersonated);
  CHECK(adc->quota_project() == "billing");
  Adc bad;
  bad.write_adc({{"type", "impersonated_service_account"}});
  CHECK(kind_of([&] { bad.make()->access_token(); }) == ErrorKind::kAuth);
}
