// mlbox.yaml from someone else: long values, alias bombs, deep nesting and odd numbers end
// in a clear error naming file:line:col (or are accepted), never in a crash.
#include <doctest/doctest.h>

#include <string>

#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "unit/manifest_error_of.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::manifest;

namespace {

using testing::error_of;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const char* kTrain = "train:\n  command: python train.py\n";

}  // namespace

TEST_CASE("a 40 KB name is refused with its position and a short message") {
  std::string msg = error_of("name: " + std::string(40'000, 'a') + "!\n" + kTrain);
  CHECK(contains(msg, "mlbox.yaml:1:7: name 'aaaa"));
  CHECK(contains(msg, "(40001 characters)"));
  CHECK(msg.size() < 600);
}

TEST_CASE("a 200 KB resources.gpu is refused, not a stack overflow") {
  std::string msg = error_of(std::string("name: demo\n") + kTrain + "resources:\n  gpu: \"" +
                             std::string(200'000, 'A') + ":x\"\n");
  CHECK(contains(msg, "mlbox.yaml:5:8: resources.gpu is 'AAA"));
  CHECK(contains(msg, "(200002 characters)"));
}

TEST_CASE("long values in every pattern-checked field end in errors") {
  std::string huge(100'000, '1');
  for (std::string body : {
           "python:\n  version: \"3." + huge + "\"\n",
           "framework:\n  name: pytorch\n  version: \"" + huge + "x\"\n",
           "cuda: \"" + huge + "\"\n",
           "system_packages: [\"a" + huge + "=\"]\n",
           "data:\n  a" + huge + "!: /data\n",
           "data:\n  d: gs://" + std::string(100'000, 'b') + "/x\n",
           "targets:\n  vertex:\n    project: p" + huge + "\n",
           "targets:\n  batch:\n    job_role_arn: arn:aws:iam::123456789012:role/" + huge + " x\n",
           "image:\n  base: " + std::string(60'000, 'a') + "\n",
       }) {
    std::string msg = error_of("name: demo\n" + std::string(kTrain) + body);
    CHECK(contains(msg, "mlbox.yaml:"));
    CHECK(msg.size() < 2000);
  }
}

TEST_CASE("long numbers under train.native are read as numbers or kept as text") {
  Manifest m = parse("name: demo\ntrain:\n  native:\n    a: 1." + std::string(50'000, '5') +
                         "\n    b: " + std::string(30, '9') +
                         "\n    c: 1e999\n    d: 12\n    e: " + std::string(50'000, '9') + "\n",
                     "mlbox.yaml");
  REQUIRE(m.train.native);
  CHECK((*m.train.native)["a"].is_number_float());
  CHECK((*m.train.native)["b"].is_number_float());  // too large for int64
  CHECK((*m.train.native)["c"] == "1e999");         // too large for a double
  CHECK((*m.train.native)["d"] == 12);
  CHECK((*m.train.native)["e"].is_string());  // beyond a double too
}

TEST_CASE("a YAML alias bomb under train.native is refused before it expands") {
  // 568 bytes standing for 9^9 strings.
  std::string bomb = "name: demo\ntrain:\n  native:\n    a: &a [x,x,x,x,x,x,x,x,x]\n";
  const char* names = "abcdefghi";
  for (int i = 1; i < 9; ++i) {
    std::string ref = std::string("*") + names[i - 1];
    bomb += std::string("    ") + names[i] + ": &" + names[i] + " [" + ref;
    for (int k = 1; k < 9; ++k) bomb += "," + ref;
    bomb += "]\n";
  }
  std::string msg = error_of(bomb);
  CHECK(contains(msg, "mlbox.yaml:"));
  CHECK(contains(msg, "expands to more than 100000 nodes"));
}

TEST_CASE("deep nesting and oversized files are refused") {
  std::string deep = "name: demo\ntrain:\n  native:\n    x: " + std::string(200, '[') +
                     std::string(200, ']') + "\n";
  CHECK(contains(error_of(deep), "nests deeper than 64 levels"));
  std::string big =
      "name: demo\n" + std::string(kTrain) + "x-pad: \"" + std::string(2u << 20, 'p') + "\"\n";
  CHECK(contains(error_of(big), "more than the 1048576 allowed"));
}

TEST_CASE("max_runtime that overflows is refused, not wrapped") {
  CHECK_FALSE(parse_duration_seconds("9999999999999999999d"));
  CHECK_FALSE(parse_duration_seconds("106751991167301d"));
  CHECK(parse_duration_seconds("1h30m") == 5400);
  CHECK(parse_gpu_request("t4:2")->type == "T4");
  CHECK_FALSE(parse_gpu_request("T4:99999999999999999999"));
  CHECK_FALSE(parse_gpu_request("4T:1"));
}

TEST_CASE("a 60 KB image reference is refused by length") {
  std::string why;
  CHECK_FALSE(parse_registry_reference(std::string(60'000, 'a') + ":tag", &why));
  CHECK(contains(why, "60004 characters long"));
  CHECK_FALSE(parse_registry_reference("a/" + std::string(900, 'b') + "-", &why));
  CHECK_FALSE(valid_repository("h.example/" + std::string(60'000, 'a'), &why));
  // The hand-written grammar agrees with distribution/reference on the usual shapes.
  CHECK(parse_registry_reference("localhost:5000/a__b/c-d.e---f:v1.0_x", &why));
  CHECK(parse_registry_reference("Host-1.Example:443/a/b@sha256:" + std::string(64, 'a'), &why));
  CHECK_FALSE(parse_registry_reference("a___b:v1", &why));
  CHECK_FALSE(parse_registry_reference("a.:v1/x", &why));
  CHECK_FALSE(parse_registry_reference("-host.example/a", &why));
  CHECK_FALSE(parse_registry_reference("a/b:.tag", &why));
  CHECK_FALSE(parse_registry_reference("a/b@sha256:" + std::string(63, 'a'), &why));
  CHECK_FALSE(parse_registry_reference("h.example:/a", &why));
}
