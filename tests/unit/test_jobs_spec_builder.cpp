#include <doctest/doctest.h>

#include "jobs/job_store.h"
#include "jobs/spec_builder.h"
#include "manifest/load.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::jobs;

namespace {

config::Settings settings_with(std::map<std::string, std::string> flags,
                               std::map<std::string, std::string> env = {}) {
  env.emplace("HOME", "/nonexistent-home");
  return config::resolve(nullptr, flags, config::env_from_map(env), nullptr);
}

SpecInputs inputs(const config::Settings& s, const std::string& target) {
  SpecInputs in;
  in.settings = &s;
  in.target = target;
  in.job_id = "aws-batch-20261122-abc123";
  in.image_ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/digits:latest";
  in.image_digest = "sha256:" + std::string(64, 'b');
  return in;
}

std::string error_of(const std::function<void()>& f, ErrorKind* kind = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return std::string(e.what()) + " | " + e.hint();
  }
  return "";
}

// A catalog where the P100 is offered in one region only.
const char* kSmallCatalog = R"(schema: 1
prices_as_of: "2024-06-01"
machines:
  - name: n1-standard-8
    cloud: gcp
    gpu: T4
    gpu_count: 1
    vcpu: 8
    memory_gib: 30
    accelerator_type: NVIDIA_TESLA_T4
    prices:
      us-central1: {on_demand: 0.73, spot: 0.22}
      europe-west4: {on_demand: 0.75}
  - name: n1-standard-8
    cloud: gcp
    gpu: P100
    gpu_count: 1
    vcpu: 8
    memory_gib: 30
    accelerator_type: NVIDIA_TESLA_P100
    prices:
      us-central1: {on_demand: 1.84, spot: 0.66}
)";

}  // namespace

TEST_CASE("batch spec: machine chosen for the GPU, settings carried, labels set") {
  auto s = settings_with({{"target", "batch"},
                          {"region", "us-west-2"},
                          {"gpu", "T4:1"},
                          {"spot", "true"},
                          {"output", "s3://bucket/runs/"},
                          {"job_queue", "gpu-queue"},
                          {"max_runtime", "2h"}});
  auto in = inputs(s, "batch");
  in.env = {"EPOCHS=3"};
  JobSpec spec = make_job_spec(in);
  CHECK(spec.machine == "g4dn.xlarge");
  CHECK(spec.gpu_type == "T4");
  CHECK(spec.gpu_count == 1);
  CHECK(spec.spot);
  CHECK(spec.region == "us-west-2");
  CHECK(spec.output_uri == "s3://bucket/runs/" + in.job_id);
  CHECK(spec.job_queue == "gpu-queue");
  CHECK(spec.max_runtime_seconds == 7200);
  CHECK(spec.env.at("EPOCHS") == "3");
  CHECK(spec.labels.at("mlbox-job") == in.job_id);
  CHECK(spec.name == "mlbox-abc123");
  // JSON round trip keeps every field.
  CHECK(JobSpec::from_json(spec.to_json()).to_json() == spec.to_json());
}

TEST_CASE("bad input: region, GPU, machine, bucket, queue, project — exit 3 with what to do") {
  ErrorKind kind = ErrorKind::kInternal;
  auto s1 = settings_with(
      {{"target", "batch"}, {"region", "us-east-9"}, {"output", "s3://b/p"}, {"job_queue", "q"}});
  std::string e = error_of([&] { make_job_spec(inputs(s1, "batch")); }, &kind);
  CHECK(kind == ErrorKind::kConfig);
  CHECK(e.find("region 'us-east-9' from region (--region)") != std::string::npos);
  CHECK(e.find("did you mean 'us-east-1'") != std::string::npos);

  auto s2 = settings_with({{"target", "batch"},
                           {"region", "us-east-1"},
                           {"machine", "g4dn.xlarge"},
                           {"gpu", "A100:1"},
                           {"output", "s3://b/p"},
                           {"job_queue", "q"}});
  e = error_of([&] { make_job_spec(inputs(s2, "batch")); }, &kind);
  CHECK(kind == ErrorKind::kConfig);
  CHECK(e.find("g4dn.xlarge") != std::string::npos);

  auto s3 = settings_with(
      {{"target", "batch"}, {"region", "us-east-1"}, {"output", "gs://b/p"}, {"job_queue", "q"}});
  e = error_of([&] { make_job_spec(inputs(s3, "batch")); });
  CHECK(e.find("is not a s3:// URI") != std::string::npos);

  auto s4 = settings_with({{"target", "batch"}, {"region", "us-east-1"}, {"job_queue", "q"}});
  e = error_of([&] { make_job_spec(inputs(s4, "batch")); });
  CHECK(e.find("no output location for batch") != std::string::npos);
  CHECK(e.find("targets.batch.output") != std::string::npos);

  auto s5 = settings_with({{"target", "batch"}, {"region", "us-east-1"}, {"output", "s3://b/p"}});
  e = error_of([&] { make_job_spec(inputs(s5, "batch")); });
  CHECK(e.find("no AWS Batch job queue") != std::string::npos);

  auto s6 = settings_with({{"target", "vertex"}, {"region", "us-central1"}, {"output", "gs://b/p"}},
                          {{"CLOUDSDK_CONFIG", "/nonexistent"}});
  e = error_of([&] { make_job_spec(inputs(s6, "vertex")); });
  CHECK(e.find("no Google Cloud project") != std::string::npos);

  auto s7 = settings_with({{"target", "vertex"},
                           {"region", "us-central1"},
                           {"machine", "g4dn.xlarge"},
                           {"project", "p"},
                           {"output", "gs://b/p"}});
  e = error_of([&] { make_job_spec(inputs(s7, "vertex")); });
  CHECK(e.find("is an AWS machine, not GCP") != std::string::npos);
}

TEST_CASE("a GPU the region does not offer names the regions that do") {
  auto cat = catalog::parse_machine_catalog(kSmallCatalog, "test.yaml");
  auto s = settings_with({{"target", "vertex"},
                          {"region", "europe-west4"},
                          {"gpu", "P100:1"},
                          {"project", "p"},
                          {"output", "gs://b/p"}});
  ErrorKind kind = ErrorKind::kInternal;
  std::string e = error_of([&] { make_job_spec(inputs(s, "vertex"), cat); }, &kind);
  CHECK(kind == ErrorKind::kConfig);
  CHECK(e.find("GPU P100 from gpu (--gpu) is not offered in europe-west4") != std::string::npos);
  CHECK(e.find("regions that offer it: us-central1") != std::string::npos);

  auto ok = settings_with({{"target", "vertex"},
                           {"region", "europe-west4"},
                           {"gpu", "T4:1"},
                           {"project", "p"},
                           {"output", "gs://b/p"}});
  JobSpec spec = make_job_spec(inputs(ok, "vertex"), cat);
  CHECK(spec.machine == "n1-standard-8");
  CHECK(spec.project == "p");
}

TEST_CASE("estimated cost: catalog price x hours x nodes, spot when asked") {
  JobSpec spec;
  spec.machine = "g4dn.xlarge";
  spec.gpu_type = "T4";
  spec.gpu_count = 1;
  spec.region = "us-east-1";
  spec.nodes = 2;
  auto c = estimated_cost(spec, "aws-batch", 1.5);
  REQUIRE(c);
  CHECK(*c == doctest::Approx(0.526 * 1.5 * 2));
  spec.spot = true;
  CHECK(*estimated_cost(spec, "aws-batch", 1.0) == doctest::Approx(0.21 * 2));
  spec.machine = "nope";
  CHECK_FALSE(estimated_cost(spec, "aws-batch", 1.0));
}

TEST_CASE("apply_remote: attempts replaced in one write, terminal state kept") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  JobRecord r;
  r.id = "aws-batch-20261122-000001";
  r.name = "n";
  r.backend = "aws-batch";
  r.image_ref = "x";
  r.image_digest = "sha256:0";
  store.insert(r);
  Attempt a1{1, "2026-11-22T10:00:00Z", "2026-11-22T10:05:00Z", std::nullopt, "preempted"};
  Attempt a2{2, "2026-11-22T10:06:00Z", "", std::nullopt, ""};
  store.apply_remote(r.id, JobState::kRunning, {a1, a2});
  auto got = store.resolve(r.id);
  CHECK(got.state == JobState::kRunning);
  REQUIRE(got.attempts.size() == 2);
  CHECK(got.attempts[0].outcome == "preempted");
  CHECK(got.attempts[1].ended_at.empty());
  store.set_state(r.id, JobState::kCancelled);
  store.apply_remote(r.id, JobState::kRunning, {a1, a2});
  CHECK(store.resolve(r.id).state == JobState::kCancelled);
  a2.ended_at = "2026-11-22T10:30:00Z";
  a2.exit_code = 0;
  a2.outcome = "succeeded";
  store.apply_remote(r.id, JobState::kSucceeded, {a1, a2});
  got = store.resolve(r.id);
  CHECK(got.state == JobState::kSucceeded);
  CHECK(got.attempts[1].exit_code == 0);
}

TEST_CASE("vertex region and project fall back to gcloud's active configuration") {
  fs::TempDir dir;
  fs::write_file_atomic(dir.path() / "active_config", "work\n");
  std::filesystem::create_directories(dir.path() / "configurations");
  fs::write_file_atomic(dir.path() / "configurations" / "config_work",
                        "[core]\naccount = a@b.c\nproject = my-proj\n\n[compute]\nregion = "
                        "europe-west4\n");
  auto s = settings_with({{"target", "vertex"}}, {{"CLOUDSDK_CONFIG", dir.path().string()}});
  CHECK(s.get("project") == "my-proj");
  CHECK(s.at("project").origin == "default (gcloud config core/project)");
  CHECK(s.get("region") == "europe-west4");
  auto env_wins = settings_with({{"target", "vertex"}}, {{"CLOUDSDK_CONFIG", dir.path().string()},
                                                         {"CLOUDSDK_CORE_PROJECT", "env-proj"}});
  CHECK(env_wins.get("project") == "env-proj");
}

TEST_CASE("every problem of a job is reported in one error, before anything moves") {
  auto s = settings_with({{"target", "vertex"}, {"region", "us-central1"}, {"gpu", "T4:1"}},
                         {{"CLOUDSDK_CONFIG", "/nonexistent"}});
  auto in = inputs(s, "vertex");
  in.image_ref.clear();  // image.repository unset
  ErrorKind kind = ErrorKind::kInternal;
  std::string e = error_of([&] { make_job_spec(in); }, &kind);
  CHECK(kind == ErrorKind::kConfig);
  CHECK(e.find("3 problems") != std::string::npos);
  CHECK(e.find("image.repository is unset") != std::string::npos);
  CHECK(e.find("no output location for vertex") != std::string::npos);
  CHECK(e.find("no Google Cloud project") != std::string::npos);
}

TEST_CASE("Vertex GPU counts follow the cloud: T4 x3 is refused, naming the counts it takes") {
  auto s = settings_with({{"target", "vertex"},
                          {"region", "us-central1"},
                          {"gpu", "T4:3"},
                          {"project", "p"},
                          {"output", "gs://b/p"}});
  std::string e = error_of([&] { make_job_spec(inputs(s, "vertex")); });
  CHECK(e.find("T4 x3") != std::string::npos);
  CHECK(e.find("counts of 1, 2, 4 only") != std::string::npos);
  CHECK(e.find("--gpu T4:4") != std::string::npos);
  // Batch asks for GPUs per container: 3 of a 4-GPU machine is valid there.
  auto b = settings_with({{"target", "batch"},
                          {"region", "us-east-1"},
                          {"gpu", "T4:3"},
                          {"output", "s3://b/p"},
                          {"job_queue", "q"}});
  CHECK(make_job_spec(inputs(b, "batch")).gpu_count == 3);
}

TEST_CASE("a registry on this machine is refused for cloud jobs unless allowed") {
  auto s = settings_with(
      {{"target", "batch"}, {"region", "us-east-1"}, {"output", "s3://b/p"}, {"job_queue", "q"}});
  for (const char* ref : {"127.0.0.1:5000/ml/app:v1", "localhost:5000/app", "127.1.2.3/app"}) {
    auto in = inputs(s, "batch");
    in.image_ref = ref;
    std::string e = error_of([&] { make_job_spec(in); });
    CHECK_MESSAGE(e.find("AWS Batch cannot pull from it") != std::string::npos, ref);
  }
  // IPv6 registry hosts are outside the reference grammar mlbox speaks: refused as invalid.
  {
    auto in6 = inputs(s, "batch");
    in6.image_ref = "[::1]:5000/app:v1";
    CHECK(error_of([&] { make_job_spec(in6); }).find("is not valid") != std::string::npos);
  }
  // A name that only starts with 127. is a real host.
  auto in = inputs(s, "batch");
  in.image_ref = "127.0.0.1.nip.io/ml/app:v1";
  CHECK(error_of([&] { make_job_spec(in); }).empty());
  ::setenv("MLBOX_ALLOW_LOCAL_REGISTRY", "1", 1);
  in.image_ref = "127.0.0.1:5000/ml/app:v1";
  CHECK(error_of([&] { make_job_spec(in); }).empty());
  ::unsetenv("MLBOX_ALLOW_LOCAL_REGISTRY");
}

TEST_CASE("missing credentials are reported with the spec's problems; alone they are exit 4") {
  auto s = settings_with({{"target", "vertex"}, {"region", "us-central1"}, {"gpu", "T4:1"}},
                         {{"CLOUDSDK_CONFIG", "/nonexistent"}});
  auto in = inputs(s, "vertex");
  in.image_ref.clear();
  in.preflight.push_back(
      {"no Google Application Default Credentials", "gcloud auth ...", ErrorKind::kAuth});
  ErrorKind kind = ErrorKind::kInternal;
  std::string e = error_of([&] { make_job_spec(in); }, &kind);
  CHECK(kind == ErrorKind::kConfig);  // config problems decide the exit code
  CHECK(e.find("4 problems") != std::string::npos);
  CHECK(e.find("no Google Application Default Credentials") != std::string::npos);

  auto ok = settings_with({{"target", "vertex"},
                           {"region", "us-central1"},
                           {"project", "my-proj"},
                           {"output", "gs://b/runs"}},
                          {{"CLOUDSDK_CONFIG", "/nonexistent"}});
  auto only_auth = inputs(ok, "vertex");
  only_auth.image_ref = "us-docker.pkg.dev/p/r/digits";
  only_auth.preflight.push_back(
      {"no Google Application Default Credentials", "", ErrorKind::kAuth});
  e = error_of([&] { make_job_spec(only_auth); }, &kind);
  CHECK(kind == ErrorKind::kAuth);
  CHECK(e.find("no Google Application Default Credentials") != std::string::npos);
}

namespace {

// A vertex or batch job from an mlbox.yaml text (no flags), with its settings kept alive.
struct YamlJob {
  manifest::Manifest m;
  config::Settings s;
  SpecInputs in;
  YamlJob(const std::string& yaml, const std::string& target) {
    m = manifest::parse(yaml, "mlbox.yaml");
    s = config::resolve(
        &m, {{"target", target}},
        config::env_from_map({{"HOME", "/nonexistent-home"}, {"CLOUDSDK_CONFIG", "/nonexistent"}}),
        nullptr);
    in = inputs(s, target);
    in.manifest = &m;
  }
};

const char* kTargets = R"(targets:
  vertex: {project: my-proj, region: us-central1, output: gs://b/runs}
  batch: {region: us-east-1, job_queue: q, output: s3://b/runs}
)";

}  // namespace

TEST_CASE("portable resources: the cheapest machine that fits, on whichever cloud") {
  std::string yaml = std::string(
                         "name: p\ntrain:\n  command: x\nresources:\n  gpu: T4:1\n"
                         "  memory: 20GB\n") +
                     kTargets;
  YamlJob vertex(yaml, "vertex");
  vertex.in.image_ref = "us-docker.pkg.dev/p/r/x";
  JobSpec v = make_job_spec(vertex.in);
  CHECK(v.machine == "n1-standard-8");  // n1-standard-4 has 15 GiB
  CHECK(v.machine_choice.find("the cheapest with T4 x1, >= 20 GiB") != std::string::npos);
  YamlJob batch(yaml, "batch");
  JobSpec b = make_job_spec(batch.in);
  CHECK(b.machine == "g4dn.2xlarge");  // g4dn.xlarge has 16 GiB
  // CPU only: cpus alone pick a CPU-only type.
  YamlJob cpu(std::string("name: p\ntrain:\n  command: x\nresources:\n  cpus: 8\n") + kTargets,
              "batch");
  JobSpec c = make_job_spec(cpu.in);
  CHECK(c.machine == "c5.2xlarge");
  CHECK(c.gpu_count == 0);
  // Named CPU-only types are accepted.
  YamlJob named(
      std::string("name: p\ntrain:\n  command: x\nresources:\n  machine: m5.large\n") + kTargets,
      "batch");
  CHECK(make_job_spec(named.in).machine == "m5.large");
}

TEST_CASE("resources.machine of the other cloud becomes its equivalent; a pinned one is an error") {
  std::string yaml =
      std::string("name: p\ntrain:\n  command: x\nresources:\n  machine: g4dn.xlarge\n") + kTargets;
  YamlJob vertex(yaml, "vertex");
  vertex.in.image_ref = "us-docker.pkg.dev/p/r/x";
  JobSpec v = make_job_spec(vertex.in);
  CHECK(v.machine == "n1-standard-8");  // T4 x1, >= 4 vCPU, >= 16 GiB
  CHECK(v.gpu_type == "T4");
  CHECK(v.gpu_count == 1);
  CHECK(v.machine_choice.find("resources.machine g4dn.xlarge at mlbox.yaml:5:3 is an AWS type") !=
        std::string::npos);

  std::string pinned = std::string("name: p\ntrain:\n  command: x\n") +
                       "targets:\n  vertex: {project: my-proj, region: us-central1, output: "
                       "gs://b/runs, machine: g4dn.xlarge}\n";
  YamlJob wrong(pinned, "vertex");
  wrong.in.image_ref = "us-docker.pkg.dev/p/r/x";
  ErrorKind kind = ErrorKind::kInternal;
  std::string e = error_of([&] { make_job_spec(wrong.in); }, &kind);
  CHECK(kind == ErrorKind::kConfig);
  CHECK(e.find("machine g4dn.xlarge from targets.vertex.machine (mlbox.yaml:5:") !=
        std::string::npos);
  CHECK(e.find("targets.vertex.machine pins the machine for vertex") != std::string::npos);
}
