// VertexBackend against tests/fakes/vertex_fake.py (which parses every CustomJob strictly
// with the aiplatform v1 protos) and tests/fakes/gcp_oauth_fake.py (tokens from its
// metadata-server path; the Vertex fake accepts only tokens the OAuth fake issued).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "cloud/gcp/adc.h"
#include "cloud/gcp/gcs_client.h"
#include "cloud/gcp/vertex_backend.h"
#include "cloud/gcp/vertex_custom_job.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::cloud::gcp;
using mlbox::fs::TempDir;
namespace stdfs = std::filesystem;

namespace {

std::string python() {
  return stdfs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

std::string read_text(const stdfs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fake server process, stopped on destruction; its port comes from --port-file.
class FakeServer {
 public:
  FakeServer(std::vector<std::string> argv, const stdfs::path& port_file) {
    pid_ = ::fork();
    if (pid_ == 0) {
      // The fake's own messages go to a file beside its port file, not into the test output.
      std::string log = port_file.string() + ".log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) ::dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    for (int i = 0; i < 600 && !stdfs::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE_MESSAGE(stdfs::exists(port_file), "fake did not start: " << argv[1]);
    port_ = std::stoi(read_text(port_file));
  }
  ~FakeServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct Fakes {
  TempDir dir;
  std::unique_ptr<FakeServer> oauth, vertex;
  explicit Fakes(bool preempt_spot) {
    std::string src = MLBOX_SOURCE_DIR;
    oauth = std::make_unique<FakeServer>(
        std::vector<std::string>{python(), src + "/tests/fakes/gcp_oauth_fake.py", "--port-file",
                                 (dir.path() / "oauth.port").string(), "--issued",
                                 (dir.path() / "issued.jsonl").string(), "--metadata-email",
                                 "vm@proj.iam.gserviceaccount.com"},
        dir.path() / "oauth.port");
    std::vector<std::string> v{python(),         src + "/tests/fakes/vertex_fake.py",
                               "--port-file",    (dir.path() / "vertex.port").string(),
                               "--oauth-issued", (dir.path() / "issued.jsonl").string(),
                               "--requests",     (dir.path() / "requests.jsonl").string(),
                               "--specs",        MLBOX_SPECS_DIR};
    if (preempt_spot) v.push_back("--preempt-spot");
    vertex = std::make_unique<FakeServer>(v, dir.path() / "vertex.port");
  }
  std::string vertex_url() const { return "http://127.0.0.1:" + std::to_string(vertex->port()); }
  config::EnvGetter env() const {
    return config::env_from_map(
        {{"HOME", (dir.path() / "home").string()},
         {"GCE_METADATA_HOST", "127.0.0.1:" + std::to_string(oauth->port())},
         {"CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM", vertex_url() + "/"},
         {"CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING", vertex_url() + "/"},
         {"STORAGE_EMULATOR_HOST", vertex_url()},
         {"GOOGLE_CLOUD_QUOTA_PROJECT", "mlbox-quota"}});
  }
};

jobs::JobSpec sample_spec() {
  jobs::JobSpec s;
  s.name = "digits-20261122";
  s.image_ref = "us-docker.pkg.dev/proj/ml/digits:v1";
  s.image_digest = "sha256:" + std::string(64, 'a');
  s.command = {"python", "train.py", "--epochs=2"};
  s.env = {{"MLBOX_EPOCHS", "2"}};
  s.region = "us-central1";
  s.project = "proj";
  s.machine = "n1-standard-8";
  s.gpu_type = "T4";
  s.gpu_count = 1;
  s.spot = true;
  s.nodes = 3;
  s.max_runtime_seconds = 3600;
  s.output_uri = "gs://bucket/runs/digits";
  s.labels = {{"mlbox-job", "digits"}};
  s.service_account = "trainer@proj.iam.gserviceaccount.com";
  return s;
}

jobs::JobRecord record_of(const jobs::SubmitResult& r) {
  jobs::JobRecord rec;
  rec.id = "vertex-test";
  rec.backend = "vertex";
  rec.details = r.details;
  return rec;
}

struct Backend {
  NullObserver observer;
  net::HttpClient http{net::TransportConfig{}, observer};
  std::unique_ptr<AdcCredentials> adc;
  std::unique_ptr<VertexBackend> backend;
  explicit Backend(const Fakes& f) {
    AdcCredentials::Options o;
    o.env = f.env();
    o.send = [this](const net::Request& r, const net::RetryPolicy& p) { return http.send(r, p); };
    o.metadata_send = o.send;
    adc = std::make_unique<AdcCredentials>(o);
    VertexBackend::Options vo;
    vo.env = f.env();
    vo.quota_project = [this] { return adc->quota_project(); };
    backend = std::make_unique<VertexBackend>(
        http, [this] { return adc->access_token(); }, observer, vo);
  }
};

}  // namespace

TEST_CASE("CustomJob body: pools, accelerator from the catalog, spot, timeout, output, env") {
  auto body = custom_job_body(sample_spec(), catalog::builtin_machine_catalog());
  const auto& pools = body["jobSpec"]["workerPoolSpecs"];
  REQUIRE(pools.size() == 2);
  CHECK(pools[0]["replicaCount"] == "1");
  CHECK(pools[1]["replicaCount"] == "2");
  CHECK(pools[0]["machineSpec"]["acceleratorType"] == "NVIDIA_TESLA_T4");
  CHECK(pools[0]["machineSpec"]["acceleratorCount"] == 1);
  CHECK(pools[0]["containerSpec"]["imageUri"] ==
        "us-docker.pkg.dev/proj/ml/digits@sha256:" + std::string(64, 'a'));
  CHECK(pools[0]["containerSpec"]["env"][0] ==
        nlohmann::json({{"name", "MLBOX_EPOCHS"}, {"value", "2"}}));
  CHECK(body["jobSpec"]["scheduling"]["strategy"] == "SPOT");
  CHECK(body["jobSpec"]["scheduling"]["restartJobOnWorkerRestart"] == true);
  CHECK(body["jobSpec"]["scheduling"]["timeout"] == "3600s");
  CHECK(body["jobSpec"]["baseOutputDirectory"]["outputUriPrefix"] == "gs://bucket/runs/digits");
  CHECK(body["jobSpec"]["serviceAccount"] == "trainer@proj.iam.gserviceaccount.com");
  CHECK(body["labels"]["mlbox-job"] == "digits");
  auto s = sample_spec();
  s.gpu_type = "K9000";
  CHECK_THROWS_AS(custom_job_body(s, catalog::builtin_machine_catalog()), Error);
  s = sample_spec();
  s.output_uri = "s3://bucket/x";
  CHECK_THROWS_AS(custom_job_body(s, catalog::builtin_machine_catalog()), Error);
  CHECK(job_state_from_vertex("JOB_STATE_PENDING") == jobs::JobState::kStarting);
  CHECK(job_state_from_vertex("JOB_STATE_EXPIRED") == jobs::JobState::kFailed);
  CHECK(std::string(kAiPlatformShutdownNotice).find("2025-01-31") != std::string::npos);
}

TEST_CASE("vertex backend against the fakes: submit, status, logs per attempt, fetch, list") {
  Fakes fakes(/*preempt_spot=*/true);
  Backend b(fakes);
  auto spec = sample_spec();
  auto plan = b.backend->plan_requests(spec);
  CHECK(plan[0]["url"] ==
        fakes.vertex_url() + "/v1/projects/proj/locations/us-central1/customJobs");
  auto submitted = b.backend->submit(spec);
  CHECK(submitted.remote_id.rfind("projects/proj/locations/us-central1/customJobs/", 0) == 0);
  CHECK(submitted.console_url.find("console.cloud.google.com") != std::string::npos);
  // What the fake received is what plan_requests shows.
  auto line = nlohmann::json::parse(read_text(fakes.dir.path() / "requests.jsonl"));
  CHECK(line["body"] == plan[0]["body"]);
  // The quota project (GOOGLE_CLOUD_QUOTA_PROJECT) travels as x-goog-user-project.
  CHECK(line["user_project"] == "mlbox-quota");

  auto job = record_of(submitted);
  std::vector<jobs::JobState> states;
  std::string cursor;
  std::vector<jobs::LogLine> logs;
  for (int i = 0; i < 10; ++i) {
    auto st = b.backend->refresh(job);
    states.push_back(st.state);
    cursor = b.backend->read_logs(job, cursor, logs);
    if (jobs::is_terminal(st.state)) break;
  }
  REQUIRE(!states.empty());
  CHECK(states.front() == jobs::JobState::kStarting);  // QUEUED was the create reply
  CHECK(std::find(states.begin(), states.end(), jobs::JobState::kRunning) != states.end());
  CHECK(states.back() == jobs::JobState::kSucceeded);
  // Logs arrive once each across polls (cursor), numbered by attempt (a new VM after the
  // spot restart), paged by the fake two entries at a time.
  REQUIRE(logs.size() == 6);
  CHECK(logs[0].text == "mlbox-trainer: attempt 1 starting");
  CHECK(logs[0].attempt == 1);
  CHECK(logs[2].text.find("SIGTERM") != std::string::npos);
  CHECK(logs[3].attempt == 2);
  CHECK(logs[5].text == "training finished");
  CHECK(logs[5].attempt == 2);
  std::vector<jobs::LogLine> again;
  b.backend->read_logs(job, cursor, again);
  CHECK(again.empty());

  TempDir out;
  auto files = b.backend->fetch(job, out.path(), false);
  CHECK(files.size() == 2);
  CHECK(stdfs::exists(out.path() / "model" / "model.pt"));
  CHECK(read_text(out.path() / "model" / "history.json").find("\"loss\"") != std::string::npos);

  auto second = b.backend->submit(spec);
  auto third = b.backend->submit(spec);
  CHECK(b.backend->list_jobs("proj", "us-central1").size() == 3);  // over two pages
  auto rec = record_of(third);
  b.backend->cancel(rec, {});
  CHECK(b.backend->refresh(rec).state == jobs::JobState::kCancelled);
  (void)second;
}

TEST_CASE("vertex backend: the fake refuses what Vertex refuses, errors say why") {
  Fakes fakes(false);
  Backend b(fakes);
  jobs::JobRecord missing;
  missing.id = "x";
  missing.details = {{"remote_id", "projects/proj/locations/us-central1/customJobs/999"}};
  try {
    b.backend->refresh(missing);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kRemote);
    CHECK(std::string(e.what()).find("HTTP 404 NOT_FOUND") != std::string::npos);
  }
  // A token the OAuth fake never issued: 401 -> kAuth.
  NullObserver observer;
  net::HttpClient http{net::TransportConfig{}, observer};
  VertexBackend::Options vo;
  vo.env = fakes.env();
  VertexBackend forged(
      http, [] { return std::string("ya29.forged"); }, observer, vo);
  try {
    forged.submit(sample_spec());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kAuth);
    CHECK(std::string(e.what()).find("UNAUTHENTICATED") != std::string::npos);
  }
}

TEST_CASE("GCS client against the fake: simple and resumable uploads round-trip") {
  Fakes fakes(false);
  Backend b(fakes);
  GoogleApi api(b.http, [&] { return b.adc->access_token(); });
  GcsClient gcs(api, fakes.env());
  TempDir dir;
  std::string big(600 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) % 251);
  mlbox::fs::write_file_atomic(dir.path() / "big.bin", big);
  mlbox::fs::write_file_atomic(dir.path() / "small.txt", "hello");
  gcs.upload(dir.path() / "small.txt", "bkt", "data/small.txt");
  gcs.upload(dir.path() / "big.bin", "bkt", "data/big bin", 256 * 1024, 256 * 1024);
  auto objects = gcs.list("bkt", "data/");
  REQUIRE(objects.size() == 2);
  gcs.download("bkt", "data/big bin", dir.path() / "back.bin", objects[0].md5_base64);
  CHECK(read_text(dir.path() / "back.bin") == big);
  CHECK_THROWS_AS(gcs.download("bkt", "data/small.txt", dir.path() / "bad", "AAAA"), Error);
  CHECK_FALSE(stdfs::exists(dir.path() / "bad"));
}

TEST_CASE("mlbox's CustomJob matches what gcloud ai custom-jobs create sends") {
  if (std::system("command -v gcloud >/dev/null 2>&1") != 0) {
    MESSAGE("gcloud is not installed: the field-by-field comparison did not run");
    return;
  }
  Fakes fakes(false);
  Backend b(fakes);
  auto spec = sample_spec();
  spec.env.clear();  // gcloud's --worker-pool-spec has no env
  spec.command = {"--epochs=2"};
  auto mine = b.backend->plan_requests(spec)[0]["body"];
  std::string token = b.adc->access_token();
  mlbox::fs::write_file_atomic(fakes.dir.path() / "token", token);
  // Scheduling, output and labels through gcloud's --config (a CustomJobSpec YAML) and flags.
  mlbox::fs::write_file_atomic(fakes.dir.path() / "config.yaml",
                               "scheduling:\n  strategy: SPOT\n  restartJobOnWorkerRestart: true\n"
                               "  timeout: 3600s\nbaseOutputDirectory:\n"
                               "  outputUriPrefix: gs://bucket/runs/digits\n");
  std::string image = "us-docker.pkg.dev/proj/ml/digits@" + spec.image_digest;
  std::string pool =
      "machine-type=n1-standard-8,accelerator-type=NVIDIA_TESLA_T4,"
      "accelerator-count=1,container-image-uri=" +
      image;
  std::string cmd = "CLOUDSDK_CONFIG=" + (fakes.dir.path() / "gcloud").string() +
                    " CLOUDSDK_CORE_DISABLE_PROMPTS=1 CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM=" +
                    fakes.vertex_url() +
                    "/ CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=" + (fakes.dir.path() / "token").string() +
                    " timeout 120 gcloud ai custom-jobs create --project proj --region us-central1"
                    " --display-name " +
                    spec.name + " --worker-pool-spec=" + pool + ",replica-count=1" +
                    " --worker-pool-spec=" + pool +
                    ",replica-count=2 --args=--epochs=2 --labels=mlbox-job=digits"
                    " --service-account=" +
                    spec.service_account +
                    " --config=" + (fakes.dir.path() / "config.yaml").string() + " >" +
                    (fakes.dir.path() / "gcloud.out").string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  INFO(read_text(fakes.dir.path() / "gcloud.out"));
  REQUIRE(rc == 0);
  auto theirs = nlohmann::json::parse(read_text(fakes.dir.path() / "requests.jsonl"))["body"];
  // Field by field, so a difference names its path.
  auto flat_mine = mine.flatten();
  auto flat_theirs = theirs.flatten();
  for (auto it = flat_theirs.begin(); it != flat_theirs.end(); ++it) {
    INFO("gcloud sends " << it.key() << " = " << it.value().dump());
    CHECK(flat_mine.contains(it.key()));
    if (flat_mine.contains(it.key())) CHECK(flat_mine[it.key()] == it.value());
  }
  for (auto it = flat_mine.begin(); it != flat_mine.end(); ++it) {
    INFO("mlbox sends " << it.key() << " = " << it.value().dump());
    CHECK(flat_theirs.contains(it.key()));
  }
}
