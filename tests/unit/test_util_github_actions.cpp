#include <doctest/doctest.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/github_actions.h"

using namespace mlbox;

TEST_CASE("github: error annotations carry file, line and column") {
  auto a = github::error_annotations(
      "/work/repo/mlbox.yaml:3:7: resources.nodes is 0, expected an integer >= 1\n"
      "/work/repo/mlbox.yaml:9:1: unknown key 'trian', did you mean 'train'?",
      "fix the manifest", "/work/repo");
  REQUIRE(a.size() == 2);
  CHECK(a[0] ==
        "::error file=mlbox.yaml,line=3,col=7::resources.nodes is 0, expected an integer >= "
        "1%0Ahint: fix the manifest");
  CHECK(a[1] == "::error file=mlbox.yaml,line=9,col=1::unknown key 'trian', did you mean 'train'?");
  // Outside the workspace the path stays absolute; properties are escaped.
  auto b = github::error_annotations("/etc/x,y.yaml:1:2: bad", "", "/work/repo");
  CHECK(b == std::vector<std::string>{"::error file=/etc/x%2Cy.yaml,line=1,col=2::bad"});
  // No location: one annotation with the whole (escaped) message.
  auto c = github::error_annotations("ECR said 100% no\nsecond line", "", "");
  CHECK(c == std::vector<std::string>{"::error::ECR said 100%25 no%0Asecond line"});
  // A URL with a port is not a location.
  CHECK(github::error_annotations("GET http://127.0.0.1:5000/v2/: refused", "", "")[0] ==
        "::error::GET http://127.0.0.1:5000/v2/: refused");
}

TEST_CASE("github: outputs and appending") {
  CHECK(github::output_lines({{"image_digest", "sha256:ab"}, {"job_id", "vertex-1"}}) ==
        "image_digest=sha256:ab\njob_id=vertex-1\n");
  CHECK(github::output_lines({{"notes", "a\nMLBOX_EOF\nb"}}) ==
        "notes<<MLBOX_EOF_\na\nMLBOX_EOF\nb\nMLBOX_EOF_\n");
  fs::TempDir dir;
  github::append_to_file(dir.path() / "out", "a=1\n");
  github::append_to_file(dir.path() / "out", "b=2\n");
  CHECK(fs::read_file(dir.path() / "out") == "a=1\nb=2\n");
  CHECK_THROWS_AS(github::append_to_file(dir.path() / "no/such/dir/out", "x"), Error);
}
