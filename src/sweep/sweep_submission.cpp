#include "sweep/sweep_submission.h"

#include <fmt/format.h>

#include "jobs/data_staging.h"

namespace mlbox::sweep {

void submit_sweep(SweepStore& store, SweepEngine& engine, SweepRecord& record, jobs::SpecInputs in,
                  const jobs::SubmitSteps& steps, Observer& observer) {
  in.job_id = record.id;
  jobs::check_job_inputs(in);
  jobs::PushedImage pushed = steps.push_image();
  in.image_ref = pushed.reference;
  in.image_digest = pushed.digest;
  jobs::JobSpec spec = jobs::make_job_spec(in);
  if (steps.stage_data) steps.stage_data(spec);
  if (!spec.data.empty()) spec.env[jobs::kDataSourcesEnv] = jobs::data_sources_env(spec.data);
  record.output = spec.output_uri;
  for (auto& t : record.trials) t.output = record.output + "/" + t.id;
  engine.submit(record, spec);
  record.details["spec"] = spec.to_json();
  store.save(record);
  observer.info(fmt::format("submitted sweep {} as {} ({} trials)", record.id, record.remote_id,
                            record.trials.size()));
}

nlohmann::json plan_sweep_requests(SweepEngine& engine, const SweepRecord& record,
                                   jobs::SpecInputs in, const jobs::PushedImage& image) {
  in.job_id = record.id;
  in.image_ref = image.reference;
  in.image_digest = image.digest;
  jobs::JobSpec spec = jobs::make_job_spec(in);
  if (!spec.data.empty()) spec.env[jobs::kDataSourcesEnv] = jobs::data_sources_env(spec.data);
  SweepRecord planned = record;
  planned.output = spec.output_uri;
  for (auto& t : planned.trials) t.output = planned.output + "/" + t.id;
  return {{"dry_run", true},
          {"backend", engine.name()},
          {"spec", spec.to_json()},
          {"sweep", planned.to_json()},
          {"requests", engine.plan_requests(planned, spec)}};
}

}  // namespace mlbox::sweep
