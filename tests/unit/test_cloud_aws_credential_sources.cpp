#include <doctest/doctest.h>

#include <fmt/format.h>

#include "cloud/aws/container_credentials.h"
#include "cloud/aws/credential_chain.h"
#include "cloud/aws/credential_process.h"
#include "cloud/aws/instance_metadata_credentials.h"
#include "cloud/aws/sso_credentials.h"
#include "cloud/aws/sts_requests.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox::cloud::aws;
using mlbox::ErrorKind;
using mlbox::config::env_from_map;
using mlbox::net::Outcome;
using mlbox::net::Request;
using mlbox::net::RetryPolicy;

namespace {

ErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const mlbox::Error& e) {
    if (message) *message = std::string(e.what()) + " | " + e.hint();
    return e.kind();
  }
  return ErrorKind::kInternal;
}

Outcome reply(long status, std::string body) {
  Outcome o;
  o.response.status = status;
  o.response.body = std::move(body);
  return o;
}

std::string sts_xml(const std::string& op, const std::string& key) {
  return fmt::format(
      "<{0}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{0}Result>"
      "<Credentials><AccessKeyId>{1}</AccessKeyId><SecretAccessKey>s&amp;cret</SecretAccessKey>"
      "<SessionToken>tok</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>"
      "</Credentials></{0}Result></{0}Response>",
      op, key);
}

std::string form_value(const std::string& body, const std::string& name) {
  auto at = body.find(name + "=");
  if (at == std::string::npos) return "";
  auto end = body.find('&', at);
  return body.substr(at + name.size() + 1,
                     end == std::string::npos ? std::string::npos : end - at - name.size() - 1);
}

class FakeRunner : public mlbox::CommandRunner {
 public:
  mlbox::ProcessResult result;
  std::vector<std::string> argv;
  mlbox::ProcessResult run(const std::vector<std::string>& a,
                           const mlbox::ProcessOptions&) override {
    argv = a;
    return result;
  }
};

// A home with ~/.aws files and a chain whose HTTP goes to `sts` (STS, SSO) and
// `metadata` (container, IMDS).
struct Setup {
  mlbox::fs::TempDir dir;
  std::map<std::string, std::string> env;
  std::vector<Request> sent;
  std::function<Outcome(const Request&)> sts;
  std::function<Outcome(const Request&)> metadata;
  FakeRunner runner;
  int64_t now = 1'800'000'000;

  Setup(const std::string& credentials, const std::string& config) {
    std::filesystem::create_directories(dir.path() / ".aws");
    mlbox::fs::write_file_atomic(dir.path() / ".aws/credentials", credentials);
    mlbox::fs::write_file_atomic(dir.path() / ".aws/config", config);
    env = {{"HOME", dir.path().string()}, {"AWS_REGION", "eu-west-1"}};
  }
  std::unique_ptr<AwsCredentialChain> chain(bool disk_cache = false) {
    AwsCredentialChain::Options o;
    o.env = env_from_map(env);
    o.send = [this](const Request& r, const RetryPolicy&) {
      sent.push_back(r);
      if (!sts) FAIL("unexpected request to " << r.url);
      return sts(r);
    };
    o.metadata_send = [this](const Request& r, const RetryPolicy&) {
      sent.push_back(r);
      if (!metadata) return Outcome{};  // nothing answers: not on AWS
      return metadata(r);
    };
    o.runner = &runner;
    o.now = [this] { return now; };
    if (disk_cache) o.cache_dir = dir.path() / "cache";
    return std::make_unique<AwsCredentialChain>(std::move(o));
  }
};

std::string body_of(const Request& r) {
  return std::get<std::string>(r.body);
}

}  // namespace

TEST_CASE("credential_process: command lines and the Version 1 document") {
  CHECK(split_command_line("/bin/tool --a 'b c' \"d \\\"e\\\"\" f\\ g", "p") ==
        std::vector<std::string>{"/bin/tool", "--a", "b c", "d \"e\"", "f g"});
  CHECK(kind_of([] { split_command_line("tool 'open", "p"); }) == ErrorKind::kConfig);
  CHECK(kind_of([] { split_command_line("   ", "p"); }) == ErrorKind::kConfig);

  auto c = parse_credential_process_output(
      R"({"Version": 1, "AccessKeyId": "AK", "SecretAccessKey": "SK", "SessionToken": "T",
          "Expiration": "2030-01-01T00:00:00Z"})",
      "p");
  CHECK(c.access_key_id == "AK");
  CHECK(c.session_token == "T");
  CHECK(c.expires_at == 1893456000);
  auto forever = parse_credential_process_output(
      R"({"Version": 1, "AccessKeyId": "AK", "SecretAccessKey": "SK"})", "p");
  CHECK(forever.expires_at == 0);
  std::string m;
  CHECK(kind_of([] { parse_credential_process_output("garbage", "p"); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("not a JSON object") != std::string::npos);
  CHECK(kind_of([] {
          parse_credential_process_output(
              R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"})", "p");
        }) == ErrorKind::kAuth);
  CHECK(
      kind_of([] { parse_credential_process_output(R"({"Version": 1, "AccessKeyId": "A"})", "p"); },
              &m) == ErrorKind::kAuth);
  CHECK(m.find("SecretAccessKey") != std::string::npos);
  CHECK(
      kind_of(
          [] {
            parse_credential_process_output(
                R"({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "TOPSECRET", "Expiration": "soon"})",
                "p");
          },
          &m) == ErrorKind::kAuth);
  CHECK(m.find("TOPSECRET") == std::string::npos);

  FakeRunner runner;
  runner.result.exit_code = 3;
  runner.result.err = "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n";
  CHECK(kind_of([&] { run_credential_process(runner, "tool --x", "p"); }, &m) == ErrorKind::kAuth);
  CHECK(runner.argv == std::vector<std::string>{"tool", "--x"});
  CHECK(m.find("exited with status 3") != std::string::npos);
  CHECK(m.find("line 6") != std::string::npos);
  CHECK(m.find("line 1") == std::string::npos);  // only the last lines
}

TEST_CASE("STS: request bodies and <Credentials>") {
  AssumeRoleParams p{"arn:aws:iam::123456789012:role/ci", "gh run", "ext", 900};
  CHECK(assume_role_body(p) ==
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci"
        "&RoleSessionName=gh%20run&DurationSeconds=900&ExternalId=ext");
  CHECK(form_value(assume_role_with_web_identity_body(p, "a.b+c"), "WebIdentityToken") ==
        "a.b%2Bc");
  auto c = parse_sts_credentials(sts_xml("AssumeRole", "ASIA1"), "x");
  CHECK(c.access_key_id == "ASIA1");
  CHECK(c.secret_access_key == "s&cret");
  CHECK(c.expires_at == 1893456000);
  CHECK(kind_of([] { parse_sts_credentials("<x/>", "x"); }) == ErrorKind::kRemote);
}

TEST_CASE("chain: botocore's order") {
  Setup s("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n",
          "[default]\ncredential_process = tool\n");
  s.runner.result.exit_code = 0;
  s.runner.result.out = R"({"Version": 1, "AccessKeyId": "PROCKEY", "SecretAccessKey": "s"})";
  SUBCASE("the credentials file before credential_process") {
    CHECK(s.chain()->credentials().access_key_id == "FILEKEY");
  }
  SUBCASE("web identity before the credentials file") {
    mlbox::fs::write_file_atomic(s.dir.path() / "token", "eyJ.header.sig\n");
    s.env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (s.dir.path() / "token").string();
    s.env["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/ci";
    s.env["AWS_ROLE_SESSION_NAME"] = "run-7";
    s.sts = [](const Request& r) {
      CHECK(r.url == "https://sts.eu-west-1.amazonaws.com/");
      CHECK(form_value(body_of(r), "WebIdentityToken") == "eyJ.header.sig");
      CHECK(form_value(body_of(r), "RoleSessionName") == "run-7");
      for (const auto& h : r.headers) CHECK(h.first != "Authorization");  // unsigned
      return reply(200, sts_xml("AssumeRoleWithWebIdentity", "ASIAWEB"));
    };
    auto c = s.chain()->credentials();
    CHECK(c.access_key_id == "ASIAWEB");
    CHECK(c.source.find("AssumeRoleWithWebIdentity") != std::string::npos);
    // STS endpoint overrides: the service's variable, then the global one.
    s.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000/";
    s.sts = [](const Request& r) {
      CHECK(r.url == "http://127.0.0.1:9000/");
      return reply(200, sts_xml("AssumeRoleWithWebIdentity", "ASIAWEB"));
    };
    s.chain()->credentials();
    s.env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9001";
    s.sts = [](const Request& r) {
      CHECK(r.url == "http://127.0.0.1:9001/");
      return reply(200, sts_xml("AssumeRoleWithWebIdentity", "ASIAWEB"));
    };
    s.chain()->credentials();
    // No region at all: the global endpoint, signed for us-east-1.
    s.env.erase("AWS_ENDPOINT_URL");
    s.env.erase("AWS_ENDPOINT_URL_STS");
    s.env.erase("AWS_REGION");
    s.env["AWS_CONFIG_FILE"] = (s.dir.path() / "none").string();
    s.sts = [](const Request& r) {
      CHECK(r.url == "https://sts.amazonaws.com/");
      return reply(200, sts_xml("AssumeRoleWithWebIdentity", "ASIAWEB"));
    };
    s.chain()->credentials();
  }
  SUBCASE("credential_process before keys in the config file") {
    s.env["AWS_SHARED_CREDENTIALS_FILE"] = (s.dir.path() / "none").string();
    CHECK(s.chain()->credentials().access_key_id == "PROCKEY");
    CHECK(s.runner.argv == std::vector<std::string>{"tool"});
  }
  SUBCASE("the container endpoint, then IMDS, when no profile has credentials") {
    s.env["AWS_SHARED_CREDENTIALS_FILE"] = (s.dir.path() / "none").string();
    s.env["AWS_CONFIG_FILE"] = (s.dir.path() / "none").string();
    s.env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
    s.metadata = [](const Request& r) {
      CHECK(r.url == "http://169.254.170.2/v2/credentials/abc");
      return reply(200, R"({"AccessKeyId": "TASK", "SecretAccessKey": "s", "Token": "t",
                            "Expiration": "2030-01-01T00:00:00Z"})");
    };
    auto c = s.chain()->credentials();
    CHECK(c.access_key_id == "TASK");
    CHECK(c.expires_at == 1893456000);
  }
}

TEST_CASE("chain: IMDSv2 needs the session token; nothing answering means no credentials") {
  Setup s("", "");
  s.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9/";
  std::string m;
  CHECK(kind_of([&] { s.chain()->credentials(); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("no EC2 instance role at http://127.0.0.1:9") != std::string::npos);
  CHECK(m.find("AWS_WEB_IDENTITY_TOKEN_FILE") != std::string::npos);
  s.sent.clear();
  s.metadata = [](const Request& r) {
    if (r.method == "PUT") {
      CHECK(r.url == "http://127.0.0.1:9/latest/api/token");
      CHECK(r.headers.front().first == "X-aws-ec2-metadata-token-ttl-seconds");
      return reply(200, "SESSION");
    }
    bool has = false;
    for (const auto& h : r.headers)
      has |= h.first == "X-aws-ec2-metadata-token" && h.second == "SESSION";
    if (!has) return reply(401, "");
    if (r.url.ends_with("/security-credentials/")) return reply(200, "role-x\n");
    CHECK(r.url.ends_with("/security-credentials/role-x"));
    return reply(200, R"({"Code": "Success", "AccessKeyId": "EC2", "SecretAccessKey": "s",
                          "Token": "t", "Expiration": "2030-01-01T00:00:00Z"})");
  };
  CHECK(s.chain()->credentials().access_key_id == "EC2");
  s.env["AWS_EC2_METADATA_DISABLED"] = "true";
  s.sent.clear();
  CHECK(kind_of([&] { s.chain()->credentials(); }) == ErrorKind::kAuth);
  CHECK(s.sent.empty());
}

TEST_CASE("chain: assumed roles, chains, loops, caching") {
  Setup s("[base]\naws_access_key_id = BASEKEY\naws_secret_access_key = basesecret\n",
          "[profile deploy]\nrole_arn = arn:aws:iam::1:role/deploy\nsource_profile = base\n"
          "external_id = ext-1\nrole_session_name = sess\n"
          "[profile second]\nrole_arn = arn:aws:iam::1:role/second\nsource_profile = deploy\n"
          "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
          "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
          "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
          "credential_source = Environment\n"
          "[profile envsrc]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Environment\n"
          "[profile self]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self\n"
          "aws_access_key_id = SELFKEY\naws_secret_access_key = selfsecret\n");
  int calls = 0;
  s.sts = [&](const Request& r) {
    ++calls;
    std::string auth;
    for (const auto& h : r.headers)
      if (h.first == "Authorization") auth = h.second;
    std::string role = form_value(body_of(r), "RoleArn");
    if (role.ends_with("deploy")) {
      CHECK(auth.find("Credential=BASEKEY/") != std::string::npos);
      CHECK(form_value(body_of(r), "ExternalId") == "ext-1");
      CHECK(form_value(body_of(r), "RoleSessionName") == "sess");
      return reply(200, sts_xml("AssumeRole", "ASIADEPLOY"));
    }
    if (role.ends_with("second")) {
      CHECK(auth.find("Credential=ASIADEPLOY/") != std::string::npos);
      return reply(200, sts_xml("AssumeRole", "ASIASECOND"));
    }
    if (role.ends_with("2Fs")) {
      CHECK(auth.find("Credential=SELFKEY/") != std::string::npos);
      return reply(200, sts_xml("AssumeRole", "ASIASELF"));
    }
    CHECK(auth.find("Credential=ENVKEY/") != std::string::npos);
    return reply(200, sts_xml("AssumeRole", "ASIAENV"));
  };
  SUBCASE("source_profile, cached in memory and on disk") {
    s.env["AWS_PROFILE"] = "deploy";
    auto chain = s.chain(true);
    CHECK(chain->credentials().access_key_id == "ASIADEPLOY");
    CHECK(chain->credentials().access_key_id == "ASIADEPLOY");
    CHECK(calls == 1);
    CHECK(chain->resolutions() == 1);
    // A new process finds the role on disk, until 5 minutes before it expires.
    CHECK(s.chain(true)->credentials().access_key_id == "ASIADEPLOY");
    CHECK(calls == 1);
    s.now = 1893456000 - 200;
    CHECK(s.chain(true)->credentials().access_key_id == "ASIADEPLOY");
    CHECK(calls == 2);
    auto files = std::distance(std::filesystem::directory_iterator(s.dir.path() / "cache"),
                               std::filesystem::directory_iterator());
    CHECK(files == 1);
    auto perms =
        std::filesystem::status(std::filesystem::directory_iterator(s.dir.path() / "cache")->path())
            .permissions();
    CHECK((perms & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
  SUBCASE("a role chain: each role assumed with the previous one's credentials") {
    s.env["AWS_PROFILE"] = "second";
    CHECK(s.chain()->credentials().access_key_id == "ASIASECOND");
    CHECK(calls == 2);
  }
  SUBCASE("a loop is a config error naming it") {
    s.env["AWS_PROFILE"] = "a";
    std::string m;
    CHECK(kind_of([&] { s.chain()->credentials(); }, &m) == ErrorKind::kConfig);
    CHECK(m.find("a -> b -> a") != std::string::npos);
    CHECK(calls == 0);
  }
  SUBCASE("a profile naming itself uses its own keys") {
    s.env["AWS_PROFILE"] = "self";
    CHECK(s.chain()->credentials().access_key_id == "ASIASELF");
  }
  SUBCASE("source_profile and credential_source together are refused") {
    s.env["AWS_PROFILE"] = "both";
    CHECK(kind_of([&] { s.chain()->credentials(); }) == ErrorKind::kConfig);
  }
  SUBCASE("credential_source = Environment") {
    s.env["AWS_PROFILE"] = "envsrc";
    CHECK(kind_of([&] { s.chain()->credentials(); }) == ErrorKind::kAuth);
    // Environment keys win over everything, so the source is read by the role only.
    s.env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
    s.env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
    CHECK(s.chain()->credentials().access_key_id == "ENVKEY");
  }
  SUBCASE("STS errors are auth errors with STS's code") {
    s.env["AWS_PROFILE"] = "deploy";
    s.sts = [](const Request&) {
      return reply(403,
                   "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                   "<Message>not authorized</Message></Error></ErrorResponse>");
    };
    std::string m;
    CHECK(kind_of([&] { s.chain()->credentials(); }, &m) == ErrorKind::kAuth);
    CHECK(m.find("HTTP 403 AccessDenied: not authorized") != std::string::npos);
    CHECK(m.find("sts:AssumeRole") != std::string::npos);
  }
}

TEST_CASE("chain: expiring credentials are renewed 5 minutes early") {
  Setup s("", "");
  mlbox::fs::write_file_atomic(s.dir.path() / "token", "tok");
  s.env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (s.dir.path() / "token").string();
  s.env["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/ci";
  int calls = 0;
  s.sts = [&](const Request&) {
    ++calls;
    return reply(200, sts_xml("AssumeRoleWithWebIdentity", "K"));
  };
  auto chain = s.chain();
  chain->credentials();
  s.now = 1893456000 - 301;
  chain->credentials();
  CHECK(calls == 1);
  s.now = 1893456000 - 299;
  chain->credentials();
  CHECK(calls == 2);
  // A role ARN without a token file is not web identity; a token file without one is an error.
  s.env.erase("AWS_ROLE_ARN");
  CHECK(kind_of([&] { s.chain()->credentials(); }) == ErrorKind::kConfig);
}

TEST_CASE("SSO: settings, the login cache, GetRoleCredentials") {
  Setup s(
      "",
      "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
      "sso_role_name = Dev\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
      "sso_region = us-east-2\n"
      "[profile legacy]\nsso_start_url = https://old.awsapps.com/start\nsso_region = eu-west-1\n"
      "sso_account_id = 111122223333\nsso_role_name = Dev\n"
      "[profile half]\nsso_session = corp\n");
  s.env["AWS_PROFILE"] = "dev";
  AwsConfigChain config(env_from_map(s.env));
  SsoSettings dev = sso_settings(config, config.profile_settings("dev"));
  CHECK(dev.start_url == "https://corp.awsapps.com/start");
  CHECK(dev.region == "us-east-2");
  // sha1("corp") and sha1 of the legacy start URL, as botocore names the cache files.
  CHECK(sso_cache_file("/h", dev) ==
        "/h/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json");
  SsoSettings legacy = sso_settings(config, config.profile_settings("legacy"));
  CHECK(sso_cache_file("/h", legacy).filename().string().size() == 45);
  CHECK(kind_of([&] { sso_settings(config, config.profile_settings("half")); }) ==
        ErrorKind::kConfig);

  std::string m;
  CHECK(kind_of([&] { s.chain()->credentials(); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("aws sso login --sso-session corp") != std::string::npos);
  auto cache = sso_cache_file(s.dir.path(), dev);
  mlbox::fs::write_file_atomic(
      cache, R"({"accessToken": "SSOTOKEN", "expiresAt": "2027-01-15T00:00:00Z"})");
  s.now = 1'900'000'000;  // after expiresAt
  CHECK(kind_of([&] { s.chain()->credentials(); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("expired") != std::string::npos);
  CHECK(m.find("aws sso login") != std::string::npos);
  s.now = 1'700'000'000;
  s.sts = [](const Request& r) {
    CHECK(r.url ==
          "https://portal.sso.us-east-2.amazonaws.com/federation/"
          "credentials?role_name=Dev&account_id=111122223333");
    CHECK(r.headers.front().first == "x-amz-sso_bearer_token");
    CHECK(r.headers.front().second == "SSOTOKEN");
    return reply(200, R"({"roleCredentials": {"accessKeyId": "SSOKEY", "secretAccessKey": "s",
                          "sessionToken": "t", "expiration": 1893456000000}})");
  };
  auto c = s.chain()->credentials();
  CHECK(c.access_key_id == "SSOKEY");
  CHECK(c.expires_at == 1893456000);
  s.sts = [](const Request&) {
    Outcome o = reply(401, R"({"message": "Session token not found or invalid"})");
    o.response.headers.push_back({"x-amzn-errortype", "UnauthorizedException:http://x"});
    return o;
  };
  CHECK(kind_of([&] { s.chain()->credentials(); }, &m) == ErrorKind::kAuth);
  CHECK(m.find("UnauthorizedException") != std::string::npos);
  CHECK(m.find("aws sso login") != std::string::npos);
}

TEST_CASE("container credentials: token file, plain HTTP only to the agents") {
  mlbox::fs::TempDir dir;
  mlbox::fs::write_file_atomic(dir.path() / "tok", "agent-token\n");
  std::string auth;
  AwsHttpSend send = [&](const Request& r, const RetryPolicy&) {
    for (const auto& h : r.headers)
      if (h.first == "Authorization") auth = h.second;
    return reply(200, R"({"AccessKeyId": "A", "SecretAccessKey": "S", "Token": "T"})");
  };
  auto c = container_credentials(
      send, env_from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/creds"},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (dir.path() / "tok").string()},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored"}}));
  REQUIRE(c);
  CHECK(auth == "agent-token");
  CHECK(kind_of([&] {
          container_credentials(
              send,
              env_from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://evil.example/creds"}}));
        }) == ErrorKind::kConfig);
  CHECK_FALSE(container_credentials(send, env_from_map({})));
}
