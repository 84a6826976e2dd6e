// Looks inside archives in the build context (tar, tar.gz/.tgz, .tar.bz2/.xz/.zst, zip and
// its kin such as .whl and .jar, single .gz/.bz2/.xz/.zst files) for secrets, members
// streamed through the same rules as plain files. Bounded: nested archives to a small depth,
// a cap on members, and on expanded bytes relative to the archive's size (no zip-bomb
// blow-up); what a limit cut short is reported as incomplete, not as a finding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/secret_rules.h"
#include "builder/secret_stream.h"

namespace mlbox::builder::secret_rules {

struct ArchiveLimits {
  int max_depth = 2;                            // archives inside archives inside the file
  uint64_t max_entries = 100000;                // members, all levels together
  uint64_t min_expanded = uint64_t{256} << 20;  // expanded bytes always allowed
  uint64_t max_ratio = 50;                      // else up to this many times the file's size
};

struct MemberHits {
  std::string member;  // "" for the file itself, else "dir/a.tar.gz!/keys/id_rsa"
  std::vector<Hit> hits;
};

struct SourceResult {
  std::vector<MemberHits> found;  // members (or the file) with hits, in stream order
  std::string incomplete;         // why part of an archive was not scanned, if it was not
  bool archive_error = false;     // the archive was damaged (not a limit): scan it as bytes
};

// True when `head` starts like an archive or a compressed stream the walker reads.
bool looks_like_archive(std::string_view head);

// Scans a file or stream of `size` bytes (0 when unknown): archives member by member,
// anything else as one stream.
SourceResult scan_source(std::string_view name, uint64_t size, const ReadFn& read,
                         const ArchiveLimits& limits);

}  // namespace mlbox::builder::secret_rules
