#include <doctest/doctest.h>

#include "freeze/lock.h"
#include "freeze/resolver.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::freeze;

namespace {

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');

Lock sample_lock() {
  Lock l;
  l.header.python = "3.11";
  l.header.platform = "manylinux2014_x86_64";
  l.header.framework = "pytorch 2.3.1";
  l.header.cuda = "12.1";
  l.header.cudnn = "8";
  l.header.torch_index = "https://download.pytorch.org/whl/cu121";
  l.index_options = {"--extra-index-url https://download.pytorch.org/whl/cu121"};
  l.packages = {{"numpy", "1.26.4", {kHashA}, "https://files.example/numpy.whl"},
                {"torch", "2.3.1+cu121", {kHashA, kHashB}, ""}};
  return l;
}

std::string error_of(const std::string& text) {
  try {
    parse_lock(text, "mlbox.lock");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    return e.what();
  }
  return "";
}

class FakeRunner : public CommandRunner {
 public:
  ProcessResult result;
  std::vector<std::string> last;
  ProcessResult run(const std::vector<std::string>& argv, const ProcessOptions&) override {
    last = argv;
    return result;
  }
};

}  // namespace

TEST_CASE("lock renders pip-compatible pins with hashes and parses back") {
  Lock l = sample_lock();
  std::string text = l.render();
  CHECK(text.find("numpy==1.26.4 \\\n    --hash=sha256:" + kHashA) != std::string::npos);
  CHECK(text.find("# cuda: 12.1\n") != std::string::npos);
  Lock back = parse_lock(text, "mlbox.lock");
  CHECK(back.header.python == "3.11");
  CHECK(back.header.torch_index == l.header.torch_index);
  CHECK(back.index_options == l.index_options);
  REQUIRE(back.packages.size() == 2);
  CHECK(back.packages[1].sha256.size() == 2);
  CHECK(back.packages[0].source == "https://files.example/numpy.whl");
  CHECK(back.render() == text);
  CHECK(back.digest() == l.digest());
  CHECK(l.digest().starts_with("sha256:"));
}

TEST_CASE("malformed locks name the line") {
  CHECK(error_of("numpy==1.0\n") ==
        "mlbox.lock:1: numpy==1.0 has no --hash; every pin must carry one");
  CHECK(error_of("# c\nnumpy>=1.0 --hash=sha256:" + kHashA + "\n") ==
        "mlbox.lock:2: expected NAME==VERSION, found 'numpy>=1.0'");
  CHECK(error_of("a==1 \\\n  --hash=md5:abc\n") ==
        "mlbox.lock:1: expected --hash=sha256:<64 hex digits> after a==1, found '--hash=md5:abc'");
}

TEST_CASE("normalize_name follows PEP 503") {
  CHECK(normalize_name("Foo_Bar.baz") == "foo-bar-baz");
  CHECK(normalize_name("torch") == "torch");
}

TEST_CASE("pip report is parsed into sorted pins, credentials redacted") {
  std::string report = R"({"version": "1", "pip_version": "23.2.1", "install": [
    {"metadata": {"name": "Zeta", "version": "1.0"},
     "download_info": {"url": "https://user:secret@idx.example/zeta-1.0-py3-none-any.whl",
                       "archive_info": {"hash": "sha256=)" +
                       kHashB + R"("}}},
    {"metadata": {"name": "alpha", "version": "2.0"},
     "download_info": {"url": "file:///wh/alpha-2.0-py3-none-any.whl",
                       "archive_info": {"hashes": {"sha256": ")" +
                       kHashA + R"("}}}}]})";
  Resolution r = parse_pip_report(report);
  CHECK(r.resolver == "pip 23.2.1");
  REQUIRE(r.packages.size() == 2);
  CHECK(r.packages[0].name == "alpha");
  CHECK(r.packages[0].sha256[0] == kHashA);
  CHECK(r.packages[1].sha256[0] == kHashB);
  CHECK(r.packages[1].source == "https://idx.example/zeta-1.0-py3-none-any.whl");
}

TEST_CASE("a distribution without a hash is refused") {
  std::string report = R"({"pip_version": "23.2.1", "install": [{"metadata": {"name": "x",
      "version": "1"}, "download_info": {"url": "file:///src/x", "dir_info": {}}}]})";
  CHECK_THROWS_AS(parse_pip_report(report), Error);
}

TEST_CASE("pip command pins platform and python, offline mode is isolated") {
  ResolveOptions o;
  o.python_version = "3.10";
  o.no_index = true;
  o.find_links = {"/wh"};
  o.requirements = {"numpy==1.26.4"};
  auto argv = pip_resolve_command(o, "/t/report.json", "/t/target");
  std::string cmd = quote_command(argv);
  CHECK(cmd.find("--dry-run --ignore-installed") != std::string::npos);
  CHECK(cmd.find("--platform manylinux2014_x86_64 --python-version 3.10") != std::string::npos);
  CHECK(cmd.find("--only-binary=:all:") != std::string::npos);
  CHECK(cmd.find("--retries 1 --timeout 15") != std::string::npos);  // offline says so in seconds
  CHECK(cmd.find("--isolated --no-index --find-links /wh") != std::string::npos);
  CHECK(argv.back() == "numpy==1.26.4");
}

TEST_CASE("an unresolvable requirement is named in a config error") {
  FakeRunner runner;
  runner.result.exit_code = 1;
  runner.result.err =
      "ERROR: Could not find a version that satisfies the requirement nope==3 (from versions: "
      "none)\nERROR: No matching distribution found for nope==3\n";
  ResolveOptions o;
  o.resolver = ResolveOptions::Resolver::kPip;
  o.requirements = {"nope==3"};
  NullObserver obs;
  try {
    resolve(o, runner, obs);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(std::string(e.what()).find("'nope==3'") != std::string::npos);
  }
  CHECK(runner.last[0] == "python3");
}

TEST_CASE("uv output parses like a lock") {
  std::string out = "alpha==1.0 \\\n    --hash=sha256:" + kHashA +
                    " \\\n    --hash=sha256:" + kHashB +
                    "\nbeta==2.1 \\\n    --hash=sha256:" + kHashB + "\n";
  Resolution r = parse_uv_output(out);
  REQUIRE(r.packages.size() == 2);
  CHECK(r.packages[0].sha256.size() == 2);
}
