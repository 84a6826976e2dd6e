// What the engines send: Vertex's HyperparameterTuningJob study, Batch's array SubmitJob, and
// a local trial's job.
#include <doctest/doctest.h>

#include "catalog/machine_catalog.h"
#include "cloud/aws/batch_requests.h"
#include "cloud/aws/batch_sweep.h"
#include "cloud/gcp/vertex_tuning_job.h"
#include "sweep/sweep_launch.h"
#include "sweep/trial_delivery.h"
#include "util/error.h"

using namespace mlbox;
using manifest::parse_param_flag;
using manifest::SweepAlgorithm;

namespace {

manifest::SweepSpec spec_of(SweepAlgorithm a) {
  manifest::SweepSpec s;
  s.metric = "val_accuracy";
  s.algorithm = a;
  s.params = {parse_param_flag("lr=0.0001:0.1:log"), parse_param_flag("batch_size=32,16"),
              parse_param_flag("layers=1:4"), parse_param_flag("opt=adam,sgd")};
  return s;
}

}  // namespace

TEST_CASE("Vertex study: value specs by kind, scales, algorithm, median rule") {
  auto s = spec_of(SweepAlgorithm::kRandom);
  s.early_stopping.median = true;
  s.maximize = false;
  auto j = cloud::gcp::study_spec_json(s);
  CHECK(j["metrics"][0]["metricId"] == "val_accuracy");
  CHECK(j["metrics"][0]["goal"] == "MINIMIZE");
  CHECK(j["algorithm"] == "RANDOM_SEARCH");
  CHECK(j.contains("medianAutomatedStoppingSpec"));
  auto p = j["parameters"];
  CHECK(p[0]["doubleValueSpec"]["minValue"] == 0.0001);
  CHECK(p[0]["scaleType"] == "UNIT_LOG_SCALE");
  CHECK(p[1]["discreteValueSpec"]["values"] == nlohmann::json::array({16.0, 32.0}));
  CHECK(p[2]["integerValueSpec"]["minValue"] == "1");  // int64: a string in JSON
  CHECK(p[3]["categoricalValueSpec"]["values"] == nlohmann::json::array({"adam", "sgd"}));
  CHECK_FALSE(p[3].contains("scaleType"));
  // Grid search takes no DOUBLE parameter: the grid's points go as a discrete list.
  auto g = cloud::gcp::study_spec_json(spec_of(SweepAlgorithm::kGrid));
  CHECK(g["algorithm"] == "GRID_SEARCH");
  CHECK(g["parameters"][0]["discreteValueSpec"]["values"] ==
        nlohmann::json::array({0.0001, 0.00316228, 0.1}));
  // Bayesian: the service's default, no algorithm field.
  CHECK_FALSE(
      cloud::gcp::study_spec_json(spec_of(SweepAlgorithm::kBayesian)).contains("algorithm"));
}

TEST_CASE("Vertex trial -> trial record") {
  sweep::TrialRecord t;
  cloud::gcp::apply_vertex_trial(nlohmann::json::parse(R"({"id": "2", "state": "SUCCEEDED",
        "parameters": [{"parameterId": "lr", "value": 0.01}, {"parameterId": "bs", "value": 32},
                       {"parameterId": "opt", "value": "adam"}],
        "finalMeasurement": {"stepCount": "3", "metrics": [{"metricId": "val_accuracy", "value": 0.91}]},
        "startTime": "2026-12-03T10:00:00.5Z", "endTime": "2026-12-03T10:01:00Z",
        "customJob": "projects/p/locations/r/customJobs/9"})"),
                                 "val_accuracy", t);
  CHECK(t.job_id == "2");
  CHECK(t.state == "SUCCEEDED");
  CHECK(t.values.at("lr") == "0.01");
  CHECK(t.values.at("bs") == "32");
  CHECK(t.values.at("opt") == "adam");
  REQUIRE(t.metric);
  CHECK(*t.metric == doctest::Approx(0.91));
  CHECK(t.duration_seconds() == 60);
  cloud::gcp::apply_vertex_trial(
      nlohmann::json::parse(R"({"id": "3", "state": "INFEASIBLE", "infeasibleReason": "exit 1"})"),
      "val_accuracy", t);
  CHECK(t.state == "FAILED");
  CHECK(t.message == "exit 1");
  CHECK_FALSE(t.metric);
}

TEST_CASE("Batch: one array job over the trials, the plan named in its environment") {
  auto s = spec_of(SweepAlgorithm::kGrid);
  s.max_trials = 5;
  auto record = sweep::plan_sweep(s, "digits", "aws-batch", "s3://b/runs/", false);
  CHECK(record.output == "s3://b/runs/" + record.id);
  CHECK(record.trials.size() == 5);
  CHECK(record.trials[4].output == record.output + "/trial-005");
  jobs::JobSpec base;
  base.name = "digits";
  base.job_queue = "q";
  base.output_uri = record.output;
  auto spec = cloud::aws::array_job_spec(record, base, record.output + "/plan.json");
  CHECK(spec.array_size == 5);
  CHECK(spec.env.at(sweep::kPlanEnv) == record.output + "/plan.json");
  auto body = cloud::aws::submit_job_request(spec, "def:1");
  CHECK(body["arrayProperties"]["size"] == 5);
  spec.array_size = 1;
  CHECK_THROWS_AS(cloud::aws::submit_job_request(spec, "def:1"), Error);
  // One trial is a plain job told its index.
  record.trials.resize(1);
  auto one = cloud::aws::array_job_spec(record, base, "s3://b/p.json");
  CHECK(one.array_size == 0);
  CHECK(one.env.at(sweep::kArrayIndexEnv) == "0");
}

TEST_CASE("local trials: the assignment in the job's env, output under the sweep, slots") {
  auto s = spec_of(SweepAlgorithm::kRandom);
  s.max_trials = 3;
  auto record = sweep::plan_sweep(s, "digits", "local", "/runs", false);
  sweep::LocalTrialImage image{"/p/.mlbox/oci", "latest", {}, {"A=1"}, true};
  auto spec = sweep::local_trial_spec(record, record.trials[1], image, 1);
  CHECK(spec.image_ref == "oci:/p/.mlbox/oci:latest");
  CHECK(spec.output_uri == "/runs/" + record.id + "/trial-002");
  CHECK(spec.env.at("A") == "1");
  CHECK(spec.env.at("CUDA_VISIBLE_DEVICES") == "1");
  auto a = sweep::TrialAssignment::from_json(nlohmann::json::parse(spec.env.at(sweep::kTrialEnv)));
  CHECK(a.trial == "trial-002");
  CHECK(a.values == record.trials[1].values);
  CHECK(sweep::local_slots(4, 8, 0, false) == 4);
  CHECK(sweep::local_slots(4, 2, 0, false) == 2);
  CHECK(sweep::local_slots(4, 8, 2, true) == 2);
  CHECK(sweep::local_slots(0, 8, 0, false) == 1);
}
