// resources.cpus / resources.memory and targets.<t>.machine (issue 14, trap 9).
#include <doctest/doctest.h>

#include "manifest/load.h"
#include "unit/manifest_error_of.h"

using namespace mlbox;
using namespace mlbox::manifest;
using testing::error_of;

TEST_CASE("resources: cpus and memory are minimums; memory in GB, GiB or MB") {
  auto m = parse(
      "name: p\ntrain:\n  command: python t.py\nresources:\n  gpu: T4:1\n  cpus: 8\n"
      "  memory: 32GB\n",
      "mlbox.yaml");
  CHECK(m.resources.cpus == 8);
  CHECK(m.resources.memory_gib == doctest::Approx(32));
  CHECK(parse_memory_gib("16").value() == doctest::Approx(16));
  CHECK(parse_memory_gib("64GiB").value() == doctest::Approx(64));
  CHECK(parse_memory_gib("512MB").value() == doctest::Approx(0.5));
  CHECK(parse_memory_gib("16+").value() == doctest::Approx(16));
  CHECK_FALSE(parse_memory_gib("lots").has_value());
  CHECK_FALSE(parse_memory_gib("0").has_value());
  CHECK_FALSE(parse_memory_gib("16 parsecs").has_value());
}

TEST_CASE("bad cpus, memory and per-target machines name their line and column") {
  std::string e = error_of("name: p\ntrain:\n  command: x\nresources:\n  memory: lots\n");
  CHECK(e.find("mlbox.yaml:5:11: resources.memory is 'lots'") != std::string::npos);
  e = error_of("name: p\ntrain:\n  command: x\nresources:\n  cpus: 0\n");
  CHECK(e.find("mlbox.yaml:5:9:") != std::string::npos);
  e = error_of("name: p\ntrain:\n  command: x\ntargets:\n  vertex:\n    machine: N1 Standard\n");
  CHECK(e.find("mlbox.yaml:6:14: targets.vertex.machine is 'N1 Standard'") != std::string::npos);
  e = error_of("name: p\ntrain:\n  command: x\ntargets:\n  batch:\n    machin: g4dn.xlarge\n");
  CHECK(e.find("did you mean 'machine'") != std::string::npos);
}

TEST_CASE("targets.<t>.machine is read per target") {
  auto m = parse(
      "name: p\ntrain:\n  command: x\nresources:\n  machine: g4dn.xlarge\ntargets:\n"
      "  vertex:\n    machine: n1-standard-8\n  batch:\n    machine: g5.xlarge\n",
      "mlbox.yaml");
  CHECK(m.resources.machine == "g4dn.xlarge");
  CHECK(m.targets.vertex->machine == "n1-standard-8");
  CHECK(m.targets.batch->machine == "g5.xlarge");
  CHECK(m.where("targets.vertex.machine") == "mlbox.yaml:8:5");
}
