#include <doctest/doctest.h>

#include "jobs/target_choice.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::jobs;

namespace {

std::string error_of(const std::function<void()>& f, ErrorKind* kind) {
  try {
    f();
  } catch (const Error& e) {
    *kind = e.kind();
    return std::string(e.what()) + " | " + e.hint();
  }
  return "";
}

}  // namespace

TEST_CASE("--region alone picks the cloud that sells the region, when mlbox.yaml has it") {
  const auto& c = catalog::builtin_machine_catalog();
  ConfiguredTargets both{true, true};
  CHECK(target_for_region(c, "us-central1", both) == "vertex");
  CHECK(target_for_region(c, "us-east-1", both) == "batch");
  CHECK(target_for_region(c, "europe-west4", {true, false}) == "vertex");
  CHECK(target_for_region(c, "us-west-2", {false, true}) == "batch");
}

TEST_CASE("--region of a cloud mlbox.yaml does not configure says what to add") {
  const auto& c = catalog::builtin_machine_catalog();
  ErrorKind kind = ErrorKind::kInternal;
  std::string e = error_of([&] { target_for_region(c, "us-east-1", {true, false}); }, &kind);
  CHECK(kind == ErrorKind::kConfig);
  CHECK(e.find("mlbox.yaml has no targets.batch") != std::string::npos);
  CHECK(e.find("job_queue: QUEUE") != std::string::npos);
  e = error_of([&] { target_for_region(c, "us-central1", {false, false}); }, &kind);
  CHECK(e.find("mlbox.yaml has no targets.vertex") != std::string::npos);
  e = error_of([&] { target_for_region(c, "us-centrl1", {true, true}); }, &kind);
  CHECK(kind == ErrorKind::kConfig);
  CHECK(e.find("did you mean 'us-central1'") != std::string::npos);
}
