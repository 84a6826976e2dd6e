#include <doctest/doctest.h>

#include "cloud/local/local_runner.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::cloud::local;

TEST_CASE("isolation: runc when it can; the host only when asked; otherwise a refusal") {
  IsolationFacts f;
  f.root = true;
  f.runc_installed = true;
  f.user = "alice (uid 1000)";
  CHECK(choose_isolation(f).isolation == Isolation::kRunc);

  // Without runc and without being asked: refused, saying how to ask (issue 13).
  for (auto [root, installed] : {std::pair{false, true}, std::pair{true, false}}) {
    f.root = root;
    f.runc_installed = installed;
    std::string message;
    ErrorKind kind = ErrorKind::kInternal;
    try {
      choose_isolation(f);
    } catch (const Error& e) {
      message = std::string(e.what()) + " | " + e.hint();
      kind = e.kind();
    }
    CHECK(kind == ErrorKind::kConfig);
    CHECK(message.find("--no-runc") != std::string::npos);
    CHECK(message.find("on this host as alice (uid 1000)") != std::string::npos);
  }

  f.no_runc_flag = true;
  CHECK(choose_isolation(f).isolation == Isolation::kHostProcess);
  CHECK(choose_isolation(f).reason == "--no-runc was given");
  f.no_runc_flag = false;
  f.no_runc_env = "1";
  CHECK(choose_isolation(f).isolation == Isolation::kHostProcess);
  f.no_runc_env = "0";
  CHECK_THROWS_AS(choose_isolation(f), Error);
  // Asked for the host although runc works: the host it is.
  f.root = f.runc_installed = true;
  f.no_runc_flag = true;
  CHECK(choose_isolation(f).isolation == Isolation::kHostProcess);
}
