#include <doctest/doctest.h>

#include <string>

#include "builder/native_program.h"
#include "dockerfile/render.h"
#include "freeze/lock.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;

namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("the Dockerfile: command mode has no compile stage and no libtorch from mlbox") {
  dockerfile::DockerfileInputs in;
  in.base = "nvidia/cuda:12.1.1-runtime-ubuntu22.04";
  in.cmd = {"python", "train.py"};
  std::string text = dockerfile::render_dockerfile(in);
  CHECK(count(text, "\nFROM ") == 1);
  CHECK(text.find("AS mlbox-native") == std::string::npos);
  CHECK(text.find("COPY --from") == std::string::npos);
  CHECK(text.find("COPY trainer/ /opt/mlbox/") != std::string::npos);
  CHECK(text.find("CMD [\"python\", \"train.py\"]") != std::string::npos);
}

TEST_CASE("the Dockerfile: native mode compiles mlbox-native against the deps stage's torch") {
  dockerfile::DockerfileInputs in;
  in.base = "nvidia/cuda:12.1.1-devel-ubuntu22.04";
  in.cmd = {"/opt/mlbox/bin/mlbox-trainer", "native", "--config", "/workspace/.mlbox-native.json"};
  in.native = true;
  std::string text = dockerfile::render_dockerfile(in);
  // deps stage, compile stage from it, final stage from it.
  CHECK(count(text, "\nFROM ") == 3);
  auto deps = text.find("AS mlbox-deps");
  auto lock = text.find("-r /opt/mlbox/mlbox.lock");
  auto stage = text.find("FROM mlbox-deps AS mlbox-native");
  auto final_stage = text.find("\nFROM mlbox-deps\n");
  auto copy = text.find("COPY --from=mlbox-native /opt/mlbox/native/ /opt/mlbox/native/");
  REQUIRE(deps != std::string::npos);
  REQUIRE(stage != std::string::npos);
  REQUIRE(final_stage != std::string::npos);
  REQUIRE(copy != std::string::npos);
  CHECK(deps < lock);
  CHECK(lock < stage);
  CHECK(stage < final_stage);
  CHECK(final_stage < copy);
  CHECK(text.find("-DTorch_DIR=/opt/mlbox/site-packages/torch/share/cmake/Torch") !=
        std::string::npos);
  CHECK(text.find("COPY native-src/ /opt/mlbox/native-src/") != std::string::npos);
  // The compiler never reaches the final stage.
  CHECK(text.find("apt-get install", final_stage) == std::string::npos);
}

TEST_CASE("native mode names the fix when the lock has no torch") {
  freeze::Lock lock;
  lock.packages.push_back({"numpy", "1.26.4", {"00"}, ""});
  try {
    builder::locked_torch(lock, "mlbox.lock");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(std::string(e.what()).find("needs torch in mlbox.lock") != std::string::npos);
    CHECK(e.hint().find("framework: {name: pytorch") != std::string::npos);
  }
  lock.packages.push_back({"Torch", "2.3.1", {"ab"}, ""});
  CHECK(builder::locked_torch(lock, "mlbox.lock").version == "2.3.1");
}

TEST_CASE("mlbox-native's sources: the native folder and the shared files, digest stable") {
  auto src = std::filesystem::path(MLBOX_SOURCE_DIR) / "src";
  auto files = builder::native_source_files(src);
  CHECK(std::find(files.begin(), files.end(), "native/CMakeLists.txt") != files.end());
  CHECK(std::find(files.begin(), files.end(), "trainer/platform_contract.cpp") != files.end());
  CHECK(std::find(files.begin(), files.end(), "util/fs.cpp") != files.end());
  CHECK(std::find(files.begin(), files.end(), "trainer/supervisor.cpp") == files.end());
  CHECK(builder::native_sources_digest(src) == builder::native_sources_digest(src));
  // Every file src/native/CMakeLists.txt compiles is among them (util/crc32c moved there).
  CHECK(std::find(files.begin(), files.end(), "util/crc32c.cpp") != files.end());
  std::string cmake = fs::read_file(src / "native" / "CMakeLists.txt");
  const std::string marker = "${MLBOX_SRC}/";
  int listed = 0;
  for (size_t at = cmake.find(marker); at != std::string::npos; at = cmake.find(marker, at + 1)) {
    size_t end = cmake.find_first_of(" \n)", at);
    std::string rel = cmake.substr(at + marker.size(), end - at - marker.size());
    if (rel.find('.') == std::string::npos) continue;  // a folder, not a file
    ++listed;
    CHECK_MESSAGE(std::find(files.begin(), files.end(), rel) != files.end(), rel);
  }
  CHECK(listed > 10);
}
