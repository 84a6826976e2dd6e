#include "trainer/dir_sync.h"

#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "util/error.h"
#include "util/fs.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

bool is_temp_name(const std::string& name) {
  return name.size() > 1 && name[0] == '.' && name.find(".tmp-") != std::string::npos;
}

namespace {

struct Stamp {
  uintmax_t size = 0;
  stdfs::file_time_type mtime;
  bool operator==(const Stamp& o) const { return size == o.size && mtime == o.mtime; }
};

bool stamp_of(const stdfs::path& p, Stamp& out) {
  std::error_code ec;
  out.size = stdfs::file_size(p, ec);
  if (ec) return false;
  out.mtime = stdfs::last_write_time(p, ec);
  return !ec;
}

}  // namespace

SyncStats sync_directory(const stdfs::path& from, const stdfs::path& to, bool mirror_deletes) {
  SyncStats stats;
  std::error_code ec;
  if (!stdfs::is_directory(from, ec)) return stats;
  stdfs::create_directories(to, ec);
  if (ec) {
    throw Error(ErrorKind::kInternal, to.string() + ": cannot create directory: " + ec.message());
  }
  std::set<stdfs::path> present;
  for (auto it = stdfs::recursive_directory_iterator(from, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || is_temp_name(it->path().filename().string())) continue;
    stdfs::path rel = it->path().lexically_relative(from);
    present.insert(rel);
    stdfs::path dst = to / rel;
    Stamp src_stamp, dst_stamp;
    if (!stamp_of(it->path(), src_stamp)) continue;  // vanished meanwhile
    if (stamp_of(dst, dst_stamp) && src_stamp == dst_stamp) continue;
    std::string data;
    if (!fs::read_file_if_exists(it->path(), data)) continue;
    Stamp after;
    if (!stamp_of(it->path(), after) || !(after == src_stamp) || data.size() != src_stamp.size) {
      ++stats.skipped_busy;
      continue;
    }
    fs::write_file_atomic(dst, data);
    stdfs::last_write_time(dst, src_stamp.mtime, ec);
    ++stats.copied;
    stats.bytes += data.size();
  }
  if (mirror_deletes) {
    std::vector<stdfs::path> stale;
    for (auto it = stdfs::recursive_directory_iterator(to, ec);
         !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      stdfs::path rel = it->path().lexically_relative(to);
      if (!present.count(rel)) stale.push_back(it->path());
    }
    for (const auto& p : stale) {
      if (stdfs::remove(p, ec)) ++stats.removed;
    }
  }
  return stats;
}

}  // namespace mlbox::trainer
