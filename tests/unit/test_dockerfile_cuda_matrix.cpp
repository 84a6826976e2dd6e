#include <doctest/doctest.h>

#include <string>

#include "dockerfile/cuda_matrix.h"
#include "dockerfile/dotted_version.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::dockerfile;

namespace {

const CudaMatrix& matrix() {
  return builtin_cuda_matrix();
}

std::string config_error(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    return std::string(e.what()) + " | " + e.hint();
  }
  FAIL("expected an Error(kConfig)");
  return {};
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("dotted versions compare numerically") {
  CHECK(compare_versions("12.10", "12.9") > 0);
  CHECK(compare_versions("12.1", "12.1.0") == 0);
  CHECK(compare_versions("3.7", "5.0") < 0);
  CHECK(version_prefix("12.1.1", 2) == "12.1");
  CHECK(version_has_prefix("12.1.1", "12"));
  CHECK_FALSE(version_has_prefix("11.8.0", "12"));
  CHECK(version_parts("2.3.1+cu121") == std::vector<int>{2, 3, 1});
}

TEST_CASE("the built-in matrix parses and covers torch 1.13..2.5+ and tensorflow 2.11..2.16+") {
  const auto& m = matrix();
  const Framework* torch = m.find_framework("torch");
  REQUIRE(torch);
  for (const char* v : {"1.13", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"}) {
    CHECK_MESSAGE(torch->find_release(v) != nullptr, v);
  }
  const Framework* tf = m.find_framework("tf");
  REQUIRE(tf);
  for (const char* v : {"2.11", "2.12", "2.13", "2.14", "2.15", "2.16"}) {
    CHECK_MESSAGE(tf->find_release(v) != nullptr, v);
  }
  // Every build's CUDA has a toolkit entry and its cuDNN a known floor (the parser checks
  // this too; a test keeps the guarantee visible).
  for (const auto& f : m.frameworks) {
    for (const auto& r : f.releases) {
      for (const auto& b : r.builds) {
        CHECK(m.find_cuda(b.cuda) != nullptr);
        CHECK_FALSE(m.cudnn_min_compute_capability(b.cudnn).empty());
        if (f.name == "pytorch")
          CHECK(b.index_url.find("https://download.pytorch.org/whl/cu") == 0);
      }
    }
  }
}

TEST_CASE("default CUDA per torch version is the PyPI build") {
  const auto& m = matrix();
  struct Case {
    const char* torch;
    const char* cuda;
    const char* image;
  };
  for (Case c : {Case{"1.13.1", "11.7", "nvidia/cuda:11.7.1-cudnn8-runtime-ubuntu22.04"},
                 Case{"2.0.1", "11.7", "nvidia/cuda:11.7.1-cudnn8-runtime-ubuntu22.04"},
                 Case{"2.1.2", "12.1", "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04"},
                 Case{"2.3.1", "12.1", "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04"},
                 Case{"2.5.1", "12.4", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"}}) {
    auto s = select_base(m, "pytorch", c.torch, "3.10", "", false);
    CHECK(s.cuda == c.cuda);
    CHECK(s.base_image == c.image);
    CHECK(s.torch_index_url ==
          std::string("https://download.pytorch.org/whl/cu") + std::string(c.cuda).erase(2, 1));
  }
}

TEST_CASE("select_base with an explicit CUDA, a minor-only version and devel images") {
  const auto& m = matrix();
  auto s = select_base(m, "pytorch", "2.3", "3.11", "11.8", true);
  CHECK(s.framework_version == "2.3.1");
  CHECK(s.cuda == "11.8");
  CHECK(s.cuda_full == "11.8.0");
  CHECK(s.cudnn == "8.7.0.84");
  CHECK(s.python == "3.11");
  CHECK(s.base_image == "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04");
  CHECK(s.torch_index_url == "https://download.pytorch.org/whl/cu118");
  CHECK(s.cudnn_in_image);
  CHECK(s.min_driver == "450.80.02");

  // A patch the matrix does not list keeps the requested version (builds are per minor).
  CHECK(select_base(m, "pytorch", "2.3.0", "3.11", "12.1.1", false).framework_version == "2.3.0");

  // torch 2.4 cu118 uses cuDNN 9, which no 11.8 image carries: the wheel brings it.
  auto t = select_base(m, "pytorch", "2.4.1", "3.11", "11.8", false);
  CHECK(t.base_image == "nvidia/cuda:11.8.0-runtime-ubuntu22.04");
  CHECK_FALSE(t.cudnn_in_image);
  CHECK(t.cudnn == "9.1.0.70");

  // Newest release when the version is empty; python defaults to 3.11 when supported.
  auto newest = select_base(m, "pytorch", "", "", "", false);
  CHECK(newest.framework_version == m.find_framework("pytorch")->releases.back().version);
  CHECK(newest.python == "3.11");

  auto tf = select_base(m, "tensorflow", "2.15", "3.10", "", false);
  CHECK(tf.cuda == "12.2");
  CHECK(tf.base_image == "nvidia/cuda:12.2.2-cudnn8-runtime-ubuntu22.04");
  CHECK(tf.torch_index_url.empty());
}

TEST_CASE("select_base CPU-only and framework none") {
  const auto& m = matrix();
  auto cpu = select_base(m, "pytorch", "2.3.1", "3.11", "cpu", false);
  CHECK(cpu.cuda.empty());
  CHECK(cpu.base_image == "python:3.11-slim-bookworm");
  CHECK(cpu.torch_index_url == "https://download.pytorch.org/whl/cpu");

  auto none = select_base(m, "none", "", "3.12", "12.4", false);
  CHECK(none.base_image == "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
  CHECK(select_base(m, "", "", "3.12", "", false).base_image == "python:3.12-slim-bookworm");
}

TEST_CASE("unsupported combinations name what is supported") {
  const auto& m = matrix();
  auto msg = config_error([&] { select_base(m, "pytorch", "2.3.1", "3.11", "12.4", false); });
  CHECK(contains(msg, "pytorch 2.3.1 has CUDA builds 11.8, 12.1"));
  CHECK(contains(msg, "2.4.1"));  // the releases that do have CUDA 12.4

  msg = config_error([&] { select_base(m, "pytorch", "1.13.1", "3.11", "", false); });
  CHECK(contains(msg, "supports Python 3.7, 3.8, 3.9, 3.10"));

  msg = config_error([&] { select_base(m, "pytorch", "0.4", "3.11", "", false); });
  CHECK(contains(msg, "pytorch 0.4 is not in the CUDA matrix; supported: 1.13.1"));

  msg = config_error([&] { select_base(m, "jax", "", "3.11", "", false); });
  CHECK(contains(msg, "supported: pytorch, tensorflow, none"));

  msg = config_error([&] { select_base(m, "none", "", "3.11", "10.2", false); });
  CHECK(contains(msg, "CUDA 10.2 is not in the CUDA matrix"));
}

TEST_CASE(
    "a K80 cannot run torch 2.3 on CUDA 12.1; the message names GPU, cc, CUDA and a way out") {
  const auto& m = matrix();
  auto err = check_gpu(m, "K80", "12.1", "pytorch", "2.3.1", "p2.xlarge");
  REQUIRE(err.has_value());
  std::string msg = err->what();
  CHECK(err->kind() == ErrorKind::kConfig);
  CHECK(contains(msg, "p2.xlarge has NVIDIA K80 (compute capability 3.7)"));
  CHECK(contains(msg, "CUDA 12.1 (torch 2.3.1) supports compute capability >= 5.0"));
  CHECK(contains(msg, "the newest that runs on a K80 is CUDA 11."));
  CHECK(contains(err->hint(), "cuda: \"11.8\""));

  // The default CUDA of torch 2.3 is 12.1, so leaving cuda empty fails the same way.
  CHECK(check_gpu(m, "K80", "", "pytorch", "2.3.1").has_value());
  // torch 2.4+ cu118 still has sm_37 kernels but its cuDNN 9 starts at 5.0.
  auto cudnn = check_gpu(m, "K80", "11.8", "pytorch", "2.4.1");
  REQUIRE(cudnn.has_value());
  CHECK(contains(cudnn->what(), "cuDNN 9.1.0.70, which supports compute capability >= 5.0"));
  // The newest runnable must itself pass the check.
  auto best = newest_runnable(m, *m.find_gpu("K80"), "pytorch");
  REQUIRE(best.has_value());
  CHECK_FALSE(check_gpu(m, "K80", best->cuda, "pytorch", best->framework_version).has_value());
  CHECK_FALSE(check_gpu(m, "K80", "11.7", "pytorch", "1.13.1").has_value());
}

TEST_CASE("T4 with CUDA 12.1 is fine; V100 with CUDA 13 and with torch cu128 2.7 are not") {
  const auto& m = matrix();
  CHECK_FALSE(check_gpu(m, "T4", "12.1", "pytorch", "2.3.1").has_value());
  CHECK_FALSE(check_gpu(m, "NVIDIA_TESLA_T4", "12.1", "", "").has_value());
  CHECK_FALSE(check_gpu(m, "L4", "", "pytorch", "").has_value());
  CHECK_FALSE(check_gpu(m, "H100", "12.8", "pytorch", "2.8.0").has_value());

  auto v100 = check_gpu(m, "V100", "13.0", "", "");
  REQUIRE(v100.has_value());
  CHECK(contains(v100->what(), "NVIDIA V100 (compute capability 7.0)"));
  CHECK(contains(v100->what(), "CUDA 13.0 supports compute capability >= 7.5"));
  CHECK(contains(v100->what(), "the newest CUDA that runs on a V100 is 12.9"));

  auto torch = check_gpu(m, "V100", "13.0", "pytorch", "2.9.1");
  REQUIRE(torch.has_value());
  CHECK(contains(torch->what(), "CUDA 13.0 (torch 2.9.1) supports compute capability >= 7.5"));

  // torch 2.7 cu128 wheels have no sm_70 kernels (sm_75 and up).
  auto sm = check_gpu(m, "V100", "12.8", "pytorch", "2.7.1");
  REQUIRE(sm.has_value());
  CHECK(contains(sm->what(), "have kernels for compute capability 7.5"));
  CHECK(contains(sm->hint(), "cuda: \"12.6\""));

  // A newer GPU than any kernel in the wheel: H100 (9.0) with torch 1.13 (up to 8.6).
  CHECK(check_gpu(m, "H100", "11.7", "pytorch", "1.13.1").has_value());
}

TEST_CASE("check_gpu reports unknown names with a suggestion") {
  const auto& m = matrix();
  auto err = check_gpu(m, "T5", "12.1", "", "");
  REQUIRE(err.has_value());
  CHECK(contains(err->what(), "unknown GPU 'T5'"));
  CHECK(m.find_gpu("Tesla V100") == m.find_gpu("V100"));
  CHECK(m.find_gpu("NVIDIA_A100_80GB")->key == "A100-80GB");
  CHECK(m.find_gpu("NVIDIA_TESLA_A100")->key == "A100");
  CHECK(m.find_gpu("NVIDIA_H100_80GB")->key == "H100");
}

TEST_CASE("a malformed matrix is reported with file:line:col") {
  auto msg = config_error([] { parse_cuda_matrix("cuda: [1, 2\n", "m.yaml"); });
  CHECK(contains(msg, "m.yaml:"));
  msg = config_error([] {
    parse_cuda_matrix(
        "cpu_base_image: x\ncuda: {}\ncudnn: {}\ngpus: {}\nframeworks:\n  pytorch:\n"
        "    versions:\n      \"2.3.1\":\n        python: [\"3.11\"]\n        default_cuda: "
        "\"12.1\"\n        builds:\n          \"12.1\": {cudnn: \"8.9\", sm: [\"5.0\"]}\n",
        "m.yaml");
  });
  CHECK(contains(msg, "lists CUDA 12.1, which is not under cuda:"));
}
