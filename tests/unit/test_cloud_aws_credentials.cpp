#include <doctest/doctest.h>

#include "cloud/aws/credential_chain.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox::cloud::aws;
using mlbox::config::env_from_map;

namespace {

struct AwsHome {
  mlbox::fs::TempDir dir;
  AwsHome(const std::string& credentials, const std::string& config) {
    std::filesystem::create_directories(dir.path() / ".aws");
    if (!credentials.empty())
      mlbox::fs::write_file_atomic(dir.path() / ".aws/credentials", credentials);
    if (!config.empty()) mlbox::fs::write_file_atomic(dir.path() / ".aws/config", config);
  }
  std::string home() const { return dir.path().string(); }
};

mlbox::ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const mlbox::Error& e) {
    return e.kind();
  }
  return mlbox::ErrorKind::kInternal;
}

// The chain with no metadata services and no network: any request is a test failure.
struct Chain {
  AwsCredentialChain chain;
  explicit Chain(std::map<std::string, std::string> env)
      : chain(
            AwsCredentialChain::Options{[env = with_no_imds(std::move(env))](const std::string& k) {
                                          return env_from_map(env)(k);
                                        },
                                        [](const mlbox::net::Request& r,
                                           const mlbox::net::RetryPolicy&) -> mlbox::net::Outcome {
                                          FAIL("unexpected request to " << r.url);
                                          return {};
                                        },
                                        [](const mlbox::net::Request& r,
                                           const mlbox::net::RetryPolicy&) -> mlbox::net::Outcome {
                                          FAIL("unexpected request to " << r.url);
                                          return {};
                                        },
                                        nullptr,
                                        nullptr,
                                        {}}) {}
  static std::map<std::string, std::string> with_no_imds(std::map<std::string, std::string> env) {
    env.emplace("AWS_EC2_METADATA_DISABLED", "true");
    return env;
  }
  AwsCredentials credentials() { return chain.credentials(); }
  std::optional<std::string> region() const { return chain.config().region(); }
  std::string region_source() const { return chain.config().region_source(); }
  std::string require_region() const { return chain.config().require_region(); }
};

}  // namespace

TEST_CASE("aws credentials: environment first") {
  AwsHome h("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n", "");
  Chain chain((std::map<std::string, std::string>{{"HOME", h.home()},
                                                  {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                                  {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                                                  {"AWS_SESSION_TOKEN", "tok"}}));
  auto c = chain.credentials();
  CHECK(c.access_key_id == "ENVKEY");
  CHECK(c.secret_access_key == "envsecret");
  CHECK(c.session_token == "tok");
  CHECK(c.source == "environment");
}

TEST_CASE("aws credentials: shared files, profiles and their sections") {
  AwsHome h(
      "# comment\n[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n"
      "[work]\naws_access_key_id=WORKKEY\naws_secret_access_key=worksecret\n"
      "aws_session_token = worktoken\n",
      "[default]\nregion = eu-west-1\n[profile work]\nregion = us-west-2\ns3 =\n"
      "  max_concurrent_requests = 4\n"
      "[profile conf-only]\naws_access_key_id = CONFKEY\naws_secret_access_key = confsecret\n"
      "[profile sso]\nsso_session = corp\n");
  SUBCASE("default profile") {
    Chain chain((std::map<std::string, std::string>{{"HOME", h.home()}}));
    CHECK(chain.credentials().access_key_id == "DEFKEY");
    CHECK(chain.region() == "eu-west-1");
  }
  SUBCASE("AWS_PROFILE picks [work] and [profile work]") {
    Chain chain((std::map<std::string, std::string>{{"HOME", h.home()}, {"AWS_PROFILE", "work"}}));
    auto c = chain.credentials();
    CHECK(c.access_key_id == "WORKKEY");
    CHECK(c.session_token == "worktoken");
    CHECK(c.source.find("[work]") != std::string::npos);
    CHECK(chain.region() == "us-west-2");
  }
  SUBCASE("keys in the config file") {
    Chain chain(
        (std::map<std::string, std::string>{{"HOME", h.home()}, {"AWS_PROFILE", "conf-only"}}));
    CHECK(chain.credentials().access_key_id == "CONFKEY");
  }
  SUBCASE("region env beats the profile") {
    Chain chain((std::map<std::string, std::string>{
        {"HOME", h.home()}, {"AWS_DEFAULT_REGION", "ap-south-1"}, {"AWS_PROFILE", "work"}}));
    CHECK(chain.region() == "ap-south-1");
    Chain chain2((std::map<std::string, std::string>{
        {"HOME", h.home()}, {"AWS_DEFAULT_REGION", "ap-south-1"}, {"AWS_REGION", "sa-east-1"}}));
    CHECK(chain2.region() == "sa-east-1");
    CHECK(chain2.region_source() == "env AWS_REGION");
  }
  SUBCASE("explicit file locations") {
    AwsHome other("[default]\naws_access_key_id = OTHER\naws_secret_access_key = s\n",
                  "[default]\nregion = ca-central-1\n");
    Chain chain((std::map<std::string, std::string>{
        {"HOME", h.home()},
        {"AWS_SHARED_CREDENTIALS_FILE", (other.dir.path() / ".aws/credentials").string()},
        {"AWS_CONFIG_FILE", (other.dir.path() / ".aws/config").string()}}));
    CHECK(chain.credentials().access_key_id == "OTHER");
    CHECK(chain.region() == "ca-central-1");
  }
  SUBCASE("an SSO profile whose session section is missing is a config error") {
    Chain chain((std::map<std::string, std::string>{{"HOME", h.home()}, {"AWS_PROFILE", "sso"}}));
    try {
      chain.credentials();
      FAIL("expected an error");
    } catch (const mlbox::Error& e) {
      CHECK(e.kind() == mlbox::ErrorKind::kConfig);
      CHECK(std::string(e.what()).find("[sso-session corp]") != std::string::npos);
    }
  }
  SUBCASE("an unknown explicit profile is a config error") {
    Chain chain((std::map<std::string, std::string>{{"HOME", h.home()}, {"AWS_PROFILE", "nope"}}));
    CHECK(kind_of([&] { chain.credentials(); }) == mlbox::ErrorKind::kConfig);
  }
}

TEST_CASE("aws credentials: none at all is an auth error naming what to set") {
  AwsHome h("", "");
  Chain chain((std::map<std::string, std::string>{{"HOME", h.home()}}));
  try {
    chain.credentials();
    FAIL("expected an error");
  } catch (const mlbox::Error& e) {
    CHECK(e.kind() == mlbox::ErrorKind::kAuth);
    CHECK(e.hint().find("AWS_ACCESS_KEY_ID") != std::string::npos);
  }
  CHECK_FALSE(chain.region().has_value());
  CHECK(kind_of([&] { chain.require_region(); }) == mlbox::ErrorKind::kConfig);
  // Half of a key pair is a mistake worth naming.
  Chain half((std::map<std::string, std::string>{{"HOME", h.home()}, {"AWS_ACCESS_KEY_ID", "K"}}));
  CHECK(kind_of([&] { half.credentials(); }) == mlbox::ErrorKind::kAuth);
}

TEST_CASE("aws endpoints: per-service env, global env, then the public endpoint") {
  CHECK(endpoint_env_name(logs_service()) == "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
  CHECK(endpoint_env_name(ecr_service()) == "AWS_ENDPOINT_URL_ECR");
  AwsConfigChain none(env_from_map({}));
  CHECK(none.endpoint(ecr_service(), "us-east-1") == "https://api.ecr.us-east-1.amazonaws.com");
  CHECK(none.endpoint(batch_service(), "cn-north-1") ==
        "https://batch.cn-north-1.amazonaws.com.cn");
  CHECK_FALSE(none.endpoint_overridden(ecr_service()));
  AwsConfigChain global(env_from_map({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"}}));
  CHECK(global.endpoint(logs_service(), "us-east-1") == "http://127.0.0.1:9000");
  AwsConfigChain both(
      env_from_map({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"},
                    {"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:9001"}}));
  CHECK(both.endpoint(logs_service(), "us-east-1") == "http://127.0.0.1:9001");
  CHECK(both.endpoint(ecr_service(), "us-east-1") == "http://127.0.0.1:9000");
  CHECK(both.endpoint_overridden(ecr_service()));
}

TEST_CASE("aws endpoints: the profile's services section and endpoint_url") {
  AwsHome h("",
            "[default]\nservices = local\nendpoint_url = http://127.0.0.1:7000\n"
            "[services local]\necr =\n  endpoint_url = http://127.0.0.1:7001/\n"
            "cloudwatch_logs =\n  endpoint_url = http://127.0.0.1:7002\n"
            "[profile plain]\nregion = us-east-1\n");
  AwsConfigChain c(env_from_map({{"HOME", h.home()}}));
  CHECK(c.endpoint(ecr_service(), "us-east-1") == "http://127.0.0.1:7001");
  CHECK(c.endpoint(logs_service(), "us-east-1") == "http://127.0.0.1:7002");
  CHECK(c.endpoint(batch_service(), "us-east-1") == "http://127.0.0.1:7000");
  CHECK(c.endpoint_overridden(batch_service()));
  // The service variable beats the services section; the global one beats endpoint_url.
  AwsConfigChain e(env_from_map({{"HOME", h.home()},
                                 {"AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:8001"},
                                 {"AWS_ENDPOINT_URL", "http://127.0.0.1:8000"}}));
  CHECK(e.endpoint(ecr_service(), "us-east-1") == "http://127.0.0.1:8001");
  CHECK(e.endpoint(logs_service(), "us-east-1") == "http://127.0.0.1:7002");
  CHECK(e.endpoint(batch_service(), "us-east-1") == "http://127.0.0.1:8000");
  AwsConfigChain off(
      env_from_map({{"HOME", h.home()}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}}));
  CHECK(off.endpoint(ecr_service(), "us-east-1") == "https://api.ecr.us-east-1.amazonaws.com");
  AwsConfigChain plain(env_from_map({{"HOME", h.home()}, {"AWS_PROFILE", "plain"}}));
  CHECK_FALSE(plain.endpoint_overridden(ecr_service()));
  CHECK(services_key(logs_service()) == "cloudwatch_logs");
}

TEST_CASE("aws ini: sections, comments, nested values") {
  auto ini = parse_aws_ini("[a]\nx = 1\n; c\n# c\ny=2\r\nnested =\n  z = 3\n[profile b]\nx=4\n");
  CHECK(ini["a"]["x"] == "1");
  CHECK(ini["a"]["y"] == "2");
  CHECK(ini["a"].count("z") == 0);
  CHECK(ini["a"]["nested.z"] == "3");
  CHECK(ini["profile b"]["x"] == "4");
}
