#include <doctest/doctest.h>

#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "unit/manifest_error_of.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::manifest;

namespace {

using testing::error_of;

struct Bad {
  const char* yaml;
  const char* position;  // "mlbox.yaml:L:C: "
  const char* text;      // a part of the message
};

// Each manifest is wrong in exactly one place.
const Bad kBad[] = {
    // 1. YAML syntax error, converted with its position
    {"name: demo\ntrain:\n  command: [python, train.py\n", "mlbox.yaml:4:1: ",
     "invalid YAML (end of sequence flow not found), expected well-formed YAML"},
    // 2. tab indentation
    {"name: demo\ntrain:\n\tcommand: x\n",
     "mlbox.yaml:3:1: ", "a tab character in the indentation, expected spaces"},
    // 3. empty file
    {"", "mlbox.yaml:1:1: ", "the file is empty, expected a map"},
    // 4. document is a list
    {"- name\n- demo\n", "mlbox.yaml:1:1: ", "the document is a list, expected a map of keys"},
    // 5. missing name
    {"train:\n  command: python train.py\n",
     "mlbox.yaml:1:1: ", "the key 'name' is missing, expected 'name: <image name>'"},
    // 6. name with capitals and spaces
    {"name: My Model\n",
     "mlbox.yaml:1:7: ", "name 'My Model' is not a valid image name, expected lowercase letters"},
    // 7. name as a list
    {"name: [a, b]\n", "mlbox.yaml:1:7: ", "name is a list, expected an image name"},
    // 8. unknown top-level key with did-you-mean
    {"name: demo\npyhton:\n  version: \"3.11\"\n",
     "mlbox.yaml:2:1: ", "unknown key 'pyhton' at the top level, expected one of: name, python"},
    // 9. unknown nested key with did-you-mean
    {"name: demo\nresources:\n  gpus: T4:1\n", "mlbox.yaml:3:3: ",
     "unknown key 'gpus' in 'resources', expected one of: machine, gpu, cpus, memory, spot, "
     "nodes, max_runtime (did you mean 'gpu'?)"},
    // 10. unknown key two levels down
    {"name: demo\ntargets:\n  vertex:\n    regoin: us-central1\n",
     "mlbox.yaml:4:5: ", "unknown key 'regoin' in 'targets.vertex'"},
    // 11. duplicate key
    {"name: demo\nname: other\n", "mlbox.yaml:2:1: ", "duplicate key 'name' at the top level"},
    // 12. python is a string
    {"name: demo\npython: \"3.11\"\n", "mlbox.yaml:2:9: ",
     "python is '3.11', expected a map with keys version, requirements, packages"},
    // 13. python.version not 3.X
    {"name: demo\npython:\n  version: \"2.7\"\n",
     "mlbox.yaml:3:12: ", "python.version is '2.7', expected a Python version like \"3.11\""},
    // 14. requirements and packages both
    {"name: demo\npython:\n  requirements: requirements.txt\n  packages: [numpy]\n",
     "mlbox.yaml:4:3: ", "python.requirements and python.packages are both set"},
    // 15. packages is a string
    {"name: demo\npython:\n  packages: numpy\n",
     "mlbox.yaml:3:13: ", "python.packages is 'numpy', expected a list of requirement specifiers"},
    // 16. packages item is a map
    {"name: demo\npython:\n  packages:\n    - numpy\n    - {torch: 2}\n",
     "mlbox.yaml:5:7: ", "python.packages[1] is a map, expected a string"},
    // 17. framework enum
    {"name: demo\nframework:\n  name: torch\n", "mlbox.yaml:3:9: ",
     "framework.name is 'torch', expected one of: pytorch, tensorflow, none (did you mean "
     "'pytorch'?)"},
    // 18. framework as a string
    {"name: demo\nframework: pytorch\n",
     "mlbox.yaml:2:12: ", "framework is 'pytorch', expected a map with keys name, version"},
    // 19. framework version malformed
    {"name: demo\nframework:\n  name: pytorch\n  version: latest\n",
     "mlbox.yaml:4:12: ", "framework.version is 'latest', expected a version like"},
    // 20. cuda malformed
    {"name: demo\ncuda: twelve\n",
     "mlbox.yaml:2:7: ", "cuda is 'twelve', expected a CUDA version like \"12.1\""},
    // 21. system_packages not a list
    {"name: demo\nsystem_packages: libgl1\n",
     "mlbox.yaml:2:18: ", "system_packages is 'libgl1', expected a list of Debian package names"},
    // 22. system package name invalid
    {"name: demo\nsystem_packages: [libgl1, \"rm -rf\"]\n",
     "mlbox.yaml:2:27: ", "system_packages[1] is 'rm -rf', expected a Debian package name"},
    // 23. train with both command and native
    {"name: demo\ntrain:\n  command: python train.py\n  native:\n    model: m.pt\n",
     "mlbox.yaml:4:3: ", "train.command and train.native are both set, expected exactly one"},
    // 24. train with neither
    {"name: demo\ntrain:\n", "mlbox.yaml:2:1: ", "train has neither 'command' nor 'native'"},
    // 25. train.command unterminated quote
    {"name: demo\ntrain:\n  command: python train.py --name 'x\n",
     "mlbox.yaml:3:12: ", "train.command cannot be split: unterminated single quote"},
    // 26. train.command shell operator
    {"name: demo\ntrain:\n  command: python a.py && python b.py\n",
     "mlbox.yaml:3:12: ", "train.command uses the shell operator '&&'"},
    // 27. train.command is a map
    {"name: demo\ntrain:\n  command:\n    run: x\n",
     "mlbox.yaml:4:5: ", "train.command is a map, expected a command line"},
    // 28. train.native is a list
    {"name: demo\ntrain:\n  native: [1, 2]\n",
     "mlbox.yaml:3:11: ", "train.native is a list, expected a map"},
    // 29. gpu format
    {"name: demo\nresources:\n  gpu: \"T4:x\"\n",
     "mlbox.yaml:3:8: ", "resources.gpu is 'T4:x', expected TYPE:COUNT like \"T4:1\""},
    // 30. gpu count zero
    {"name: demo\nresources:\n  gpu: \"T4:0\"\n", "mlbox.yaml:3:8: ", "resources.gpu is 'T4:0'"},
    // 31. nodes zero
    {"name: demo\nresources:\n  nodes: 0\n",
     "mlbox.yaml:3:10: ", "resources.nodes is 0, expected an integer >= 1"},
    // 32. nodes not an integer
    {"name: demo\nresources:\n  nodes: two\n",
     "mlbox.yaml:3:10: ", "resources.nodes is 'two', expected an integer >= 1"},
    // 33. spot not a bool
    {"name: demo\nresources:\n  spot: maybe\n",
     "mlbox.yaml:3:9: ", "resources.spot is 'maybe', expected true or false"},
    // 34. max_runtime malformed
    {"name: demo\nresources:\n  max_runtime: 2 hours\n",
     "mlbox.yaml:3:16: ", "resources.max_runtime is '2 hours', expected a duration like \"2h\""},
    // 35. data with http URI
    {"name: demo\ndata:\n  train: http://example.com/x\n", "mlbox.yaml:3:10: ",
     "data.train uses the scheme 'http://', expected a local path or a gs:// or s3:// URI"},
    // 36. data with empty bucket
    {"name: demo\ndata:\n  train: gs:///x\n",
     "mlbox.yaml:3:10: ", "data.train has the bucket name ''"},
    // 37. data is a list
    {"name: demo\ndata:\n  - gs://b/x\n", "mlbox.yaml:3:3: ", "data is a list, expected a map"},
    // 38. image.base unsupported transport
    {"name: demo\nimage:\n  base: dir:/tmp/x\n", "mlbox.yaml:3:9: ",
     "image.base 'dir:/tmp/x' is not valid: the transport 'dir:' is not supported"},
    // 39. image.base with uppercase repository
    {"name: demo\nimage:\n  base: NVIDIA/cuda:12.1.1\n",
     "mlbox.yaml:3:9: ", "repository names must be lowercase"},
    // 40. image.base bad digest
    {"name: demo\nimage:\n  base: nvidia/cuda@sha256:abc\n", "mlbox.yaml:3:9: ", "is not a digest"},
    // 41. image.repository with a tag
    {"name: demo\nimage:\n  repository: localhost:5000/demo:v1\n",
     "mlbox.yaml:3:15: ", "a repository carries no tag"},
    // 42. vertex output not gs://
    {"name: demo\ntargets:\n  vertex:\n    output: s3://b/x\n", "mlbox.yaml:4:13: ",
     "targets.vertex.output is 's3://b/x', expected a gs://BUCKET[/PREFIX] URI"},
    // 43. batch role arn malformed
    {"name: demo\ntargets:\n  batch:\n    job_role_arn: role/x\n",
     "mlbox.yaml:4:19: ", "expected an IAM role ARN"},
    // 44. targets unknown backend with did-you-mean
    {"name: demo\ntargets:\n  vertx: {}\n", "mlbox.yaml:3:3: ",
     "unknown key 'vertx' in 'targets', expected one of: vertex, batch, local (did you mean "
     "'vertex'?)"},
    // 45. context.exclude a string
    {"name: demo\ncontext:\n  exclude: data/\n",
     "mlbox.yaml:3:12: ", "context.exclude is 'data/', expected a list of paths or glob patterns"},
    // 46. two documents
    {"name: demo\n---\nname: other\n",
     "mlbox.yaml:3:1: ", "the file holds more than one YAML document"},
    // 47. framework.version without a framework
    {"name: demo\nframework:\n  version: \"2.3\"\n",
     "mlbox.yaml:3:3: ", "framework.version is set without framework.name"},
    // 48. batch region malformed
    {"name: demo\ntargets:\n  batch:\n    region: useast1\n",
     "mlbox.yaml:4:13: ", "targets.batch.region is 'useast1', expected an AWS region"},
};

}  // namespace

TEST_CASE("malformed manifests name LINE:COL and what was expected") {
  int n = 0;
  for (const auto& bad : kBad) {
    std::string yaml = bad.yaml;
    CAPTURE(yaml);
    std::string msg = error_of(bad.yaml);
    std::string first_line = msg.substr(0, msg.find('\n'));
    CHECK_MESSAGE(first_line.rfind(bad.position, 0) == 0, first_line);
    CHECK_MESSAGE(first_line.find(bad.text) != std::string::npos, first_line);
    ++n;
  }
  CHECK(n >= 25);
}

TEST_CASE("every problem is reported, in file order, with the first hint") {
  const char* yaml =
      "name: demo\n"
      "resources:\n"
      "  nodes: 0\n"
      "pyhton: {}\n"
      "framework:\n"
      "  name: keras\n";
  try {
    parse(yaml, "proj/mlbox.yaml");
    FAIL("accepted");
  } catch (const Error& e) {
    std::string msg = e.what();
    CHECK(msg ==
          "proj/mlbox.yaml:3:10: resources.nodes is 0, expected an integer >= 1\n"
          "proj/mlbox.yaml:4:1: unknown key 'pyhton' at the top level, expected one of: name, "
          "python, framework, cuda, system_packages, train, image, context, data, resources, "
          "targets, sweep (did you mean 'python'?)\n"
          "proj/mlbox.yaml:6:9: framework.name is 'keras', expected one of: pytorch, "
          "tensorflow, none");
    CHECK(e.hint() == "rename 'pyhton' to 'python'");
  }
}

TEST_CASE("a full manifest round-trips every field") {
  const char* yaml = R"(name: mnist-cnn
python:
  version: "3.10"
  packages: ["torch==2.3.1", numpy]
framework:
  name: pytorch
  version: "2.3.1"
cuda: "12.1"
system_packages: [libgl1, "curl=7.88.1-10"]
train:
  command: python train.py --name "my run" --lr 0.1 'a b'
image:
  repository: us-docker.pkg.dev/my-proj/ml/mnist
  base: nvidia/cuda:12.1.1-runtime-ubuntu22.04
context:
  include: [src, train.py]
  exclude: ["data/", "*.ckpt"]
  allow_secrets: [config/public.pem]
data:
  train: gs://my-bucket/mnist/train
  eval: s3://other-bucket/eval
  local_set: ./data/small
resources:
  machine: n1-standard-8
  gpu: t4:2
  spot: yes
  nodes: 3
  max_runtime: 1h30m
targets:
  vertex:
    project: my-proj
    region: us-central1
    output: gs://my-bucket/out
    service_account: trainer@my-proj.iam.gserviceaccount.com
  batch:
    region: us-east-1
    job_queue: gpu-queue
    job_role_arn: arn:aws:iam::123456789012:role/mlbox
    output: s3://my-bucket/out
  local:
    output: ./out
x-notes: ignored
)";
  Manifest m = parse(yaml, "mlbox.yaml");
  CHECK(m.name == "mnist-cnn");
  CHECK(m.python.version == "3.10");
  CHECK(m.python.packages == std::vector<std::string>{"torch==2.3.1", "numpy"});
  CHECK(m.python.requirements.empty());
  CHECK(m.framework.name == "pytorch");
  CHECK(m.framework.version == "2.3.1");
  CHECK(m.cuda == "12.1");
  CHECK(m.system_packages == std::vector<std::string>{"libgl1", "curl=7.88.1-10"});
  CHECK(m.train.command ==
        std::vector<std::string>{"python", "train.py", "--name", "my run", "--lr", "0.1", "a b"});
  CHECK_FALSE(m.train.native.has_value());
  CHECK(m.image.repository == "us-docker.pkg.dev/my-proj/ml/mnist");
  CHECK(m.image.base == "nvidia/cuda:12.1.1-runtime-ubuntu22.04");
  CHECK(m.context.include == std::vector<std::string>{"src", "train.py"});
  CHECK(m.context.exclude == std::vector<std::string>{"data/", "*.ckpt"});
  CHECK(m.context.allow_secrets == std::vector<std::string>{"config/public.pem"});
  CHECK(m.data.size() == 3);
  CHECK(m.data.at("train") == "gs://my-bucket/mnist/train");
  CHECK(m.data.at("eval") == "s3://other-bucket/eval");
  CHECK(m.data.at("local_set") == "./data/small");
  CHECK(m.resources.machine == "n1-standard-8");
  CHECK(m.resources.gpu.type == "T4");
  CHECK(m.resources.gpu.count == 2);
  CHECK(m.resources.spot);
  CHECK(m.resources.nodes == 3);
  CHECK(m.resources.max_runtime_seconds == 5400);
  REQUIRE(m.targets.vertex.has_value());
  CHECK(m.targets.vertex->project == "my-proj");
  CHECK(m.targets.vertex->region == "us-central1");
  CHECK(m.targets.vertex->output == "gs://my-bucket/out");
  CHECK(m.targets.vertex->service_account == "trainer@my-proj.iam.gserviceaccount.com");
  REQUIRE(m.targets.batch.has_value());
  CHECK(m.targets.batch->region == "us-east-1");
  CHECK(m.targets.batch->job_queue == "gpu-queue");
  CHECK(m.targets.batch->job_role_arn == "arn:aws:iam::123456789012:role/mlbox");
  CHECK(m.targets.batch->output == "s3://my-bucket/out");
  REQUIRE(m.targets.local.has_value());
  CHECK(m.targets.local->output == "./out");
  // marks: every key, dotted, 1-based, pointing at the key
  CHECK(m.where("name") == "mlbox.yaml:1:1");
  CHECK(m.where("python.version") == "mlbox.yaml:3:3");
  CHECK(m.where("train.command") == "mlbox.yaml:11:3");
  CHECK(m.where("resources.gpu") == "mlbox.yaml:25:3");
  CHECK(m.where("targets.vertex.region") == "mlbox.yaml:32:5");
  CHECK(m.where("data.eval") == "mlbox.yaml:21:3");
  CHECK(m.where("targets.local.output") == "mlbox.yaml:41:5");
  CHECK(m.where("cuda.version") == "mlbox.yaml");
  CHECK(m.marks.count("x-notes") == 0);
}

TEST_CASE("defaults, requirements file, list commands and native configs") {
  Manifest m = parse(
      "name: demo\n"
      "python:\n"
      "  requirements: requirements.txt\n"
      "train:\n"
      "  native:\n"
      "    model: model.pt\n"
      "    epochs: 3\n"
      "    lr: 0.01\n"
      "    amp: true\n"
      "    tag: \"7\"\n"
      "    layers: [64, 32]\n"
      "    note: ~\n"
      "resources:\n"
      "  max_runtime: 3600\n"
      "targets:\n"
      "  vertex:\n",
      "mlbox.yaml");
  CHECK(m.python.version == "3.11");
  CHECK(m.python.requirements == "requirements.txt");
  CHECK(m.framework.name == "none");
  CHECK(m.cuda.empty());
  CHECK(m.train.command.empty());
  REQUIRE(m.train.native.has_value());
  CHECK(*m.train.native ==
        nlohmann::json::parse(R"({"model":"model.pt","epochs":3,"lr":0.01,"amp":true,)"
                              R"("tag":"7","layers":[64,32],"note":null})"));
  CHECK(m.resources.nodes == 1);
  CHECK_FALSE(m.resources.spot);
  CHECK(m.resources.gpu.count == 0);
  CHECK(m.resources.max_runtime_seconds == 3600);
  CHECK(m.targets.vertex.has_value());
  CHECK_FALSE(m.targets.batch.has_value());

  Manifest l =
      parse("name: demo\ntrain:\n  command: [python, \"train.py\", --x, \"a b\"]\n", "mlbox.yaml");
  CHECK(l.train.command == std::vector<std::string>{"python", "train.py", "--x", "a b"});
}

TEST_CASE("image.base accepts skopeo-style transports and registry references") {
  for (const char* ok :
       {"nvidia/cuda:12.1.1-runtime-ubuntu22.04", "ubuntu", "docker://ubuntu:22.04",
        "localhost:5000/ns/repo@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "oci:/tmp/layout", "oci:./layout:v1", "docker-archive:/tmp/base.tar",
        "us-docker.pkg.dev/proj/repo/img:tag"}) {
    std::string why;
    CHECK_MESSAGE(parse_image_source(ok, &why).has_value(), ok << ": " << why);
  }
  std::string why;
  auto src = parse_image_source("oci:./layout:v1", &why);
  REQUIRE(src);
  CHECK(src->transport == ImageSource::Transport::kOciLayout);
  CHECK(src->path == "./layout");
  CHECK(src->oci_tag == "v1");
  auto hub = parse_image_source("ubuntu:22.04", &why);
  REQUIRE(hub);
  CHECK(hub->ref.canonical() == "docker.io/library/ubuntu:22.04");
  auto local = parse_image_source("127.0.0.1:5000/a/b:c", &why);
  REQUIRE(local);
  CHECK(local->ref.registry == "127.0.0.1:5000");
  CHECK(local->ref.repository == "a/b");
  CHECK(local->ref.tag == "c");
  for (const char* bad : {"oci:", "docker-archive:", "Ubuntu", "ubuntu:", "a//b", "oci-archive:x",
                          "ubuntu@sha256:zz"}) {
    CHECK_FALSE_MESSAGE(parse_image_source(bad, &why).has_value(), bad);
  }
}

TEST_CASE("command lines split like a POSIX shell") {
  std::vector<std::string> argv;
  std::string why;
  REQUIRE(split_command_line(R"x(python -c "print(\"hi\")" 'it''s' a\ b)x", argv, &why));
  CHECK(argv == std::vector<std::string>{"python", "-c", "print(\"hi\")", "its", "a b"});
  REQUIRE(split_command_line("  ", argv, &why));
  CHECK(argv.empty());
  CHECK_FALSE(split_command_line("python \"x", argv, &why));
  CHECK(why == "unterminated double quote");
  CHECK_FALSE(split_command_line("python x\\", argv, &why));
}

TEST_CASE("durations and GPU requests") {
  CHECK(parse_duration_seconds("2h") == 7200);
  CHECK(parse_duration_seconds("90m") == 5400);
  CHECK(parse_duration_seconds("45s") == 45);
  CHECK(parse_duration_seconds("3600") == 3600);
  CHECK(parse_duration_seconds("1d2h") == 93600);
  CHECK_FALSE(parse_duration_seconds("0").has_value());
  CHECK_FALSE(parse_duration_seconds("2x").has_value());
  CHECK_FALSE(parse_duration_seconds("h").has_value());
  auto g = parse_gpu_request("a100:8");
  REQUIRE(g);
  CHECK(g->type == "A100");
  CHECK(g->count == 8);
  CHECK(format_gpu_request(*g) == "A100:8");
  CHECK(parse_gpu_request("L4")->count == 1);
  CHECK_FALSE(parse_gpu_request("T4:").has_value());
  CHECK(format_gpu_request(GpuRequest{}).empty());
}

TEST_CASE("load reads a file and writes nothing on error") {
  fs::TempDir dir;
  auto file = dir.path() / "mlbox.yaml";
  fs::write_file_atomic(file, "name: demo\ntrain:\n  command: python train.py\n");
  Manifest m = load(file);
  CHECK(m.name == "demo");
  CHECK(m.path == file);
  CHECK(m.where("train.command") == file.generic_string() + ":3:3");

  fs::write_file_atomic(file, "name: demo\nresources:\n  nodes: -1\n");
  CHECK_THROWS_WITH_AS(load(file), doctest::Contains(":3:10: resources.nodes is -1"), Error);
  size_t count = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++count;
  }
  CHECK(count == 1);
  CHECK_THROWS_WITH_AS(load(dir.path() / "missing.yaml"), doctest::Contains("no such file"), Error);
}
