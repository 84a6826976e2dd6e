// EC2 DescribeInstances (ec2 query protocol) for quota usage: the pending and running
// instances of a region with their type, purchase option (spot or not) and vCPUs
// (cpuOptions coreCount x threadsPerCore) — what Service Quotas' vCPU limits count.
#pragma once

#include <string>
#include <vector>

#include "cloud/aws/ec2_spot.h"

namespace mlbox::cloud::aws {

QueryParams running_instances_params(const std::string& next_token);

struct RunningInstance {
  std::string instance_type;
  bool spot = false;
  int vcpus = 0;
};
struct RunningInstancePage {
  std::vector<RunningInstance> instances;
  std::string next_token;
  int malformed = 0;  // instances without a type or CPU options (not counted)
};
// Throws Error(kRemote) when the answer is not a DescribeInstancesResponse.
RunningInstancePage parse_running_instances(const std::string& xml);

}  // namespace mlbox::cloud::aws
