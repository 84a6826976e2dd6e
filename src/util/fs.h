// File-system helpers. Every write that other processes may observe is atomic:
// written to a temp file in the same directory, fsync'd, then renamed into place.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mlbox::fs {

namespace stdfs = std::filesystem;

std::string read_file(const stdfs::path& path);  // throws Error(kConfig) naming the path
bool read_file_if_exists(const stdfs::path& path, std::string& out);
void write_file_atomic(const stdfs::path& path, std::string_view data, int mode = 0644);

// A directory removed (recursively) when the object dies.
// An exclusive flock on `path` (created when missing), held for the object's life.
// Throws Error(kInternal) naming the path when it cannot be opened or locked.
class FileLock {
 public:
  explicit FileLock(const stdfs::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

class TempDir {
 public:
  explicit TempDir(const stdfs::path& parent = stdfs::temp_directory_path(),
                   std::string_view prefix = "mlbox-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const stdfs::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  stdfs::path path_;
  bool keep_ = false;
};

// $HOME, or the passwd entry.
stdfs::path home_dir();
// $MLBOX_HOME or $XDG_DATA_HOME/mlbox or ~/.local/share/mlbox.
stdfs::path mlbox_home();
// $XDG_CONFIG_HOME/mlbox or ~/.config/mlbox.
stdfs::path user_config_dir();

// Look a program up on $PATH; empty when not found.
stdfs::path which(std::string_view program);

}  // namespace mlbox::fs
