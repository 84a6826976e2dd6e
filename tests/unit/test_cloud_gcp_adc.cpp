#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "cloud/gcp/adc.h"
#include "cloud/gcp/artifact_registry_credentials.h"
#include "net/transport_config.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

using namespace mlbox;
using namespace mlbox::cloud::gcp;
using mlbox::fs::TempDir;
using mlbox::fs::write_file_atomic;

namespace {

struct TestKey {
  std::string private_pem;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, &EVP_PKEY_free};
};

TestKey make_key() {
  TestKey k;
  k.pkey.reset(EVP_RSA_gen(2048));
  REQUIRE(k.pkey);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), k.pkey.get(), nullptr, nullptr, 0, nullptr, nullptr));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  k.private_pem.assign(data, static_cast<size_t>(n));
  return k;
}

std::string unbase64url(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  auto out = base64_decode(s);
  REQUIRE(out.has_value());
  return *out;
}

bool verify_rs256(EVP_PKEY* pkey, const std::string& input, const std::string& sig) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey);
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const auto& kv : split(body, '&')) {
    auto eq = kv.find('=');
    std::string v = kv.substr(eq + 1), dec;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%') {
        dec.push_back(static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        dec.push_back(v[i]);
      }
    }
    out[kv.substr(0, eq)] = dec;
  }
  return out;
}

net::Outcome reply(long status, const std::string& body, net::Headers headers = {}) {
  net::Outcome o;
  o.response.status = status;
  o.response.body = body;
  o.response.headers = std::move(headers);
  return o;
}

}  // namespace

TEST_CASE("service-account key: RS256 JWT bearer grant, verified, cached until near expiry") {
  TempDir dir;
  TestKey key = make_key();
  nlohmann::json sa = {{"type", "service_account"},
                       {"project_id", "p1"},
                       {"private_key_id", "kid-123"},
                       {"private_key", key.private_pem},
                       {"client_email", "trainer@p1.iam.gserviceaccount.com"},
                       {"token_uri", "http://127.0.0.1:9/token"}};
  auto file = dir.path() / "sa.json";
  write_file_atomic(file, sa.dump());
  int64_t now = 1'700'000'000;
  int calls = 0;
  AdcCredentials::Options o;
  o.env = config::env_from_map({{"GOOGLE_APPLICATION_CREDENTIALS", file.string()}});
  o.now = [&] { return now; };
  o.send = [&](const net::Request& r, const net::RetryPolicy&) {
    ++calls;
    CHECK(r.method == "POST");
    CHECK(r.url == "http://127.0.0.1:9/token");
    auto form = parse_form(std::get<std::string>(r.body));
    CHECK(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer");
    auto parts = split(form["assertion"], '.');
    REQUIRE(parts.size() == 3);
    auto header = nlohmann::json::parse(unbase64url(parts[0]));
    auto claims = nlohmann::json::parse(unbase64url(parts[1]));
    CHECK(header["alg"] == "RS256");
    CHECK(header["kid"] == "kid-123");
    CHECK(claims["iss"] == "trainer@p1.iam.gserviceaccount.com");
    CHECK(claims["aud"] == "http://127.0.0.1:9/token");
    CHECK(claims["scope"] == kCloudPlatformScope);
    CHECK(claims["iat"] == now);
    CHECK(claims["exp"] == now + 3600);
    CHECK(verify_rs256(key.pkey.get(), parts[0] + "." + parts[1], unbase64url(parts[2])));
    return reply(200, nlohmann::json({{"access_token", "ya29.tok" + std::to_string(calls)},
                                      {"expires_in", 3600},
                                      {"token_type", "Bearer"}})
                          .dump());
  };
  AdcCredentials adc(o);
  CHECK(adc.access_token() == "ya29.tok1");
  CHECK(adc.source().kind == AdcSource::Kind::kServiceAccount);
  CHECK(adc.source().describe().find("trainer@p1") != std::string::npos);
  now += 3000;  // 10 minutes left: still cached
  CHECK(adc.access_token() == "ya29.tok1");
  now += 400;  // under 5 minutes left: refreshed
  CHECK(adc.access_token() == "ya29.tok2");
  CHECK(calls == 2);
}

TEST_CASE("an OAuth error names the file, the status, the error and what to do") {
  TempDir dir;
  TestKey key = make_key();
  nlohmann::json sa = {{"type", "service_account"},
                       {"private_key", key.private_pem},
                       {"client_email", "x@p.iam.gserviceaccount.com"},
                       {"token_uri", "https://oauth2.example/token"}};
  auto file = dir.path() / "key.json";
  write_file_atomic(file, sa.dump());
  std::string assertion;
  AdcCredentials::Options o;
  o.env = config::env_from_map({{"GOOGLE_APPLICATION_CREDENTIALS", file.string()}});
  o.send = [&](const net::Request& r, const net::RetryPolicy&) {
    assertion = parse_form(std::get<std::string>(r.body))["assertion"];
    return reply(400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})");
  };
  AdcCredentials adc(o);
  try {
    adc.access_token();
    FAIL("no error");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(e.kind() == ErrorKind::kAuth);
    CHECK(m.find(file.string()) != std::string::npos);
    CHECK(m.find("https://oauth2.example/token") != std::string::npos);
    CHECK(m.find("HTTP 400") != std::string::npos);
    CHECK(m.find("invalid_grant") != std::string::npos);
    CHECK(m.find("Invalid JWT Signature.") != std::string::npos);
    CHECK(e.hint().find("gcloud auth application-default login") != std::string::npos);
    CHECK(m.find(assertion.substr(0, 20)) == std::string::npos);
  }
}

TEST_CASE("authorized_user from $CLOUDSDK_CONFIG: refresh_token grant to the default URI") {
  TempDir dir;
  write_file_atomic(dir.path() / "application_default_credentials.json",
                    nlohmann::json({{"type", "authorized_user"},
                                    {"client_id", "cid.apps.googleusercontent.com"},
                                    {"client_secret", "s3cr et"},
                                    {"refresh_token", "1//rt"}})
                        .dump());
  AdcCredentials::Options o;
  o.env =
      config::env_from_map({{"CLOUDSDK_CONFIG", dir.path().string()}, {"HOME", "/nonexistent"}});
  o.send = [&](const net::Request& r, const net::RetryPolicy&) {
    CHECK(r.url == kDefaultTokenUri);
    auto form = parse_form(std::get<std::string>(r.body));
    CHECK(form["grant_type"] == "refresh_token");
    CHECK(form["client_id"] == "cid.apps.googleusercontent.com");
    CHECK(form["client_secret"] == "s3cr et");
    CHECK(form["refresh_token"] == "1//rt");
    return reply(200, R"({"access_token":"ya29.user","expires_in":3599})");
  };
  AdcCredentials adc(o);
  CHECK(adc.access_token() == "ya29.user");
  CHECK(adc.source().kind == AdcSource::Kind::kAuthorizedUser);
}

TEST_CASE("the metadata server is tried last, with Metadata-Flavor: Google") {
  int probes = 0;
  AdcCredentials::Options o;
  o.env = config::env_from_map({{"HOME", "/nonexistent"}, {"GCE_METADATA_HOST", "127.0.0.1:7"}});
  o.send = [](const net::Request&, const net::RetryPolicy&) -> net::Outcome {
    FAIL("no token endpoint expected");
    return {};
  };
  o.metadata_send = [&](const net::Request& r, const net::RetryPolicy&) {
    CHECK(r.headers == net::Headers{{"Metadata-Flavor", "Google"}});
    if (r.url == "http://127.0.0.1:7/") {
      ++probes;
      return reply(200, "", {{"metadata-flavor", "Google"}});
    }
    CHECK(r.url == "http://127.0.0.1:7/computeMetadata/v1/instance/service-accounts/default/token");
    return reply(200, R"({"access_token":"ya29.meta","expires_in":1800,"token_type":"Bearer"})",
                 {{"metadata-flavor", "Google"}});
  };
  AdcCredentials adc(o);
  CHECK(adc.available());
  CHECK(adc.access_token() == "ya29.meta");
  CHECK(adc.access_token() == "ya29.meta");
  CHECK(probes == 1);
}

TEST_CASE("no credentials anywhere: Error(kAuth) saying what was tried and what to do") {
  AdcCredentials::Options o;
  o.env = config::env_from_map({{"HOME", "/nonexistent"}, {"NO_GCE_CHECK", "true"}});
  AdcCredentials adc(o);
  CHECK_FALSE(adc.available());
  try {
    adc.access_token();
    FAIL("no error");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(e.kind() == ErrorKind::kAuth);
    CHECK(m.find("GOOGLE_APPLICATION_CREDENTIALS is not set") != std::string::npos);
    CHECK(m.find("/nonexistent/.config/gcloud/application_default_credentials.json") !=
          std::string::npos);
    CHECK(e.hint().find("gcloud auth application-default login") != std::string::npos);
  }
  o.env = config::env_from_map({{"GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/k.json"}});
  AdcCredentials missing(o);
  CHECK_THROWS_AS(missing.available(), Error);
}

TEST_CASE("Google registries are recognised; others are left to other providers") {
  CHECK(is_google_registry("gcr.io"));
  CHECK(is_google_registry("eu.gcr.io"));
  CHECK(is_google_registry("us-docker.pkg.dev"));
  CHECK(is_google_registry("europe-west4-docker.pkg.dev:443"));
  CHECK_FALSE(is_google_registry("docker.io"));
  CHECK_FALSE(is_google_registry("evilgcr.io"));
  CHECK_FALSE(is_google_registry("123.dkr.ecr.us-east-1.amazonaws.com"));
  NullObserver observer;
  int made = 0;
  ArtifactRegistryCredentials creds(
      [&] {
        ++made;
        AdcCredentials::Options o;
        o.env = config::env_from_map({{"HOME", "/nonexistent"}, {"NO_GCE_CHECK", "1"}});
        return std::make_unique<AdcCredentials>(o);
      },
      observer);
  CHECK_FALSE(creds.for_registry("registry.example:5000"));
  CHECK(made == 0);
  CHECK_FALSE(creds.for_registry("gcr.io"));  // no ADC: anonymous, with a warning
  CHECK(made == 1);
}

TEST_CASE("MLBOX_CONNECT_TO rules use curl's --connect-to syntax") {
  CHECK(net::parse_connect_to("gcr.io:443:127.0.0.1:5000") ==
        std::vector<std::string>{"gcr.io:443:127.0.0.1:5000"});
  CHECK(net::parse_connect_to(" a:443:127.0.0.1:1, b::127.0.0.1:2 ").size() == 2);
  CHECK(net::parse_connect_to("").empty());
  CHECK_THROWS_AS(net::parse_connect_to("gcr.io:127.0.0.1:5000"), Error);
}
