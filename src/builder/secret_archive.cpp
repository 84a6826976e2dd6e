#include "builder/secret_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace mlbox::builder::secret_rules {

namespace {

constexpr size_t kHead = 64 << 10;
constexpr size_t kMaxReportedMembers = 20;

std::string error_text(struct archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown archive error";
}

bool is_compressed(std::string_view h) {
  auto at = [&](std::string_view magic) { return h.starts_with(magic); };
  return at("\x1f\x8b") || at("BZh") ||
         at(std::string_view("\xfd"
                             "7zXZ\0",
                             6)) ||
         at("\x28\xb5\x2f\xfd");
}

bool is_tar(std::string_view h) {
  return h.size() >= 262 && h.substr(257, 5) == "ustar";
}

bool is_zip(std::string_view h) {
  return h.starts_with("PK\x03\x04") || h.starts_with("PK\x05\x06") || h.starts_with("PK\x07\x08");
}

// Reads up to kHead bytes from `read`.
std::string read_head(const ReadFn& read) {
  std::string head(kHead, '\0');
  size_t got = 0;
  while (got < head.size()) {
    size_t n = read(head.data() + got, head.size() - got);
    if (n == 0) break;
    got += n;
  }
  head.resize(got);
  return head;
}

struct Walk {
  const ArchiveLimits& limits;
  uint64_t expanded_budget;
  uint64_t expanded_left;
  uint64_t entries_left;
  SourceResult result;
};

void scan_any(Walk& walk, const std::string& member, std::string_view name, const ReadFn& read,
              int depth, int layers);

// libarchive pulls its input through this: first the head already read, then `read`.
struct Feed {
  std::string_view head;
  size_t head_pos = 0;
  const ReadFn* read = nullptr;
  std::vector<char> buf = std::vector<char>(256 << 10);
  std::exception_ptr error;
};

la_ssize_t feed_read(struct archive*, void* client, const void** out) {
  auto* f = static_cast<Feed*>(client);
  if (f->head_pos < f->head.size()) {
    *out = f->head.data() + f->head_pos;
    size_t n = f->head.size() - f->head_pos;
    f->head_pos = f->head.size();
    return static_cast<la_ssize_t>(n);
  }
  try {
    size_t n = (*f->read)(f->buf.data(), f->buf.size());
    *out = f->buf.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    f->error = std::current_exception();
    return -1;
  }
}

// "member: " for messages about a member, "" for the file itself.
std::string where(const std::string& member) {
  return member.empty() ? "" : member + ": ";
}

std::string strip_compression_ext(std::string_view name) {
  for (std::string_view ext : {".gz", ".bz2", ".xz", ".zst", ".tgz"}) {
    if (name.ends_with(ext)) return std::string(name.substr(0, name.size() - ext.size()));
  }
  return std::string(name);
}

// Walks one archive level; a compressed stream is one level of its own (its content, a tar
// or anything else, is then looked at like any member), so that a tar is recognised by its
// header and not guessed by libarchive (which reads a run of zero bytes as an empty tar).
void walk_archive(Walk& walk, const std::string& member, std::string_view name,
                  std::string_view head, const ReadFn& read, int depth, int layers) {
  const bool compressed = is_compressed(head);
  Feed feed;
  feed.head = head;
  feed.read = &read;
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                                  &archive_read_free);
  if (compressed) {
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_bzip2(a.get());
    archive_read_support_filter_xz(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_format_raw(a.get());
  } else {
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    archive_read_support_format_zip(a.get());
  }
  if (archive_read_open(a.get(), &feed, nullptr, feed_read, nullptr) != ARCHIVE_OK) {
    if (feed.error) std::rethrow_exception(feed.error);
    walk.result.archive_error = true;
    walk.result.incomplete =
        fmt::format("{}not readable as an archive ({})", where(member), error_text(a.get()));
    return;
  }
  struct archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      if (feed.error) std::rethrow_exception(feed.error);
      walk.result.archive_error = true;
      walk.result.incomplete = fmt::format("{}{}", where(member), error_text(a.get()));
      return;
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    if (walk.entries_left == 0) {
      walk.result.incomplete =
          fmt::format("{}more than {} members", where(member), walk.limits.max_entries);
      return;
    }
    --walk.entries_left;
    const char* p = archive_entry_pathname(entry);
    if (archive_entry_is_encrypted(entry)) {
      walk.result.incomplete =
          fmt::format("{}encrypted member {} not readable", where(member), p ? p : "?");
      continue;
    }
    std::string entry_name =
        compressed || p == nullptr ? strip_compression_ext(name) : std::string(p);
    // The content of a compressed stream is the stream itself, not a member of it.
    std::string child = compressed       ? member
                        : member.empty() ? entry_name
                                         : member + "!/" + entry_name;
    bool cut = false;
    ReadFn read_member = [&](char* out, size_t n) -> size_t {
      if (walk.expanded_left == 0) {
        cut = true;
        return 0;
      }
      n = static_cast<size_t>(std::min<uint64_t>(n, walk.expanded_left));
      la_ssize_t got = archive_read_data(a.get(), out, n);
      if (got < 0) {
        if (feed.error) std::rethrow_exception(feed.error);
        throw std::runtime_error(error_text(a.get()));
      }
      walk.expanded_left -= static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    };
    try {
      if (compressed) {
        scan_any(walk, child, entry_name, read_member, depth, layers + 1);
      } else {
        scan_any(walk, child, entry_name, read_member, depth + 1, layers);
      }
    } catch (const std::runtime_error& e) {
      if (feed.error) std::rethrow_exception(feed.error);
      walk.result.archive_error = true;
      walk.result.incomplete = fmt::format("{}{}", where(child), e.what());
      return;
    }
    if (cut) {
      walk.result.incomplete = fmt::format(
          "{}stopped after {} MiB expanded (limit: {} MiB or {}x the archive's size)", where(child),
          walk.expanded_budget >> 20, walk.limits.min_expanded >> 20, walk.limits.max_ratio);
      return;
    }
    if (walk.result.found.size() >= kMaxReportedMembers) return;
  }
}

void scan_any(Walk& walk, const std::string& member, std::string_view name, const ReadFn& read,
              int depth, int layers) {
  constexpr int kMaxCompressionLayers = 3;  // .tar.gz is one; a .gz of a .gz two
  std::string head = read_head(read);
  bool archive = looks_like_archive(head);
  if (archive && depth <= walk.limits.max_depth &&
      (!is_compressed(head) || layers < kMaxCompressionLayers)) {
    walk_archive(walk, member, name, head, read, depth, layers);
    return;
  }
  auto hits = scan_stream(name, head, read);
  if (!hits.empty()) walk.result.found.push_back({member, std::move(hits)});
}

}  // namespace

bool looks_like_archive(std::string_view head) {
  return is_compressed(head) || is_tar(head) || is_zip(head);
}

SourceResult scan_source(std::string_view name, uint64_t size, const ReadFn& read,
                         const ArchiveLimits& limits) {
  uint64_t budget = std::max(limits.min_expanded, size * limits.max_ratio);
  Walk walk{limits, budget, budget, limits.max_entries, {}};
  scan_any(walk, "", name, read, 0, 0);
  return std::move(walk.result);
}

}  // namespace mlbox::builder::secret_rules
