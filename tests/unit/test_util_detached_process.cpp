#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "util/detached_process.h"
#include "util/fs.h"

using namespace mlbox;

TEST_CASE("start_detached_process: the body runs in a new session; its result is the exit code") {
  fs::TempDir dir;
  auto marker = dir.path() / "ran";
  pid_t pid = start_detached_process([&] {
    // A session leader of its own: its session id is its pid.
    fs::write_file_atomic(marker, ::getsid(0) == ::getpid() ? "own session" : "caller's");
    return 7;
  });
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
  CHECK(fs::read_file(marker) == "own session");

  pid = start_detached_process([]() -> int { throw std::runtime_error("boom"); });
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WEXITSTATUS(status) == 1);
}
