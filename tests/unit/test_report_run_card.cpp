#include <doctest/doctest.h>

#include "jobs/job_spec.h"
#include "report/report_render.h"
#include "report/run_card.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::report;

namespace {

jobs::JobRecord preempted_and_resumed(const std::filesystem::path& out) {
  jobs::JobRecord r;
  r.id = "aws-batch-20261203-abcdef";
  r.name = "digits";
  r.backend = "aws-batch";
  r.state = jobs::JobState::kSucceeded;
  r.output_dir = out.string();
  r.image_ref = "123.dkr.ecr.us-east-1.amazonaws.com/digits:v1";
  r.image_digest = "sha256:" + std::string(64, 'a');
  r.created_at = "2026-12-03T10:00:00Z";
  r.updated_at = "2026-12-03T11:00:00Z";
  r.attempts = {{1, "2026-12-03T10:00:00Z", "2026-12-03T10:30:00Z", 75, "preempted"},
                {2, "2026-12-03T10:31:00Z", "2026-12-03T11:00:00Z", 0, "succeeded"}};
  jobs::JobSpec spec;
  spec.command = {"python", "train.py", "--lr", "0.1"};
  spec.env = {{"HF_TOKEN", "hf_supersecret"}, {"EPOCHS", "3"}};
  spec.region = "us-east-1";
  spec.machine = "g4dn.xlarge";
  spec.gpu_type = "T4";
  spec.gpu_count = 1;
  spec.spot = true;
  r.details["spec"] = spec.to_json();
  r.details["lock_digest"] = "sha256:" + std::string(64, 'c');  // kept at submit time
  r.details["base_image"] = "python:3.11-slim@sha256:" + std::string(64, 'b');
  return r;
}

}  // namespace

TEST_CASE("run card: attempts, metrics from history.json, redacted env, outputs, problems") {
  fs::TempDir tmp;
  auto out = tmp.path();
  fs::write_file_atomic(out / "history.json",
                        R"({"history": {"loss": [1.5, 0.75, 0.5], "val_loss": [1.75, 1.0, 0.875]},
                            "epoch": [0, 1, 2], "params": {"epochs": 3, "batch_size": 32}})");
  fs::write_file_atomic(out / "summary.json",
                        R"({"device": "cuda:0 Tesla T4 15 GiB", "attempts": [
           {"attempt": 1, "outcome": "preempted", "exit_code": 75, "child_signal": 15,
            "killed_after_grace": false, "duration_s": 1800.0},
           {"attempt": 2, "outcome": "succeeded", "exit_code": 0, "duration_s": 1740.0}]})");
  fs::write_file_atomic(out / "tensorboard" / "events.out.tfevents.1.host", "garbage-bytes!");
  fs::write_file_atomic(out / "model" / "model.pt", std::string(2048, 'w'));
  RunCard c = load_run_card(preempted_and_resumed(out), out, 0);
  REQUIRE(c.attempts.size() == 2);
  CHECK(c.attempts[0].outcome == "preempted");
  CHECK(c.attempts[0].child_signal == 15);
  CHECK(*c.attempts[1].exit_code == 0);
  CHECK(c.device == "cuda:0 Tesla T4 15 GiB");
  CHECK(c.lock_digest == "sha256:" + std::string(64, 'c'));  // no image store: the record's
  CHECK(c.base_image == "python:3.11-slim@sha256:" + std::string(64, 'b'));
  CHECK(c.metrics_source == "history.json");
  CHECK(c.x_axis == "epoch");
  REQUIRE(c.metrics.at("val_loss").size() == 3);
  CHECK(c.metrics.at("val_loss")[2].y == 0.875);
  CHECK(c.native_params.at("batch_size") == 32);
  CHECK(c.duration_s == 3600);
  CHECK(c.price_note == "spot price");
  CHECK(c.billed_s == 59 * 60);  // the minute between the attempts is not billed
  REQUIRE(c.cost_usd.has_value());
  CHECK(*c.cost_usd == doctest::Approx(0.21 * 59 / 60));  // the catalog's spot rate
  bool redacted = false;
  for (const auto& [k, v] : c.env) {
    if (k == "HF_TOKEN") redacted = v == "REDACTED";
  }
  CHECK(redacted);
  REQUIRE(c.problems.size() == 1);
  CHECK(c.problems[0].find("events.out.tfevents.1.host: record 1 at byte 0") != std::string::npos);
  REQUIRE(c.outputs.size() == 4);
  CHECK(c.outputs[1].path == "model/model.pt");
  CHECK(c.outputs[1].size == 2048);

  std::string html = render_html({c}, "2026-12-03T12:00:00Z");
  CHECK(html.find("hf_supersecret") == std::string::npos);
  CHECK(html.find("HF_TOKEN=REDACTED") != std::string::npos);
  CHECK(html.find("data-metric=\"val_loss\" data-x=\"2\" data-y=\"0.875\"") != std::string::npos);
  CHECK(html.find("data-attempt=\"1\" data-outcome=\"preempted\"") != std::string::npos);
  CHECK(html.find("data-attempt=\"2\" data-outcome=\"succeeded\"") != std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("length CRC mismatch, rest of the file skipped") != std::string::npos);

  std::string md = render_markdown({c});
  CHECK(md.find("| epoch | loss | val_loss |") != std::string::npos);
  CHECK(md.find("| 2 | 0.5 | 0.875 |") != std::string::npos);
  CHECK(md.find("| 1 | 2026-12-03T10:00:00Z | 2026-12-03T10:30:00Z | preempted | 75 |") !=
        std::string::npos);
  CHECK(md.find("hf_supersecret") == std::string::npos);
}

TEST_CASE("run card: a job without metrics still shows its timeline and cost; jobs overlay") {
  fs::TempDir tmp;
  auto empty = tmp.path() / "empty";
  std::filesystem::create_directories(empty);
  RunCard none = load_run_card(preempted_and_resumed(empty), empty, 0);
  CHECK(none.metrics.empty());
  std::string html = render_html({none}, "t");
  CHECK(html.find("no metrics") != std::string::npos);
  CHECK(html.find("data-attempt=\"2\"") != std::string::npos);
  CHECK(html.find("$0.2065 (spot price x 0.98 h billed)") != std::string::npos);
  CHECK(render_markdown({none}).find("No metrics") != std::string::npos);

  auto other = tmp.path() / "other";
  fs::write_file_atomic(other / "metrics.jsonl",
                        "{\"step\": 100, \"loss\": 2}\n{\"step\": 200, \"loss\": 1}\n");
  auto job = preempted_and_resumed(other);
  job.id = "aws-batch-20261203-000001";
  RunCard a = load_run_card(job, other, 0);
  CHECK(a.metrics_source == "metrics.jsonl");
  CHECK(a.x_axis == "step");
  auto first = tmp.path() / "first";
  fs::write_file_atomic(first / "metrics.jsonl", "{\"step\": 100, \"loss\": 3}\n");
  job.id = "aws-batch-20261203-000002";
  RunCard b = load_run_card(job, first, 0);
  std::string both = render_html({a, b}, "t");
  CHECK(both.find("data-job=\"aws-batch-20261203-000001\" data-metric=\"loss\" data-x=\"200\" "
                  "data-y=\"1\"") != std::string::npos);
  CHECK(both.find("data-job=\"aws-batch-20261203-000002\" data-metric=\"loss\" data-x=\"100\" "
                  "data-y=\"3\"") != std::string::npos);
  CHECK(render_markdown({a, b}).find("| step | aws-batch-20261203-000001 loss | "
                                     "aws-batch-20261203-000002 loss |") != std::string::npos);
}
