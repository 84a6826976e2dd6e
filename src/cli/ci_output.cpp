#include "cli/ci_output.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "jobs/job_store.h"
#include "util/error.h"
#include "util/github_actions.h"

namespace mlbox::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

bool in_github_actions() {
  return env("GITHUB_ACTIONS") == "true";
}

void annotate_error_for_ci(const std::string& message, const std::string& hint) {
  if (!in_github_actions()) return;
  // stderr: under --json stdout holds one JSON value; the runner reads commands from both.
  for (const auto& line : github::error_annotations(message, hint, env("GITHUB_WORKSPACE")))
    std::fprintf(stderr, "%s\n", line.c_str());
}

namespace {

// The command's work is done when these are written: a file that cannot be written is a
// warning, not a failure of the build, push or submitted job.
void append_or_warn(const std::string& file, const std::string& text) {
  try {
    github::append_to_file(file, text);
  } catch (const Error& e) {
    std::fprintf(stderr, "mlbox: warning: %s\n", e.what());
  }
}

}  // namespace

void write_ci_outputs(const std::map<std::string, std::string>& outputs) {
  if (!in_github_actions() || env("GITHUB_OUTPUT").empty()) return;
  append_or_warn(env("GITHUB_OUTPUT"), github::output_lines(outputs));
}

void report_job_to_ci(const jobs::JobRecord& job) {
  if (!in_github_actions()) return;
  std::map<std::string, std::string> outputs = {{"job_id", job.id}};
  if (!job.image_digest.empty()) outputs["image_digest"] = job.image_digest;
  write_ci_outputs(outputs);
  std::string summary_file = env("GITHUB_STEP_SUMMARY");
  if (summary_file.empty()) return;
  std::string console = job.details.is_object() && job.details.contains("console_url") &&
                                job.details["console_url"].is_string()
                            ? job.details["console_url"].get<std::string>()
                            : "";
  std::string md = fmt::format(
      "### mlbox job `{}`\n\n| | |\n|---|---|\n| state | **{}** |\n| backend | {} |\n"
      "| image | `{}` |\n| digest | `{}` |\n",
      job.id, jobs::to_string(job.state), job.backend, job.image_ref, job.image_digest);
  if (!console.empty()) md += fmt::format("| console | [{}]({}) |\n", job.backend, console);
  md += fmt::format("\nFollow it with `mlbox logs -f {}`; `mlbox status {}` for its attempts.\n\n",
                    job.id, job.id);
  append_or_warn(summary_file, md);
}

}  // namespace mlbox::cli
