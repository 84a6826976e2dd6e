#include "cloud/aws/ec2_instances.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/numbers.h"

namespace mlbox::cloud::aws {

QueryParams running_instances_params(const std::string& next_token) {
  QueryParams p = {{"Filter.1.Name", "instance-state-name"},
                   {"Filter.1.Value.1", "pending"},
                   {"Filter.1.Value.2", "running"},
                   {"MaxResults", "1000"}};
  if (!next_token.empty()) p.emplace_back("NextToken", next_token);
  return p;
}

RunningInstancePage parse_running_instances(const std::string& xml) {
  if (xml.find("<DescribeInstancesResponse") == std::string::npos) {
    throw Error(ErrorKind::kRemote,
                fmt::format("EC2 answered without a <DescribeInstancesResponse> element: {}",
                            xml.substr(0, 200)),
                "check the EC2 endpoint (AWS_ENDPOINT_URL_EC2 when set)");
  }
  RunningInstancePage page;
  for (const auto& reservation : xml_items(xml, "reservationSet")) {
    for (const auto& instance : xml_items(reservation, "instancesSet")) {
      auto type = xml_child_text(instance, "instanceType");
      auto lifecycle = xml_child_text(instance, "instanceLifecycle");
      int64_t cores = 0, threads = 0;  // 0: absent or not a number
      if (auto t = xml_child_text(instance, "coreCount")) cores = parse_i64(*t).value_or(0);
      if (auto t = xml_child_text(instance, "threadsPerCore")) threads = parse_i64(*t).value_or(0);
      if (!type || type->empty() || cores < 1 || threads < 1 || cores > 4096 || threads > 8) {
        ++page.malformed;
        continue;
      }
      page.instances.push_back(
          {*type, lifecycle && *lifecycle == "spot", static_cast<int>(cores * threads)});
    }
  }
  page.next_token = xml_child_text(xml, "nextToken").value_or("");  // no Instance has one
  return page;
}

}  // namespace mlbox::cloud::aws
