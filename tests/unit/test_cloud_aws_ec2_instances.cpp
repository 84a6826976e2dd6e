#include <doctest/doctest.h>

#include <string>

#include "catalog/machine_quota.h"
#include "cloud/aws/ec2_instances.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::cloud::aws;

TEST_CASE("DescribeInstances: pending and running, Filter.N.Value.N, the next token") {
  auto p = running_instances_params("tok");
  CHECK(p[0] == std::pair<std::string, std::string>{"Filter.1.Name", "instance-state-name"});
  CHECK(p[1] == std::pair<std::string, std::string>{"Filter.1.Value.1", "pending"});
  CHECK(p[2] == std::pair<std::string, std::string>{"Filter.1.Value.2", "running"});
  CHECK(p.back() == std::pair<std::string, std::string>{"NextToken", "tok"});
}

TEST_CASE("DescribeInstances XML: reservations of instances, vCPUs from CPU options") {
  const std::string xml =
      R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <reservationSet>
    <item><reservationId>r-1</reservationId><groupSet/>
      <instancesSet>
        <item><instanceId>i-1</instanceId><instanceType>g4dn.xlarge</instanceType>
          <instanceState><code>16</code><name>running</name></instanceState>
          <cpuOptions><coreCount>2</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions></item>
        <item><instanceId>i-2</instanceId><instanceType>g5.2xlarge</instanceType>
          <instanceLifecycle>spot</instanceLifecycle>
          <cpuOptions><coreCount>4</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions></item>
        <item><instanceId>i-3</instanceId><instanceType>m5.large</instanceType></item>
      </instancesSet></item>
  </reservationSet>
  <nextToken>page2</nextToken>
</DescribeInstancesResponse>)";
  auto page = parse_running_instances(xml);
  REQUIRE(page.instances.size() == 2);
  CHECK(page.instances[0].instance_type == "g4dn.xlarge");
  CHECK_FALSE(page.instances[0].spot);
  CHECK(page.instances[0].vcpus == 4);
  CHECK(page.instances[1].spot);
  CHECK(page.instances[1].vcpus == 8);
  CHECK(page.malformed == 1);  // no CPU options: not counted
  CHECK(page.next_token == "page2");
  CHECK_THROWS_AS(parse_running_instances("<Response><Errors/></Response>"), Error);
}

TEST_CASE("the EC2 quota an instance type counts against") {
  using catalog::aws_quota_code;
  CHECK(aws_quota_code("g4dn.xlarge", false) == "L-DB2E81BA");
  CHECK(aws_quota_code("vt1.3xlarge", true) == "L-3819A6DF");
  CHECK(aws_quota_code("p4d.24xlarge", false) == "L-417A185B");
  CHECK(aws_quota_code("p3.2xlarge", true) == "L-7212CCBC");
  CHECK(aws_quota_code("p5.48xlarge", true) == "L-C4BD4855");  // All P5 Spot Instance Requests
  CHECK(aws_quota_code("p5en.48xlarge", true) == "L-C4BD4855");
  CHECK(aws_quota_code("p5.48xlarge", false) == "L-417A185B");
  CHECK(aws_quota_code("m5.large", false) == "L-1216C47A");
  CHECK(aws_quota_code("c5.xlarge", true) == "L-34B43A08");
  CHECK_FALSE(aws_quota_code("inf2.xlarge", false));
  CHECK_FALSE(aws_quota_code("trn1.2xlarge", false));
}
