#include "builder/staged_context.h"

#include "builder/native_program.h"

#include <set>

#include "builder/context_filter.h"
#include "builder/ignore_patterns.h"
#include "builder/secret_scan_cache.h"
#include "builder/secret_scanner.h"
#include "util/error.h"
#include "util/fs.h"

namespace mlbox::builder {

namespace stdfs = std::filesystem;

void link_or_copy(const stdfs::path& from, const stdfs::path& to) {
  std::error_code ec;
  stdfs::create_hard_link(from, to, ec);
  if (!ec) return;
  stdfs::copy_file(from, to, stdfs::copy_options::overwrite_existing, ec);
  if (ec) {
    throw Error(ErrorKind::kInternal,
                "cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  }
}

namespace {

void link_tree(const stdfs::path& from, const stdfs::path& to) {
  stdfs::create_directories(to);
  for (const auto& e : stdfs::recursive_directory_iterator(from)) {
    auto rel = e.path().lexically_relative(from);
    if (e.is_symlink()) {
      stdfs::create_symlink(stdfs::read_symlink(e.path()), to / rel);
    } else if (e.is_directory()) {
      stdfs::create_directories(to / rel);
    } else {
      link_or_copy(e.path(), to / rel);
    }
  }
}

}  // namespace

std::vector<std::string> checked_code_files(const manifest::Manifest& m,
                                            const stdfs::path& project_dir) {
  ContextRules rules;
  rules.include = m.context.include;
  rules.exclude = m.context.exclude;
  ContextListing listing = list_build_context(project_dir, rules);
  SecretScanCache cache(project_dir / ".mlbox" / "secret-scan-cache.json");
  std::vector<std::string> files = cache.unscanned(project_dir, listing.files());
  SecretScanOptions scan;
  scan.allow = m.context.allow_secrets;
  auto findings = scan_for_secrets(project_dir, files, scan);
  std::set<std::string> flagged;
  for (const auto& f : findings) flagged.insert(f.path);
  std::vector<std::string> clean;
  for (const auto& f : files) {
    if (!flagged.count(f)) clean.push_back(f);
  }
  // Allowed files are not scanned at all: never remember them as clean, so that taking one
  // off context.allow_secrets has it scanned again.
  IgnorePatterns allowed;
  for (const auto& a : m.context.allow_secrets) allowed.add(a, "context.allow_secrets");
  std::vector<std::string> remembered;
  for (const auto& f : clean) {
    if (!allowed.matches(f)) remembered.push_back(f);
  }
  cache.remember_clean(remembered);
  refuse_secrets(findings);
  return listing.paths();
}

StagedContext stage_context(const manifest::Manifest& m, const StageInputs& in,
                            const stdfs::path& dest, Observer& observer) {
  std::vector<std::string> paths = checked_code_files(m, in.project_dir);
  stdfs::create_directories(dest.parent_path());
  fs::TempDir tmp(dest.parent_path(), "." + dest.filename().string() + ".tmp-");
  StagedContext out;
  const stdfs::path code = tmp.path() / "code";
  stdfs::create_directories(code);
  for (const auto& rel : paths) {
    stdfs::path src = in.project_dir / rel;
    stdfs::path dst = code / rel;
    auto st = stdfs::symlink_status(src);
    if (stdfs::is_directory(st)) {
      stdfs::create_directories(dst);
    } else if (stdfs::is_symlink(st)) {
      stdfs::create_directories(dst.parent_path());
      stdfs::create_symlink(stdfs::read_symlink(src), dst);
      ++out.code_files;
    } else {
      stdfs::create_directories(dst.parent_path());
      link_or_copy(src, dst);
      ++out.code_files;
    }
  }
  if (m.train.native) {
    fs::write_file_atomic(code / kNativeConfigPath, m.train.native->dump(2) + "\n");
  }
  link_or_copy(in.lock_file, tmp.path() / "mlbox.lock");
  link_tree(in.trainer_bundle, tmp.path() / "trainer");
  if (!in.native_sources.empty()) {
    for (const auto& f : native_source_files(in.native_sources)) {
      stdfs::create_directories((tmp.path() / "native-src" / f).parent_path());
      link_or_copy(in.native_sources / f, tmp.path() / "native-src" / f);
    }
  }
  if (!in.wheel_dirs.empty()) {
    stdfs::create_directories(tmp.path() / "wheels");
    for (const auto& dir : in.wheel_dirs) {
      for (const auto& e : stdfs::directory_iterator(dir)) {
        if (e.path().extension() == ".whl") {
          link_or_copy(e.path(), tmp.path() / "wheels" / e.path().filename());
        }
      }
    }
    out.has_wheels = true;
  }
  std::error_code ec;
  stdfs::remove_all(dest, ec);
  stdfs::rename(tmp.path(), dest);
  out.dir = dest;
  observer.debug("staged build context in " + dest.string() + " (" +
                 std::to_string(out.code_files) + " code files)");
  return out;
}

}  // namespace mlbox::builder
