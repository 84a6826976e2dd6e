#include "builder/labels.h"

#include "builder/staged_context.h"
#include "builder/trainer_bundle.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/strings.h"

namespace mlbox::builder {

std::map<std::string, std::string> image_labels(const manifest::Manifest& m,
                                                const std::string& lock_digest,
                                                const std::string& base_name,
                                                const std::string& git_commit) {
  std::map<std::string, std::string> labels = {
      {"org.opencontainers.image.title", m.name},
      {"org.opencontainers.image.base.name", base_name},
      {kLabelLockDigest, lock_digest},
      {kLabelVersion, MLBOX_VERSION},
  };
  if (!git_commit.empty()) labels["org.opencontainers.image.revision"] = git_commit;
  return labels;
}

std::vector<std::string> image_command(const manifest::Manifest& m) {
  if (m.train.native) {
    return {std::string(kTrainerPrefix) + "/bin/mlbox-trainer", "native", "--config",
            std::string("/workspace/") + kNativeConfigPath};
  }
  return m.train.command;
}

std::string git_commit_of(const std::filesystem::path& dir) {
  if (fs::which("git").empty()) return {};
  ProcessOptions o;
  o.cwd = dir;
  try {
    ProcessResult head = run_process({"git", "rev-parse", "HEAD"}, o);
    if (!head.ok()) return {};
    std::string commit(trim(head.out));
    ProcessResult st = run_process({"git", "status", "--porcelain", "--untracked-files=no"}, o);
    if (st.ok() && !trim(st.out).empty()) commit += "-dirty";
    return commit;
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace mlbox::builder
