#include "builder/trainer_bundle.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlbox::builder {

namespace stdfs = std::filesystem;

LddClosure parse_ldd(const std::string& output) {
  LddClosure c;
  std::vector<std::string> missing;
  for (const auto& raw : split(output, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    auto arrow = line.find(" => ");
    if (arrow == std::string_view::npos) {
      // "/lib64/ld-linux-x86-64.so.2 (0x...)" or "linux-vdso.so.1 (0x...)"
      std::string_view name = line.substr(0, line.find(' '));
      if (name.starts_with("/")) c.loader = std::string(name);
      continue;
    }
    std::string soname(line.substr(0, arrow));
    std::string_view rest = line.substr(arrow + 4);
    if (rest.starts_with("not found")) {
      missing.push_back(soname);
      continue;
    }
    std::string path(rest.substr(0, rest.find(" (")));
    if (!path.starts_with("/")) continue;
    c.libs.push_back({soname, path});
  }
  if (!missing.empty()) {
    throw Error(
        ErrorKind::kInternal,
        "mlbox-trainer needs shared libraries that are not installed: " + join(missing, ", "),
        "install them (scripts/install-deps.sh) and rebuild");
  }
  if (c.loader.empty()) throw Error(ErrorKind::kInternal, "ldd named no dynamic loader");
  return c;
}

stdfs::path locate_trainer_binary() {
  if (const char* env = std::getenv("MLBOX_TRAINER"); env && *env) {
    if (::access(env, X_OK) == 0) return env;
    throw Error(ErrorKind::kConfig, std::string("MLBOX_TRAINER=") + env + " is not executable");
  }
  std::error_code ec;
  stdfs::path self = stdfs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const auto& candidate : {self.parent_path() / "mlbox-trainer",
                                  self.parent_path() / ".." / "lib" / "mlbox" / "mlbox-trainer"}) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal();
    }
  }
  if (auto p = fs::which("mlbox-trainer"); !p.empty()) return p;
  throw Error(ErrorKind::kConfig, "cannot find the mlbox-trainer binary",
              "build it (scripts/build.sh) or set MLBOX_TRAINER=/path/to/mlbox-trainer");
}

TrainerBundle ensure_trainer_bundle(const stdfs::path& binary, const stdfs::path& cache_root,
                                    CommandRunner& runner, Observer& observer) {
  TrainerBundle b;
  b.binary_sha256 = sha256_file_hex(binary);
  b.dir = cache_root / b.binary_sha256.substr(0, 32);
  auto count = [&b]() {
    for (const auto& e : stdfs::recursive_directory_iterator(b.dir)) {
      if (e.is_regular_file()) {
        ++b.files;
        b.bytes += e.file_size();
      }
    }
  };
  if (stdfs::exists(b.dir / "bin" / "mlbox-trainer")) {
    count();
    return b;
  }
  observer.info("bundling mlbox-trainer with its shared libraries");
  ProcessResult ldd = runner.run({"ldd", binary.string()}, {});
  if (!ldd.ok()) {
    throw Error(ErrorKind::kInternal, "ldd " + binary.string() + " failed: " + ldd.err);
  }
  LddClosure closure = parse_ldd(ldd.out);

  stdfs::create_directories(cache_root);
  fs::TempDir stage(cache_root, ".stage-");
  stdfs::create_directories(stage.path() / "bin");
  stdfs::create_directories(stage.path() / "lib");
  stdfs::copy_file(binary, stage.path() / "bin" / "mlbox-trainer");
  std::vector<std::string> libs;
  for (const auto& lib : closure.libs) {
    auto dest = stage.path() / "lib" / lib.soname;
    if (stdfs::exists(dest)) continue;
    stdfs::copy_file(stdfs::canonical(lib.path), dest);
    stdfs::permissions(dest, stdfs::perms(0755));
    libs.push_back(dest.string());
  }
  std::string loader_name = closure.loader.filename().string();
  stdfs::copy_file(stdfs::canonical(closure.loader), stage.path() / "lib" / loader_name,
                   stdfs::copy_options::overwrite_existing);
  stdfs::permissions(stage.path() / "lib" / loader_name, stdfs::perms(0755));

  std::string interp = std::string(kTrainerPrefix) + "/lib/" + loader_name;
  auto patch = [&](std::vector<std::string> argv) {
    ProcessResult r = runner.run(argv, {});
    if (!r.ok()) {
      throw Error(ErrorKind::kInternal, "patchelf failed: " + r.err,
                  "install patchelf (apt-get install patchelf)");
    }
  };
  if (fs::which("patchelf").empty()) {
    throw Error(ErrorKind::kConfig, "patchelf is needed to bundle mlbox-trainer",
                "apt-get install patchelf");
  }
  // DT_RUNPATH applies only to an object's own dependencies, so every library gets
  // $ORIGIN as well as the binary.
  patch({"patchelf", "--set-interpreter", interp, "--set-rpath",
         std::string(kTrainerPrefix) + "/lib:$ORIGIN/../lib",
         (stage.path() / "bin" / "mlbox-trainer").string()});
  for (size_t i = 0; i < libs.size(); i += 64) {
    std::vector<std::string> argv = {"patchelf", "--set-rpath", "$ORIGIN"};
    for (size_t j = i; j < std::min(libs.size(), i + 64); ++j) argv.push_back(libs[j]);
    patch(argv);
  }
  std::error_code ec;
  stdfs::rename(stage.path(), b.dir, ec);
  if (ec && !stdfs::exists(b.dir / "bin" / "mlbox-trainer")) {
    throw Error(ErrorKind::kInternal,
                "cannot store trainer bundle at " + b.dir.string() + ": " + ec.message());
  }
  count();
  return b;
}

}  // namespace mlbox::builder
