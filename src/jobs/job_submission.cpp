#include "jobs/job_submission.h"

#include <fmt/format.h>

#include "jobs/data_staging.h"

namespace mlbox::jobs {

JobSpec check_job_inputs(SpecInputs in) {
  if (in.job_id.empty()) in.job_id = "job-00000000-000000";
  in.image_digest = "sha256:" + std::string(64, '0');
  return make_job_spec(in);
}

JobRecord submit_job(JobStore& store, JobBackend& backend, SpecInputs in, const SubmitSteps& steps,
                     Observer& observer) {
  if (in.job_id.empty()) in.job_id = new_job_id(backend.name());
  check_job_inputs(in);

  PushedImage pushed = steps.push_image();
  in.image_ref = pushed.reference;
  in.image_digest = pushed.digest;
  JobSpec spec = make_job_spec(in);
  if (steps.stage_data) steps.stage_data(spec);
  if (!spec.data.empty()) spec.env[kDataSourcesEnv] = data_sources_env(spec.data);

  SubmitResult result = backend.submit(spec);
  JobRecord r;
  r.id = in.job_id;
  r.name = spec.name;
  r.backend = backend.name();
  r.image_ref = spec.image_ref;
  r.image_digest = spec.image_digest;
  r.state = JobState::kSubmitted;
  r.output_dir = spec.output_uri;
  r.details = result.details;
  if (pushed.provenance.is_object()) r.details.update(pushed.provenance);
  r.details["remote_id"] = result.remote_id;
  r.details["console_url"] = result.console_url;
  r.details["spec"] = spec.to_json();
  store.insert(r);
  observer.info(fmt::format("submitted {} as {} ({})", r.id, result.remote_id,
                            result.console_url.empty() ? r.backend : result.console_url));
  return store.resolve(r.id);
}

nlohmann::json plan_job(JobBackend& backend, SpecInputs in, const PushedImage& image) {
  if (in.job_id.empty()) in.job_id = new_job_id(backend.name());
  in.image_ref = image.reference;
  in.image_digest = image.digest;
  JobSpec spec = make_job_spec(in);
  if (!spec.data.empty()) spec.env[kDataSourcesEnv] = data_sources_env(spec.data);
  return {{"dry_run", true},
          {"backend", backend.name()},
          {"spec", spec.to_json()},
          {"requests", backend.plan_requests(spec)}};
}

}  // namespace mlbox::jobs
