#include "builder/secret_scanner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>

#include <fmt/format.h>

#include "builder/ignore_patterns.h"
#include "builder/secret_archive.h"
#include "builder/secret_file_rules.h"
#include "builder/secret_rules.h"
#include "image/compressor.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/strings.h"
#include "util/task_pool.h"

namespace mlbox::builder {

namespace {

namespace rules = secret_rules;

// Bump when a rule changes what it finds: cached "clean" verdicts are then dropped.
constexpr int kRulesRevision = 2;

rules::ArchiveLimits limits_of(const SecretScanOptions& o) {
  rules::ArchiveLimits l;
  l.max_depth = o.archive_depth;
  l.max_entries = o.archive_max_entries;
  l.min_expanded = o.archive_min_expanded;
  l.max_ratio = o.archive_max_ratio;
  return l;
}

void add_findings(std::string_view path, std::vector<rules::MemberHits>& found,
                  std::vector<SecretFinding>& out) {
  for (auto& m : found) {
    if (m.hits.empty()) continue;
    rules::Hit& h = m.hits.front();
    SecretFinding f;
    f.path = std::string(path);
    f.member = m.member;
    f.line = h.line;
    f.kind = std::move(h.kind);
    f.reason = std::move(h.reason);
    f.excerpt = std::move(h.excerpt);
    f.more = m.hits.size() - 1;
    out.push_back(std::move(f));
  }
}

// Reads an open file descriptor to its end.
rules::ReadFn fd_reader(int fd, const std::filesystem::path& full) {
  return [fd, full](char* buf, size_t n) -> size_t {
    while (true) {
      ssize_t got = ::read(fd, buf, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno == EINTR) continue;
      throw Error(ErrorKind::kConfig, fmt::format("{}: read failed during the secret scan: {}",
                                                  full.string(), std::strerror(errno)));
    }
  };
}

struct FileResult {
  std::vector<SecretFinding> findings;
  std::string incomplete;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens a context file for reading; -1 for what the scan skips (symlinks, non-files).
int open_regular(const std::filesystem::path& full, uint64_t& size) {
  int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) return -1;  // a symlink: its target is scanned where it lives
    throw Error(ErrorKind::kConfig, fmt::format("{}: cannot read for the secret scan: {}",
                                                full.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return -1;
  }
  size = static_cast<uint64_t>(st.st_size);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

FileResult scan_file(const std::filesystem::path& root, const std::string& rel,
                     const rules::ArchiveLimits& limits) {
  FileResult out;
  std::filesystem::path full = root / rel;
  uint64_t size = 0;
  Fd fd(open_regular(full, size));
  if (fd.get() < 0) return out;
  auto result = rules::scan_source(rel, size, fd_reader(fd.get(), full), limits);
  if (result.archive_error) {
    // A damaged archive (or a file that only starts like one): its bytes as they are.
    Fd again(open_regular(full, size));
    if (again.get() >= 0) {
      auto hits = rules::scan_stream(rel, "", fd_reader(again.get(), full));
      if (!hits.empty()) result.found.insert(result.found.begin(), {"", std::move(hits)});
    }
  }
  add_findings(rel, result.found, out.findings);
  if (!result.incomplete.empty()) out.incomplete = rel + ": " + result.incomplete;
  return out;
}

}  // namespace

const std::vector<std::string>& secret_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> k = rules::credential_file_kinds();
    for (const auto& c : rules::content_kinds()) {
      if (std::find(k.begin(), k.end(), c) == k.end()) k.push_back(c);
    }
    return k;
  }();
  return kinds;
}

std::string secret_rules_version() {
  SecretScanOptions d;
  return sha256_hex(fmt::format("{}\n{}\n{} {} {} {}", kRulesRevision, join(secret_kinds(), ","),
                                d.archive_depth, d.archive_max_entries, d.archive_min_expanded,
                                d.archive_max_ratio))
      .substr(0, 16);
}

std::vector<SecretFinding> scan_content(std::string_view path, std::string_view content) {
  size_t pos = 0;
  rules::ReadFn read = [&](char* buf, size_t n) {
    size_t k = std::min(n, content.size() - pos);
    std::memcpy(buf, content.data() + pos, k);
    pos += k;
    return k;
  };
  auto result = rules::scan_source(path, content.size(), read, rules::ArchiveLimits{});
  if (result.archive_error) {
    auto hits = rules::scan_stream(path, content, [](char*, size_t) { return size_t{0}; });
    if (!hits.empty()) result.found.insert(result.found.begin(), {"", std::move(hits)});
  }
  std::vector<SecretFinding> out;
  add_findings(path, result.found, out);
  return out;
}

SecretScanReport scan_context_for_secrets(const std::filesystem::path& root,
                                          const std::vector<std::string>& files,
                                          const SecretScanOptions& options) {
  IgnorePatterns allow;
  for (size_t i = 0; i < options.allow.size(); ++i) {
    allow.add(options.allow[i], fmt::format("mlbox.yaml: context.allow_secrets[{}]", i));
  }
  std::vector<std::string> todo;
  for (const auto& rel : files) {
    if (!allow.matches(rel)) todo.push_back(rel);
  }
  const rules::ArchiveLimits limits = limits_of(options);
  std::vector<FileResult> results(todo.size());
  // Files are independent: workers take the next file as they finish one, so one large file
  // does not hold up a slice of small ones; results are merged in listing order.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < todo.size(); i = next++) {
      results[i] = scan_file(root, todo[i], limits);
    }
  };
  unsigned threads = std::min<unsigned>(image::default_thread_count(),
                                        static_cast<unsigned>(todo.size() / 16 + 1));
  if (threads <= 1) {
    work();
  } else {
    TaskPool pool(threads);
    std::vector<std::future<void>> done;
    for (unsigned t = 0; t < threads; ++t) done.push_back(pool.submit(work));
    std::exception_ptr error;
    for (auto& d : done) {
      try {
        d.get();
      } catch (...) {
        if (!error) error = std::current_exception();
        next = todo.size();  // the other workers stop after their current file
      }
    }
    if (error) std::rethrow_exception(error);
  }
  SecretScanReport report;
  for (auto& r : results) {
    for (auto& f : r.findings) report.findings.push_back(std::move(f));
    if (!r.incomplete.empty()) report.incomplete.push_back(std::move(r.incomplete));
  }
  return report;
}

std::vector<SecretFinding> scan_for_secrets(const std::filesystem::path& root,
                                            const std::vector<std::string>& files,
                                            const SecretScanOptions& options) {
  return scan_context_for_secrets(root, files, options).findings;
}

void refuse_secrets(const std::vector<SecretFinding>& findings) {
  if (findings.empty()) return;
  std::vector<std::string> files;
  for (const auto& f : findings) {
    if (std::find(files.begin(), files.end(), f.path) == files.end()) files.push_back(f.path);
  }
  std::string msg = fmt::format(
      "the build context holds {} file{} with secrets; refusing to build:", files.size(),
      files.size() == 1 ? "" : "s");
  for (const auto& f : findings) {
    std::string where = f.member.empty() ? "" : fmt::format("member {}, ", f.member);
    if (f.line > 0)
      where += fmt::format("line {}: ", f.line);
    else if (!where.empty())
      where = where.substr(0, where.size() - 2) + ": ";
    msg += fmt::format("\n  {}: {}{} ({})", f.path, where, f.reason, f.kind);
    if (!f.excerpt.empty()) msg += fmt::format("\n      {}", f.excerpt);
    if (f.more > 0) msg += fmt::format("\n      (and {} more in this file)", f.more);
  }
  throw Error(ErrorKind::kConfig, msg,
              "move the files out of the project, exclude them (.mlboxignore or "
              "context.exclude), or, if they must ship, list them in context.allow_secrets");
}

}  // namespace mlbox::builder
