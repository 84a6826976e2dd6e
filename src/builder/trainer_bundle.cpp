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

void write_program_bundle(const BundleSpec& spec, const stdfs::path& stage, CommandRunner& runner) {
  if (fs::which("patchelf").empty()) {
    throw Error(ErrorKind::kConfig, "patchelf is needed to bundle " + spec.name,
                "apt-get install patchelf");
  }
  ProcessOptions ldd_options;
  ldd_options.env = spec.ldd_env;
  ProcessResult ldd = runner.run({"ldd", spec.binary.string()}, ldd_options);
  if (!ldd.ok()) {
    throw Error(ErrorKind::kInternal, "ldd " + spec.binary.string() + " failed: " + ldd.err);
  }
  LddClosure closure = parse_ldd(ldd.out);
  stdfs::create_directories(stage / "bin");
  stdfs::create_directories(stage / "lib");
  stdfs::path program = stage / "bin" / spec.name;
  stdfs::copy_file(spec.binary, program, stdfs::copy_options::overwrite_existing);
  auto patch = [&](std::vector<std::string> argv) {
    ProcessResult r = runner.run(argv, {});
    if (!r.ok()) {
      throw Error(ErrorKind::kInternal, argv[0] + " failed: " + r.err,
                  "install patchelf and binutils (apt-get install patchelf binutils)");
    }
  };
  // Debug info stays on the host: the image gets what runs.
  if (!fs::which("strip").empty()) patch({"strip", "--strip-unneeded", program.string()});
  std::string provided = spec.provided_dir.empty()
                             ? std::string()
                             : stdfs::weakly_canonical(spec.provided_dir).string() + "/";
  std::vector<std::string> libs;
  for (const auto& lib : closure.libs) {
    if (!provided.empty() && stdfs::weakly_canonical(lib.path).string().starts_with(provided)) {
      continue;  // the image has it (the torch wheel in the deps layer)
    }
    auto dest = stage / "lib" / lib.soname;
    if (stdfs::exists(dest)) continue;
    stdfs::copy_file(stdfs::canonical(lib.path), dest);
    stdfs::permissions(dest, stdfs::perms(0755));
    libs.push_back(dest.string());
  }
  std::string loader_name = closure.loader.filename().string();
  stdfs::copy_file(stdfs::canonical(closure.loader), stage / "lib" / loader_name,
                   stdfs::copy_options::overwrite_existing);
  stdfs::permissions(stage / "lib" / loader_name, stdfs::perms(0755));

  std::string interp = spec.prefix + "/lib/" + loader_name;
  std::string rpath;
  for (const auto& dir : spec.rpath_first) rpath += dir + ":";
  rpath += spec.prefix + "/lib:$ORIGIN/../lib";
  // DT_RUNPATH applies only to an object's own dependencies, so every library gets
  // $ORIGIN as well as the binary.
  patch({"patchelf", "--set-interpreter", interp, "--set-rpath", rpath, program.string()});
  for (size_t i = 0; i < libs.size(); i += 64) {
    std::vector<std::string> argv = {"patchelf", "--set-rpath", "$ORIGIN"};
    for (size_t j = i; j < std::min(libs.size(), i + 64); ++j) argv.push_back(libs[j]);
    patch(argv);
  }
}

void store_program_bundle(const BundleSpec& spec, const stdfs::path& dest, CommandRunner& runner) {
  stdfs::create_directories(dest.parent_path());
  fs::TempDir stage(dest.parent_path(), ".stage-");
  write_program_bundle(spec, stage.path(), runner);
  std::error_code ec;
  stdfs::rename(stage.path(), dest, ec);
  // Another build may have stored the same bundle first: equal inputs, equal bundle.
  if (ec && !stdfs::exists(dest / "bin" / spec.name)) {
    throw Error(ErrorKind::kInternal,
                "cannot store the " + spec.name + " bundle at " + dest.string() + ": " + ec.message());
  }
}

void count_bundle(const stdfs::path& dir, size_t& files, uint64_t& bytes) {
  files = 0;
  bytes = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      ++files;
      bytes += e.file_size();
    }
  }
}

TrainerBundle ensure_trainer_bundle(const stdfs::path& binary, const stdfs::path& cache_root,
                                    CommandRunner& runner, Observer& observer) {
  TrainerBundle b;
  b.binary_sha256 = sha256_file_hex(binary);
  b.dir = cache_root / b.binary_sha256.substr(0, 32);
  if (stdfs::exists(b.dir / "bin" / "mlbox-trainer")) {
    count_bundle(b.dir, b.files, b.bytes);
    return b;
  }
  observer.info("bundling mlbox-trainer with its shared libraries");
  BundleSpec spec;
  spec.binary = binary;
  spec.name = "mlbox-trainer";
  spec.prefix = kTrainerPrefix;
  store_program_bundle(spec, b.dir, runner);
  count_bundle(b.dir, b.files, b.bytes);
  return b;
}

}  // namespace mlbox::builder
