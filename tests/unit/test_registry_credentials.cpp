#include <doctest/doctest.h>

#include <filesystem>

#include "registry/auth_challenge.h"
#include "registry/credentials.h"
#include "registry/registry_auth.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::registry;

namespace {

class FakeHelper : public CommandRunner {
 public:
  std::vector<std::string> argv;
  std::string stdin_seen;
  ProcessResult result;
  ProcessResult run(const std::vector<std::string>& a, const ProcessOptions& o) override {
    argv = a;
    stdin_seen = o.stdin_data.value_or("");
    return result;
  }
};

}  // namespace

TEST_CASE("WWW-Authenticate challenges") {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].param("realm") == "https://auth.example.com/token");
  CHECK(c[0].param("service") == "registry.example.com");
  CHECK(c[0].param("scope") == "repository:a/b:pull,push");
  auto two = parse_www_authenticate(
      R"(Basic realm="Registry Realm", Bearer realm="x",error="insufficient_scope")");
  REQUIRE(two.size() == 2);
  CHECK(two[0].scheme == "basic");
  CHECK(two[0].param("realm") == "Registry Realm");
  CHECK(two[1].param("error") == "insufficient_scope");
  auto escaped = parse_www_authenticate(R"(Bearer realm="a\"b", service=unquoted)");
  REQUIRE(escaped.size() == 1);
  CHECK(escaped[0].param("realm") == "a\"b");
  CHECK(escaped[0].param("service") == "unquoted");
}

TEST_CASE("docker config: auths, credHelpers, credsStore, identity tokens") {
  fs::TempDir dir;
  auto file = dir.path() / "config.json";
  fs::write_file_atomic(file, R"({
    "auths": {
      "https://registry.example.com:5000/v1/": {"auth": ")" +
                                  base64_encode("alice:s3cr:et") + R"("},
      "oauth.example.com": {"identitytoken": "refresh-123"},
      "https://index.docker.io/v1/": {"auth": ")" +
                                  base64_encode("hubuser:hubpw") + R"("}
    },
    "credHelpers": {"gcr.io": "gcloud"},
    "credsStore": "desktop"
  })");
  FakeHelper helper;
  DockerConfigCredentials creds({file}, &helper);
  auto a = creds.for_registry("registry.example.com:5000");
  REQUIRE(a);
  CHECK(a->username == "alice");
  CHECK(a->password == "s3cr:et");
  auto o = creds.for_registry("oauth.example.com");
  REQUIRE(o);
  CHECK(o->identity_token == "refresh-123");
  auto hub = creds.for_registry("docker.io");
  REQUIRE(hub);
  CHECK(hub->username == "hubuser");
  CHECK(auth_key_host("https://Registry.Example.com:5000/v1/") == "registry.example.com:5000");
}

TEST_CASE("docker config: a credential helper is asked with the host on stdin") {
  fs::TempDir dir;
  auto bin = dir.path() / "bin";
  std::filesystem::create_directories(bin);
  // which() must find the helper; the FakeHelper answers instead of running it.
  fs::write_file_atomic(bin / "docker-credential-fake", "#!/bin/sh\n", 0755);
  std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", (bin.string() + ":" + old_path).c_str(), 1);
  auto file = dir.path() / "config.json";
  fs::write_file_atomic(file, R"({"credHelpers": {"helped.example.com": "fake"}})");
  FakeHelper helper;
  helper.result.exit_code = 0;
  helper.result.out = R"({"ServerURL":"helped.example.com","Username":"bob","Secret":"pw"})";
  DockerConfigCredentials creds({file}, &helper);
  auto c = creds.for_registry("helped.example.com");
  REQUIRE(c);
  CHECK(c->username == "bob");
  CHECK(c->password == "pw");
  CHECK(helper.argv == std::vector<std::string>{"docker-credential-fake", "get"});
  CHECK(helper.stdin_seen == "helped.example.com");

  helper.result.out = R"({"Username":"<token>","Secret":"refresh"})";
  auto t = creds.for_registry("helped.example.com");
  REQUIRE(t);
  CHECK(t->identity_token == "refresh");

  helper.result.exit_code = 1;
  helper.result.out = "credentials not found in native keychain";
  CHECK_FALSE(creds.for_registry("helped.example.com"));
  helper.result.out = "boom";
  CHECK_THROWS_AS(creds.for_registry("helped.example.com"), Error);
  setenv("PATH", old_path.c_str(), 1);
}

TEST_CASE("a plain-HTTP token realm is refused unless its host may use plain HTTP") {
  NullObserver quiet;
  net::TransportConfig config;
  config.connect_to.clear();
  net::HttpClient http(config, quiet);
  for (const char* realm : {"http://127.0.0.1.nip.io/token", "http://auth.example.com/token",
                            "ftp://auth.example.com/token", "auth.example.com/token"}) {
    CAPTURE(realm);
    RegistryAuth auth(http, "127.0.0.1:5000", Credential{"alice", "secret", "", "test"});
    net::Response challenge;
    challenge.status = 401;
    challenge.headers = {{"www-authenticate", std::string("Bearer realm=\"") + realm + "\""}};
    REQUIRE(auth.learn(challenge));
    try {
      auth.authorization({"repository:a:pull"});
      FAIL("the realm was accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kAuth);
      CHECK(std::string(e.what()).find("refused") != std::string::npos);
      CHECK(std::string(e.what()).find("secret") == std::string::npos);
    }
  }
}
