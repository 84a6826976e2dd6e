// Mirrors a checkpoint directory into its durable destination. The user's process writes to a
// local staging directory; the supervisor restores it from the destination at start, mirrors
// it back periodically and once more after the process exits (the preemption path). Today the
// destination is a local path (a mount, a volume, Cloud Storage FUSE); remote object stores
// plug in behind the same two calls when the cloud clients land.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace mlbox::trainer {

struct SyncStats {
  size_t copied = 0;
  size_t removed = 0;
  size_t skipped_busy = 0;  // files that changed while being copied (retried next round)
  size_t bytes = 0;
};

// Makes `to` hold exactly the regular files of `from` (recursively): new or changed files
// (size or mtime differ) are copied with an atomic write (temp + rename) and given the source
// mtime; files absent from `from` are removed from `to` when `mirror_deletes`. Hidden temp
// files of atomic writers (".*.tmp-*") are ignored. A file that changes during its copy is
// skipped, so a torn file never reaches the destination.
// Hidden temp files of atomic writers (".name.tmp-XXXX"): never synced or uploaded.
bool is_temp_name(const std::string& name);

SyncStats sync_directory(const std::filesystem::path& from, const std::filesystem::path& to,
                         bool mirror_deletes = true);

}  // namespace mlbox::trainer
