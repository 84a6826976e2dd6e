// Following a job's run card until it ends, shared by `mlbox watch JOB` and
// `mlbox logs -f --metrics JOB`: on a terminal one redrawn screen, otherwise one JSON object
// per update (report/watch_view.h). A cloud job's outputs are read from its bucket at every
// update, so metrics the trainer syncs while it runs show up as they arrive.
#pragma once

#include "cli/context.h"
#include "jobs/job_store.h"

namespace mlbox::cli {

struct WatchOptions {
  double interval = -1;  // seconds between updates; <= 0: the backend's poll interval
  bool json = false;     // JSON lines even on a terminal
  bool follow = true;    // false: one update, then return
};

// Throws Error(kJobFailed) when a followed job ends other than SUCCEEDED.
void watch_job(Context& ctx, jobs::JobStore& store, jobs::JobRecord job, const WatchOptions& o);

}  // namespace mlbox::cli
