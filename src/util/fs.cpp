#include "util/fs.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace mlbox::fs {

FileLock::FileLock(const stdfs::path& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(ErrorKind::kInternal,
                "cannot open lock file " + path.string() + ": " + std::strerror(errno));
  }
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      int err = errno;
      ::close(fd_);
      throw Error(ErrorKind::kInternal, "cannot lock " + path.string() + ": " + std::strerror(err));
    }
  }
}

FileLock::~FileLock() {
  ::close(fd_);
}

std::string read_file(const stdfs::path& path) {
  std::string out;
  if (!read_file_if_exists(path, out)) {
    throw Error(ErrorKind::kConfig, path.string() + ": cannot read: " + std::strerror(errno));
  }
  return out;
}

bool read_file_if_exists(const stdfs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

void write_file_atomic(const stdfs::path& path, std::string_view data, int mode) {
  stdfs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    throw Error(ErrorKind::kInternal,
                path.string() + ": cannot create temp file: " + std::strerror(errno));
  }
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmpl.c_str());
      throw Error(ErrorKind::kInternal, path.string() + ": write failed: " + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::fchmod(fd, static_cast<mode_t>(mode));
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmpl.c_str());
    throw Error(ErrorKind::kInternal, path.string() + ": rename failed: " + std::strerror(err));
  }
}

TempDir::TempDir(const stdfs::path& parent, std::string_view prefix) {
  std::error_code ec;
  stdfs::create_directories(parent, ec);
  std::string tmpl = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw Error(ErrorKind::kInternal,
                "cannot create temp dir under " + parent.string() + ": " + std::strerror(errno));
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ec;
  stdfs::remove_all(path_, ec);
}

stdfs::path home_dir() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

stdfs::path mlbox_home() {
  if (const char* h = std::getenv("MLBOX_HOME"); h && *h) return h;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return stdfs::path(x) / "mlbox";
  return home_dir() / ".local" / "share" / "mlbox";
}

stdfs::path user_config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return stdfs::path(x) / "mlbox";
  return home_dir() / ".config" / "mlbox";
}

stdfs::path which(std::string_view program) {
  if (program.find('/') != std::string_view::npos) {
    return ::access(std::string(program).c_str(), X_OK) == 0 ? stdfs::path(program) : stdfs::path();
  }
  const char* path_env = std::getenv("PATH");
  std::string paths = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= paths.size()) {
    size_t end = paths.find(':', start);
    if (end == std::string::npos) end = paths.size();
    std::string dir = paths.substr(start, end - start);
    if (dir.empty()) dir = ".";
    stdfs::path candidate = stdfs::path(dir) / std::string(program);
    if (::access(candidate.c_str(), X_OK) == 0 && !stdfs::is_directory(candidate)) return candidate;
    start = end + 1;
  }
  return {};
}

}  // namespace mlbox::fs
