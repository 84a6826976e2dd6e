#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "builder/context_filter.h"
#include "builder/secret_scanner.h"
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
    REQUIRE(cols.size() == 3);
    const std::string &name = cols[0], &file = cols[1], &kind = cols[2];
    stdfs::path root = corpus() / "cases" / name;
    auto findings = scan_dir(root);
    INFO("case " << name);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].path == file);
    CHECK(findings[0].kind == kind);
    CHECK_FALSE(findings[0].reason.empty());
    CHECK(scan_dir(root, {file}).empty());
    // A directory pattern allows what is below it, as in .dockerignore.
    auto slash = file.find('/');
    if (slash != std::string::npos) CHECK(scan_dir(root, {file.substr(0, slash)}).empty());
    CHECK(scan_dir(root, {"unrelated.txt"}).size() == 1);
    kinds.insert(kind);
    ++cases;
  }
  CHECK(cases >= 20);
  CHECK(kinds.size() >= 15);
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
