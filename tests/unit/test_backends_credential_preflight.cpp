#include <doctest/doctest.h>

#include "backends/credential_preflight.h"

using namespace mlbox;

TEST_CASE("the clouds a job touches: target, registry, buckets") {
  using backends::clouds_touched;
  using S = std::set<std::string>;
  CHECK(clouds_touched("vertex", "us-docker.pkg.dev/p/r/x", {"gs://b/o"}) == S{"gcp"});
  CHECK(clouds_touched("batch", "1234.dkr.ecr.us-east-1.amazonaws.com/x", {"s3://b"}) == S{"aws"});
  // An ECR image on Vertex, data in S3: both clouds' credentials are needed.
  CHECK(clouds_touched("vertex", "1234.dkr.ecr.us-east-1.amazonaws.com/x", {}) == S{"aws", "gcp"});
  CHECK(clouds_touched("vertex", "127.0.0.1:5000/x", {"s3://data/set"}) == S{"aws", "gcp"});
  CHECK(clouds_touched("batch", "gcr.io/p/x", {}) == S{"aws", "gcp"});
  CHECK(clouds_touched("batch", "", {""}) == S{"aws"});
}
