#include "jobs/target_choice.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.h"
#include "util/strings.h"

namespace mlbox::jobs {

std::string target_for_region(const catalog::MachineCatalog& catalog, const std::string& region,
                              const ConfiguredTargets& configured) {
  auto owns = [&](const char* cloud) {
    auto regions = catalog.regions(cloud);
    return std::find(regions.begin(), regions.end(), region) != regions.end();
  };
  std::string target = owns("gcp") ? "vertex" : owns("aws") ? "batch" : "";
  if (target.empty()) {
    auto all = catalog.regions();
    auto near = did_you_mean(region, all);
    throw Error(ErrorKind::kConfig,
                fmt::format("--region {} is not a Google Cloud or AWS region mlbox knows{}", region,
                            near ? "; did you mean '" + *near + "'?" : ""),
                "see `mlbox machines` for the regions of each cloud, or name the target with "
                "--target vertex|batch");
  }
  if (target == "vertex" && configured.vertex) return target;
  if (target == "batch" && configured.batch) return target;
  if (target == "vertex") {
    throw Error(ErrorKind::kConfig,
                fmt::format("--region {} is a Google Cloud region, so the job would go to Vertex "
                            "AI, but mlbox.yaml has no targets.vertex",
                            region),
                fmt::format("add to mlbox.yaml:\n    targets:\n      vertex:\n        project: "
                            "PROJECT\n        region: {}\n        output: gs://BUCKET/PREFIX\n  "
                            "or pass --target vertex with --project and --output",
                            region));
  }
  throw Error(ErrorKind::kConfig,
              fmt::format("--region {} is an AWS region, so the job would go to AWS Batch, but "
                          "mlbox.yaml has no targets.batch",
                          region),
              fmt::format("add to mlbox.yaml:\n    targets:\n      batch:\n        region: {}\n   "
                          "     job_queue: QUEUE\n        output: s3://BUCKET/PREFIX\n  or pass "
                          "--target batch with --job-queue and --output",
                          region));
}

}  // namespace mlbox::jobs
