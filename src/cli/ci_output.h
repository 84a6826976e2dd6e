// What mlbox tells a CI system besides its normal output. Under GitHub Actions
// (GITHUB_ACTIONS=true): error annotations on stderr (file:line:col for manifest and config
// errors), `image_digest` / `job_id` / `image` in $GITHUB_OUTPUT, a Markdown summary of a
// submitted job in $GITHUB_STEP_SUMMARY. Elsewhere nothing happens.
#pragma once

#include <map>
#include <string>

namespace mlbox::jobs {
struct JobRecord;
}

namespace mlbox::cli {

bool in_github_actions();
// ::error annotations for an error about to be printed.
void annotate_error_for_ci(const std::string& message, const std::string& hint);
// Appends to $GITHUB_OUTPUT (when set).
void write_ci_outputs(const std::map<std::string, std::string>& outputs);
// The job's image digest, id, console link and state in $GITHUB_STEP_SUMMARY, and its
// id and digest in $GITHUB_OUTPUT.
void report_job_to_ci(const jobs::JobRecord& job);

}  // namespace mlbox::cli
