#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "catalog/machine_catalog.h"
#include "dockerfile/cuda_matrix.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::catalog;

namespace {

const MachineCatalog& cat() {
  return builtin_machine_catalog();
}

// The AcceleratorType enum names in the Vertex AI proto, read from the spec at test time.
std::set<std::string> proto_accelerator_types() {
  std::filesystem::path proto =
      std::filesystem::path(MLBOX_SPECS_DIR) / "gcp" / "aiplatform-v1" / "accelerator_type.proto";
  std::ifstream in(proto);
  REQUIRE_MESSAGE(in.good(), "accelerator_type.proto not found under MLBOX_SPECS_DIR");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto start = text.find("enum AcceleratorType {");
  REQUIRE(start != std::string::npos);
  auto end = text.find('}', start);
  std::string body = text.substr(start, end - start);
  std::set<std::string> names;
  std::regex entry(R"(\n\s*([A-Z0-9_]+)\s*=\s*\d+)");
  for (std::sregex_iterator it(body.begin(), body.end(), entry), stop; it != stop; ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

}  // namespace

TEST_CASE("the built-in catalog covers the AWS and GCP GPU families in the required regions") {
  for (const char* name : {"p2.xlarge", "p2.8xlarge", "p2.16xlarge", "p3.2xlarge", "p3.8xlarge",
                           "p3.16xlarge", "g4dn.xlarge", "g4dn.12xlarge", "g5.xlarge",
                           "g5.48xlarge", "g6.xlarge", "p4d.24xlarge", "p5.48xlarge"}) {
    auto rows = cat().lookup(name);
    REQUIRE_MESSAGE(rows.size() == 1, name);
    CHECK(rows[0]->cloud == "aws");
    CHECK(rows[0]->price_in("us-east-1") != nullptr);
    CHECK(rows[0]->price_in("us-west-2") != nullptr);
  }
  for (const char* name : {"n1-standard-8", "a2-highgpu-1g", "g2-standard-4", "a3-highgpu-8g"}) {
    auto rows = cat().lookup(name);
    REQUIRE_MESSAGE(!rows.empty(), name);
    for (const Machine* m : rows) {
      CHECK(m->cloud == "gcp");
      CHECK(m->price_in("us-central1") != nullptr);
      CHECK(m->price_in("europe-west4") != nullptr);
    }
  }
  CHECK_FALSE(cat().prices_as_of.empty());
  const Machine& g4 = find_machine(cat(), "g4dn.xlarge");
  CHECK(g4.gpu == "T4");
  CHECK(g4.gpu_count == 1);
  CHECK(g4.vcpu == 4);
  CHECK(g4.memory_gib == 16);
}

TEST_CASE("every machine's GPU is in the CUDA matrix and every row is sane") {
  const auto& matrix = dockerfile::builtin_cuda_matrix();
  for (const auto& m : cat().machines) {
    INFO(m.name);
    if (m.gpu.empty()) {  // CPU-only
      CHECK(m.gpu_count == 0);
      CHECK(m.accelerator_type.empty());
      CHECK(m.vcpu > 0);
      CHECK_FALSE(m.prices.empty());
      continue;
    }
    CHECK(matrix.find_gpu(m.gpu) != nullptr);
    CHECK(m.gpu_count > 0);
    CHECK(m.vcpu > 0);
    CHECK(m.memory_gib > 0);
    CHECK_FALSE(m.prices.empty());
    for (const auto& p : m.prices) {
      CHECK(p.on_demand > 0);
      if (p.spot) CHECK(*p.spot < p.on_demand);
    }
    if (m.cloud == "gcp") {
      CHECK_FALSE(m.accelerator_type.empty());
      // The Vertex enum names the same GPU as the gpu key.
      CHECK(matrix.find_gpu(m.accelerator_type) == matrix.find_gpu(m.gpu));
    } else {
      CHECK(m.accelerator_type.empty());
    }
  }
}

TEST_CASE("every Vertex acceleratorType in machines.yaml exists in the proto enum") {
  auto names = proto_accelerator_types();
  CHECK(names.count("NVIDIA_TESLA_T4") == 1);  // the parse itself works
  for (const auto& m : cat().machines) {
    if (m.accelerator_type.empty()) continue;
    INFO(m.name << " " << m.accelerator_type);
    CHECK(names.count(m.accelerator_type) == 1);
  }
}

TEST_CASE("filters: gpu, cloud, region, max price, spot; sorted by price") {
  MachineFilter f;
  f.gpu = "nvidia-tesla-t4";
  f.cloud = "aws";
  f.region = "us-east-1";
  auto offers = filter_machines(cat(), f);
  REQUIRE(!offers.empty());
  CHECK(offers.front().machine->name == "g4dn.xlarge");
  for (size_t i = 0; i < offers.size(); ++i) {
    CHECK(offers[i].machine->gpu == "T4");
    CHECK(offers[i].machine->cloud == "aws");
    CHECK(offers[i].region == "us-east-1");
    if (i) CHECK(offers[i - 1].on_demand <= offers[i].on_demand);
  }

  MachineFilter cheap;
  cheap.max_price = 1.0;
  auto under = filter_machines(cat(), cheap);
  REQUIRE(!under.empty());
  for (const auto& o : under) CHECK(o.on_demand <= 1.0);
  CHECK(under.size() < filter_machines(cat(), MachineFilter{}).size());

  // Under spot, the spot price filters and sorts: p3.2xlarge ($3.06 on demand) fits $1.
  MachineFilter spot;
  spot.spot = true;
  spot.max_price = 1.0;
  spot.gpu = "V100";
  spot.cloud = "aws";
  auto s = filter_machines(cat(), spot);
  REQUIRE(!s.empty());
  CHECK(s.front().machine->name == "p3.2xlarge");
  for (size_t i = 1; i < s.size(); ++i) CHECK(*s[i - 1].spot <= *s[i].spot);

  MachineFilter many;
  many.min_gpu_count = 8;
  for (const auto& o : filter_machines(cat(), many)) CHECK(o.machine->gpu_count >= 8);
}

TEST_CASE("unknown filter values are usage errors with suggestions") {
  auto usage = [](MachineFilter f) {
    try {
      filter_machines(cat(), f);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kUsage);
      return std::string(e.what()) + " | " + e.hint();
    }
    FAIL("expected Error(kUsage)");
    return std::string();
  };
  MachineFilter f;
  f.gpu = "T5";
  CHECK(usage(f).find("unknown GPU 'T5'") != std::string::npos);
  f = {};
  f.cloud = "gcp";
  f.region = "us-east-1";  // an AWS region
  CHECK(usage(f).find("unknown gcp region 'us-east-1'; known: africa-south1, asia-east1") !=
        std::string::npos);
  CHECK(usage(f).find("us-central1") != std::string::npos);
  f = {};
  f.cloud = "azure";
  CHECK(usage(f).find("unknown cloud 'azure'") != std::string::npos);
}

TEST_CASE("find_machine picks among GCP rows sharing a name") {
  CHECK(find_machine(cat(), "n1-standard-8", "V100").accelerator_type == "NVIDIA_TESLA_V100");
  CHECK(find_machine(cat(), "n1-standard-8", "NVIDIA_TESLA_T4").gpu == "T4");
  CHECK(find_machine(cat(), "a2-highgpu-4g").gpu_count == 4);
  try {
    find_machine(cat(), "g4dn.xlargee");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.hint() == "did you mean 'g4dn.xlarge'?");
  }
  CHECK_THROWS_AS(find_machine(cat(), "g4dn.xlarge", "A100"), Error);
}

TEST_CASE("find_machines_for_gpu and gpu_offered_in_region") {
  auto a100 = find_machines_for_gpu(cat(), "gcp", "A100", 2, "us-central1");
  REQUIRE(!a100.empty());
  CHECK(a100.front().machine->name == "a2-highgpu-2g");
  for (const auto& o : a100) CHECK(o.machine->gpu_count >= 2);

  auto t4 = find_machines_for_gpu(cat(), "aws", "T4", 1, "us-west-2");
  REQUIRE(!t4.empty());
  CHECK(t4.front().machine->name == "g4dn.xlarge");
  CHECK(find_machines_for_gpu(cat(), "aws", "T4", 1, "europe-west4").empty());

  CHECK(gpu_offered_in_region(cat(), "gcp", "L4", "europe-west4"));
  CHECK(gpu_offered_in_region(cat(), "aws", "K80", "us-east-1"));
  CHECK_FALSE(gpu_offered_in_region(cat(), "gcp", "K80", "us-central1"));
  CHECK_FALSE(gpu_offered_in_region(cat(), "aws", "L4", "us-central1"));
}

TEST_CASE("a malformed catalog is reported with file:line:col") {
  try {
    parse_machine_catalog(
        "machines:\n  - name: x\n    cloud: azure\n    gpu: T4\n"
        "    gpu_count: 1\n    vcpu: 4\n    memory_gib: 16\n"
        "    prices: {us-east-1: {on_demand: 1}}\n",
        "m.yaml");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("m.yaml:2:") == 0);
    CHECK(std::string(e.what()).find("cloud must be aws or gcp") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_machine_catalog("machines: [", "m.yaml"), Error);
}

TEST_CASE("regions: every region each cloud sells the families in, priced or estimated") {
  CHECK_FALSE(cat().regions_as_of.empty());
  auto aws = cat().regions("aws");
  auto gcp = cat().regions("gcp");
  for (const char* r : {"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
                        "ap-northeast-1", "ap-south-1"}) {
    CHECK_MESSAGE(std::find(aws.begin(), aws.end(), r) != aws.end(), r);
  }
  for (const char* r : {"us-central1", "us-east4", "us-west1", "europe-west4", "asia-southeast1"}) {
    CHECK_MESSAGE(std::find(gcp.begin(), gcp.end(), r) != gcp.end(), r);
  }
  // Listed prices stay exact; the others are the reference price, marked.
  const Machine& g4 = find_machine(cat(), "g4dn.xlarge");
  REQUIRE(g4.price_in("eu-west-1") != nullptr);
  CHECK(g4.price_in("eu-west-1")->estimated);
  CHECK_FALSE(g4.price_in("us-east-1")->estimated);
  CHECK(gpu_offered_in_region(cat(), "aws", "T4", "eu-west-1"));
  CHECK(gpu_offered_in_region(cat(), "gcp", "A100", "asia-southeast1"));
  CHECK_FALSE(gpu_offered_in_region(cat(), "gcp", "V100", "us-east4"));
  // The default listing keeps to compiled prices.
  MachineFilter f;
  f.with_estimated = false;
  for (const auto& o : filter_machines(cat(), f)) CHECK_FALSE(o.estimated);
}

TEST_CASE("CPU-only families: m5/c5/r5 on AWS, n1/n2/e2/c2 standard on GCP") {
  for (const char* name : {"m5.large", "c5.xlarge", "r5.2xlarge"}) {
    const Machine& m = find_machine(cat(), name);
    CHECK(m.cloud == "aws");
    CHECK(m.gpu_count == 0);
  }
  for (const char* name : {"n2-standard-8", "e2-standard-4", "c2-standard-8"}) {
    const Machine& m = find_machine(cat(), name);
    CHECK(m.cloud == "gcp");
    CHECK(m.gpu_count == 0);
  }
  // n1-standard-8 without a GPU asked for is the CPU-only row; with one, the GPU row.
  CHECK(find_machine(cat(), "n1-standard-8").gpu_count == 0);
  CHECK(find_machine(cat(), "n1-standard-8", "T4").gpu == "T4");
  CHECK(find_machine(cat(), "m5.large").price_in("us-east-1")->on_demand == doctest::Approx(0.096));
  MachineFilter f;
  f.cpu_only = true;
  f.cloud = "aws";
  f.region = "us-east-1";
  auto offers = filter_machines(cat(), f);
  REQUIRE_FALSE(offers.empty());
  CHECK(offers.front().machine->name == "c5.large");  // the cheapest
  for (const auto& o : offers) CHECK(o.machine->gpu_count == 0);
}

TEST_CASE("find_machines_for_request: GPUs, vCPUs and memory as minimums, cheapest first") {
  MachineRequest r{"T4", 1, 0, 20};
  auto offers = find_machines_for_request(cat(), "gcp", "us-central1", r);
  REQUIRE_FALSE(offers.empty());
  CHECK(offers.front().machine->name == "n1-standard-8");
  for (const auto& o : offers) CHECK(o.machine->memory_gib >= 20);
  r = {"", 0, 8, 0};
  offers = find_machines_for_request(cat(), "gcp", "us-central1", r);
  REQUIRE_FALSE(offers.empty());
  CHECK(offers.front().machine->gpu_count == 0);
  CHECK(offers.front().machine->name == "e2-standard-8");  // the cheapest 8-vCPU type
  r = {"H100", 8, 0, 100000};
  CHECK(find_machines_for_request(cat(), "aws", "us-east-1", r).empty());
}
