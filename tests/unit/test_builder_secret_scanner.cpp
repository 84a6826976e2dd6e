#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "builder/context_filter.h"
#include "builder/secret_scan_cache.h"
#include "builder/secret_scanner.h"
#include "builder/secret_stream.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/strings.h"

using namespace mlbox;
using namespace mlbox::builder;
namespace stdfs = std::filesystem;

namespace {

// The corpus is generated per run (fresh keys, random tokens): nothing real-looking is
// committed.
const stdfs::path& corpus() {
  static fs::TempDir dir;
  static bool made = false;
  if (!made) {
    auto r = run_process({"/usr/bin/env", "bash",
                          std::string(MLBOX_SOURCE_DIR) + "/tests/fixtures/secrets/make_corpus.sh",
                          dir.path().string()});
    REQUIRE_MESSAGE(r.ok(), r.err);
    made = true;
  }
  return dir.path();
}

std::vector<SecretFinding> scan_dir(const stdfs::path& root, std::vector<std::string> allow = {}) {
  auto files = list_build_context(root, {}).files();
  SecretScanOptions o;
  o.allow = std::move(allow);
  return scan_for_secrets(root, files, o);
}

}  // namespace

TEST_CASE("secret scanner: every case of the corpus is refused, and allowed when listed") {
  std::string tsv = fs::read_file(corpus() / "cases.tsv");
  std::set<std::string> kinds;
  int cases = 0;
  for (const auto& line : split(tsv, '\n')) {
    if (line.empty()) continue;
    auto cols = split(line, '\t');
    REQUIRE((cols.size() == 3 || cols.size() == 4));
    const std::string &name = cols[0], &file = cols[1], &kind = cols[2];
    const std::string member = cols.size() == 4 ? cols[3] : "";
    stdfs::path root = corpus() / "cases" / name;
    auto findings = scan_dir(root);
    INFO("case " << name);
    for (const auto& f : findings) INFO(f.path << " " << f.member << ": " << f.kind);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].path == file);
    CHECK(findings[0].member == member);
    CHECK(findings[0].kind == kind);
    CHECK_FALSE(findings[0].reason.empty());
    if (kind != "keystore") CHECK(findings[0].line >= 1);
    CHECK(scan_dir(root, {file}).empty());
    // A directory pattern allows what is below it, as in .dockerignore.
    auto slash = file.find('/');
    if (slash != std::string::npos) CHECK(scan_dir(root, {file.substr(0, slash)}).empty());
    CHECK(scan_dir(root, {"unrelated.txt"}).size() == 1);
    kinds.insert(kind);
    ++cases;
  }
  CHECK(cases >= 45);
  CHECK(kinds.size() >= 30);
  for (const auto& k : kinds) {
    CHECK(std::find(secret_kinds().begin(), secret_kinds().end(), k) != secret_kinds().end());
  }
}

TEST_CASE("secret scanner: look-alikes are not reported") {
  auto findings = scan_dir(corpus() / "clean");
  for (const auto& f : findings) MESSAGE(f.path << ": " << f.kind);
  CHECK(findings.empty());
}

TEST_CASE("secret scanner: the refusal names every file and the way out, never the secret") {
  std::vector<SecretFinding> all;
  for (const auto& entry : stdfs::directory_iterator(corpus() / "cases")) {
    for (auto& f : scan_dir(entry.path())) all.push_back(f);
  }
  try {
    refuse_secrets(all);
    FAIL("expected a refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.exit_code() == 3);
    std::string msg = e.what();
    for (const auto& f : all) CHECK(msg.find(f.path) != std::string::npos);
    CHECK(e.hint().find("context.allow_secrets") != std::string::npos);
    std::string env = fs::read_file(corpus() / "cases" / "dotenv" / ".env");
    std::string value = env.substr(env.find("KEY=") + 4, 40);
    CHECK(msg.find(value) == std::string::npos);
    // No 12-character piece of any random value in the corpus reaches the message.
    for (const auto& entry : stdfs::recursive_directory_iterator(corpus() / "cases")) {
      if (!entry.is_regular_file() || entry.file_size() > (1 << 20)) continue;
      std::string text = fs::read_file(entry.path());
      size_t i = 0;
      while (i < text.size()) {
        size_t j = i;
        while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) ||
                                   text[j] == '/' || text[j] == '+' || text[j] == '_')) {
          ++j;
        }
        std::string run = text.substr(i, j - i);
        bool digit = std::any_of(run.begin(), run.end(), ::isdigit);
        bool alpha = std::any_of(run.begin(), run.end(), ::isalpha);
        if (run.size() >= 16 && digit && alpha) {
          INFO(entry.path().string());
          CHECK(msg.find(run.substr(run.size() / 2 - 6, 12)) == std::string::npos);
        }
        i = j + 1;
      }
    }
  }
  CHECK_NOTHROW(refuse_secrets({}));
}

TEST_CASE("secret scanner: content rules") {
  CHECK(scan_content("a.py", "x = '-----BEGIN RSA PRIVATE KEY-----'").empty());  // no body
  CHECK(
      scan_content("id", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAuW1x2y3z4a5b6c7d8e9f\n")
          .at(0)
          .kind == "private-key");
  CHECK(scan_content("k.jks", std::string("\xfe\xed\xfe\xed\0\0", 6)).at(0).kind == "keystore");
  CHECK(scan_content("model.bin", std::string("\0\0AKIA", 6)).empty());  // binary
  CHECK(scan_content(".env.sample", "API_KEY=abc123def456").empty());
  CHECK(scan_content("a.py", "AKIAIOSFODNN7EXAMPLE only, no secret key").empty());
}

namespace {

std::string fake_pem() {
  // Built at run time from pieces so that no key-shaped text sits in the source.
  std::string dashes(5, '-');
  std::string out = dashes + "BEGIN PRIVATE KEY" + dashes + "\n";
  for (int l = 0; l < 4; ++l)
    out += "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC" + std::to_string(l) + "\n";
  return out + dashes + "END PRIVATE KEY" + dashes + "\n";
}

std::string rnd_token(size_t n, unsigned seed) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1103515245u + 12345u;
    out += alphabet[(seed >> 16) % 62];
  }
  out[1] = '7';  // a digit for sure
  return out;
}

std::string kind_of(std::string_view path, std::string_view content) {
  auto f = scan_content(path, content);
  return f.empty() ? "" : f[0].kind;
}

}  // namespace

TEST_CASE("secret scanner: whole files, past NUL bytes, across chunk borders") {
  const std::string key = fake_pem();
  CHECK(kind_of("k.txt", key) == "private-key");
  // After the first 8 MiB (the old limit), and in a binary after NUL bytes.
  std::string big(9u << 20, 'a');
  for (size_t i = 80; i < big.size(); i += 81) big[i] = '\n';
  CHECK(kind_of("big.log", big + "\n" + key) == "private-key");
  CHECK(kind_of("model.bin", std::string(5000, '\0') + key) == "private-key");
  CHECK(kind_of("weights.bin", std::string("\0\0\0", 3) + "x = 1\n" + key) == "private-key");
  // A key (or token) straddling every border of the streaming buffer is still seen whole.
  using namespace mlbox::builder::secret_rules;
  std::string token = "ghp_" + rnd_token(36, 7);
  for (size_t border : {kChunk, kChunk + kLookbehind, kChunk + kLookbehind + kLookahead,
                        2 * kChunk + kLookahead, 3 * kChunk}) {
    for (size_t back : {size_t{1}, size_t{10}, size_t{30}}) {
      std::string s(border - back, 'z');
      for (size_t i = 100; i < s.size(); i += 101) s[i] = '\n';
      s += '\n';
      std::string with_key = s + key;
      std::string with_token = s + " " + token + "\n";
      INFO("border " << border << " back " << back);
      CHECK(kind_of("f.txt", with_key) == "private-key");
      CHECK(kind_of("f.txt", with_token) == "github-token");
    }
  }
  // The line number counts every line before, across chunks.
  auto f = scan_content("big.log", big + "\n" + key);
  REQUIRE(f.size() == 1);
  CHECK(f[0].line == (9u << 20) / 81 + 2);
}

TEST_CASE("secret scanner: key/value pairs in YAML, JSON, .env and code") {
  std::string v = rnd_token(24, 3);
  CHECK(kind_of("c.yaml", "aws_secret_access_key: " + rnd_token(40, 5) + "\n") ==
        "aws-credentials");
  CHECK(kind_of("c.yaml", "db:\n  password: " + v + "\n") == "password-assignment");
  CHECK(kind_of("c.yaml", "db:\n  password: \"" + v + "\"  # prod\n") == "password-assignment");
  CHECK(kind_of("c.yml", "- name: x\n  client_secret: '" + v + "'\n") == "secret-assignment");
  CHECK(kind_of("c.json", "{\"apiKey\": \"" + v + "\"}") == "secret-assignment");
  CHECK(kind_of("app.py", "SECRET_KEY = '" + v + "'\n") == "secret-assignment");
  CHECK(kind_of("app.py", "connect(password=\"" + v + "\")\n") == "password-assignment");
  auto f = scan_content("c.yaml", "a: 1\nb: 2\npassword: " + v + "\n");
  REQUIRE(f.size() == 1);
  CHECK(f[0].line == 3);
  CHECK(f[0].excerpt.find(v) == std::string::npos);
  CHECK(f[0].excerpt.find("password: ****") != std::string::npos);
  CHECK(kind_of("settings.xml", "<server>\n  <password>" + v + "</password>\n</server>\n") ==
        "password-assignment");
  CHECK(kind_of("web.config", "<add key=\"ApiKey\" value=\"" + v + "\" />\n") ==
        "secret-assignment");
  CHECK(kind_of("settings.xml", "<password>${env.PASS}</password>\n").empty());
  // Values that only start like placeholders are secrets; exact placeholders are not.
  CHECK(kind_of(".env", "DB_PASSWORD=change" + v + "\n") == "dotenv-secret");
  CHECK(kind_of(".env", "API_KEY=your" + v + "\n") == "dotenv-secret");
  for (std::string p : {"", "changeme", "change-me", "<your token>", "${DB_PASSWORD}", "$PASS",
                        "xxxxxxxx", "********", "your-key-here", "your_api_key", "{{ vault }}",
                        "none", "null", "/run/secrets/db", "DB_PASSWORD_FILE", "example"}) {
    INFO(p);
    CHECK(kind_of(".env", "DB_PASSWORD=" + p + "\n").empty());
    CHECK(kind_of("c.yaml", "password: \"" + p + "\"\n").empty());
  }
  // Not assignments of a literal secret.
  CHECK(kind_of("a.py", "password = getpass.getpass()\n").empty());
  CHECK(kind_of("a.py", "if password == \"" + v + "\":\n").empty());
  CHECK(kind_of("a.py", "password = 'hunter'\n").empty());  // code: only random-looking
  CHECK(kind_of("tok.json", "{\"pad_token\": \"<pad>\", \"eos_token\": \"</s>\"}").empty());
  CHECK(kind_of("c.yaml", "tokenizer: bert-base-uncased\nmax_tokens: 512\n").empty());
  CHECK(kind_of("c.yaml", "password: see the wiki page\n").empty());
  CHECK(kind_of(".env.example", "API_KEY=" + v + "\n").empty());
  CHECK(kind_of("notes.md", "the password: is asked for at login\n").empty());
}

TEST_CASE("secret scanner: token formats") {
  auto r = [](size_t n) { return rnd_token(n, static_cast<unsigned>(n) * 31u); };
  CHECK(kind_of("a.py", "t = 'glpat-" + r(20) + "'") == "gitlab-token");
  CHECK(kind_of("a.py",
                "k = 'sk_"
                "live_" +
                    r(24) + "'") == "stripe-key");
  CHECK(kind_of("a.py",
                "k = 'rk_"
                "live_" +
                    r(24) + "'") == "stripe-key");
  CHECK(kind_of("a.md", "https://hooks.slack.com/services/T" + r(8) + "/B" + r(8) + "/" + r(24)) ==
        "slack-webhook");
  CHECK(kind_of("a.txt", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + r(86) +
                             "==;EndpointSuffix=core.windows.net") == "azure-storage-key");
  CHECK(kind_of("a.py",
                "x = 'gh"
                "p_" +
                    r(36) + "'") == "github-token");
  CHECK(kind_of("a.py",
                "x = 'github_"
                "pat_" +
                    r(82) + "'") == "github-token");
  CHECK(kind_of("a.py",
                "x = 'AI"
                "za" +
                    r(35) + "'") == "google-api-key");
  CHECK(kind_of("a.sh", "npm config set //r/:_authToken npm_" + r(36)) == "npm-token");
  CHECK(kind_of("a.py",
                "x = 'xo"
                "xb-" +
                    r(30) + "'") == "slack-token");
  CHECK(kind_of("a.py", "x = 'hf_" + r(34) + "'") == "huggingface-token");
  CHECK(kind_of("a.py",
                "x = 'sk-"
                "ant-api03-" +
                    r(95) + "'") == "anthropic-api-key");
  std::string header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";  // {"alg":"HS256","typ":"JWT"}
  CHECK(kind_of("a.yaml", "auth: " + header + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0." + r(43)) == "jwt");
  CHECK(kind_of("a.conf", "Authorization: Bearer " + r(40)) == "bearer-token");
  CHECK(kind_of("a.py", "U = 'postgres://me:" + r(16) + "@db:5432/x'") == "url-credentials");
  CHECK(kind_of("a.py", "U = 'postgres://user:password@localhost/db'").empty());
  CHECK(kind_of("a.txt",
                "AKIA"
                "IOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            .empty());
  std::string pem = fake_pem();
  std::string b64;
  {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < pem.size(); i += 3) {
      uint32_t n = static_cast<uint8_t>(pem[i]) << 16;
      if (i + 1 < pem.size()) n |= static_cast<uint8_t>(pem[i + 1]) << 8;
      if (i + 2 < pem.size()) n |= static_cast<uint8_t>(pem[i + 2]);
      b64 += t[(n >> 18) & 63];
      b64 += t[(n >> 12) & 63];
      b64 += i + 1 < pem.size() ? t[(n >> 6) & 63] : '=';
      b64 += i + 2 < pem.size() ? t[n & 63] : '=';
    }
  }
  CHECK(kind_of("values.yaml", "tls:\n  key: " + b64 + "\n") == "private-key");
  CHECK(kind_of("s.yaml", "apiVersion: v1\ndata:\n  tls.key: " + b64 + "\nkind: Secret\n") ==
        "kubernetes-secret");
  // Every PEM private-key label, the ssh.com format, and markers without a body.
  for (std::string label :
       {"RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY", "PRIVATE KEY", "ANY PRIVATE KEY", "PGP PRIVATE KEY BLOCK"}) {
    std::string d(5, '-');
    INFO(label);
    CHECK_FALSE(kind_of("k", d + "BEGIN " + label + d + "\n" + r(64) + "\n").empty());
    CHECK(kind_of("k.py", "m = '" + d + "BEGIN " + label + d + "'\n").empty());
  }
  CHECK(kind_of("k", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"x\"\n" + r(64)) ==
        "private-key");
  CHECK(scan_content("a.py", "x = '-----BEGIN RSA PRIVATE KEY-----'").empty());
}

TEST_CASE("secret scanner: archives are looked into, within limits") {
  fs::TempDir dir;
  auto run = [&](const std::string& cmd) {
    auto r = run_process({"/bin/sh", "-c", cmd});
    REQUIRE_MESSAGE(r.ok(), r.err);
  };
  stdfs::path d = dir.path();
  stdfs::create_directories(d / "src/keys");
  fs::write_file_atomic(d / "src/keys/id", fake_pem());
  fs::write_file_atomic(d / "src/ok.py", "print(1)\n");
  std::string q = "'" + d.string() + "'";
  run("cd " + q +
      "/src && tar -czf ../a.tar.gz ok.py keys && zip -qr ../a.zip ok.py keys && "
      "tar -cjf ../a.tar.bz2 keys && gzip -c keys/id > ../id.gz");
  for (const char* name : {"a.tar.gz", "a.zip", "a.tar.bz2", "id.gz"}) {
    INFO(name);
    auto f = scan_content(name, fs::read_file(d / name));
    REQUIRE(f.size() == 1);
    CHECK(f[0].kind == "private-key");
    CHECK(f[0].member == (std::string(name) == "id.gz" ? "" : "keys/id"));
  }
  // Nested two deep is scanned; a zip bomb stops at the expansion limit, reported as
  // incomplete and not as a finding.
  run("cd " + q + " && tar -czf n1.tgz a.zip && tar -cf n2.tar n1.tgz");
  auto nested = scan_content("n2.tar", fs::read_file(d / "n2.tar"));
  REQUIRE(nested.size() == 1);
  CHECK(nested[0].member == "n1.tgz!/a.zip!/keys/id");
  run("cd " + q +
      " && head -c 400000000 /dev/zero | tr '\\0' a | gzip -1 > bomb.gz && "
      "mkdir bomb && mv bomb.gz bomb/");
  SecretScanOptions o;
  o.archive_min_expanded = 32 << 20;
  auto report = scan_context_for_secrets(d / "bomb", {"bomb.gz"}, o);
  CHECK(report.findings.empty());
  REQUIRE(report.incomplete.size() == 1);
  CHECK(report.incomplete[0].find("bomb.gz") != std::string::npos);
  // Zero bytes first do not make a compressed file an empty tar: what follows is scanned.
  run("cd " + q + " && (head -c 100000 /dev/zero; cat src/keys/id) | gzip > zeros.gz");
  CHECK(kind_of("zeros.gz", fs::read_file(d / "zeros.gz")) == "private-key");
  // Damaged archives are scanned as bytes.
  std::string broken = "PK\x03\x04 not really a zip\n" + fake_pem();
  CHECK(kind_of("x.zip", broken) == "private-key");
}

TEST_CASE("secret scan cache: a file rewritten in place with its mtime put back is rescanned") {
  fs::TempDir dir;
  stdfs::path root = dir.path() / "ctx";
  stdfs::create_directories(root);
  fs::write_file_atomic(root / "a.txt", std::string(64, 'a'));
  stdfs::path cache_file = dir.path() / "cache.json";
  {
    SecretScanCache cache(cache_file);
    CHECK(cache.unscanned(root, {"a.txt"}).size() == 1);
    cache.remember_clean({"a.txt"});
  }
  {
    SecretScanCache cache(cache_file);
    CHECK(cache.unscanned(root, {"a.txt"}).empty());
  }
  struct stat before {};
  REQUIRE(::stat((root / "a.txt").c_str(), &before) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // past the clock's tick
  {
    std::fstream f(root / "a.txt", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << std::string(64, 'b');
  }
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, (root / "a.txt").c_str(), times, 0) == 0);
  struct stat after {};
  REQUIRE(::stat((root / "a.txt").c_str(), &after) == 0);
  REQUIRE(after.st_size == before.st_size);
  REQUIRE(after.st_ino == before.st_ino);
  REQUIRE(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  SecretScanCache cache(cache_file);
  CHECK(cache.unscanned(root, {"a.txt"}) == std::vector<std::string>{"a.txt"});
}

TEST_CASE("secret scan cache: a new rule set rescans everything") {
  fs::TempDir dir;
  stdfs::path root = dir.path();
  fs::write_file_atomic(root / "a.txt", "x");
  {
    SecretScanCache cache(root / "cache.json");
    cache.unscanned(root, {"a.txt"});
    cache.remember_clean({"a.txt"});
  }
  std::string text = fs::read_file(root / "cache.json");
  auto j = nlohmann::json::parse(text);
  j["rules"] = "an-older-rule-set";
  fs::write_file_atomic(root / "cache.json", j.dump());
  SecretScanCache cache(root / "cache.json");
  CHECK(cache.unscanned(root, {"a.txt"}).size() == 1);
}
