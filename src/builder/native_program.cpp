#include "builder/native_program.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "builder/native_builder.h"
#include "builder/trainer_bundle.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strings.h"

#ifndef MLBOX_BUILD_SOURCE_DIR
#define MLBOX_BUILD_SOURCE_DIR ""
#endif
#ifndef MLBOX_VERSION
#define MLBOX_VERSION "unknown"
#endif

namespace mlbox::builder {

namespace stdfs = std::filesystem;

namespace {

bool has_sources(const stdfs::path& src) {
  return stdfs::exists(src / "native" / "CMakeLists.txt");
}

// The first lines that read like a compiler or CMake error, else the log's last lines.
std::string first_errors(const std::string& log) {
  std::vector<std::string> lines = split(log, '\n');
  std::vector<std::string> hits;
  for (const auto& l : lines) {
    if (l.find("error") != std::string::npos || l.find("Error") != std::string::npos) {
      hits.push_back(l);
      if (hits.size() == 8) break;
    }
  }
  if (hits.empty()) {
    size_t from = lines.size() > 8 ? lines.size() - 8 : 0;
    hits.assign(lines.begin() + static_cast<long>(from), lines.end());
  }
  return "  " + join(hits, "\n  ");
}

std::string first_line(const std::string& s) {
  return std::string(trim(s.substr(0, s.find('\n'))));
}

}  // namespace

stdfs::path locate_native_sources() {
  if (const char* env = std::getenv("MLBOX_NATIVE_SOURCES"); env && *env) {
    if (has_sources(env)) return env;
    throw Error(ErrorKind::kConfig,
                std::string("MLBOX_NATIVE_SOURCES=") + env + " has no native/CMakeLists.txt");
  }
  std::error_code ec;
  stdfs::path self = stdfs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    stdfs::path installed = self.parent_path() / ".." / "share" / "mlbox" / "src";
    if (has_sources(installed)) return installed.lexically_normal();
  }
  if (has_sources(MLBOX_BUILD_SOURCE_DIR)) return MLBOX_BUILD_SOURCE_DIR;
  throw Error(ErrorKind::kConfig, "cannot find the sources of mlbox-native",
              "install mlbox with its data dir (<prefix>/share/mlbox/src) or set "
              "MLBOX_NATIVE_SOURCES to a checkout's src/");
}

std::vector<std::string> native_source_files(const stdfs::path& src) {
  std::vector<std::string> files;
  for (const auto& e : stdfs::directory_iterator(src / "native")) {
    if (e.is_regular_file()) files.push_back("native/" + e.path().filename().string());
  }
  for (const char* shared : kNativeSharedSources) {
    for (const char* ext : {".h", ".cpp"}) {
      std::string f = std::string(shared) + ext;
      if (stdfs::exists(src / f)) files.push_back(f);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string native_sources_digest(const stdfs::path& src) {
  std::vector<std::string> files = native_source_files(src);
  Sha256 h;
  for (const auto& f : files) {
    h.update(f);
    h.update(std::string_view("\0", 1));
    h.update(sha256_file_hex(src / f));
  }
  return h.finish_hex();
}

const freeze::LockedPackage& locked_torch(const freeze::Lock& lock, const std::string& lock_path) {
  for (const auto& p : lock.packages) {
    if (to_lower(p.name) == "torch") return p;
  }
  throw Error(ErrorKind::kConfig,
              "native mode (train.native) needs torch in " + lock_path +
                  ": mlbox-native is compiled against the image's own torch",
              "set `framework: {name: pytorch, version: X}` or pin torch in the requirements, "
              "then run `mlbox freeze`");
}

NativeProgram ensure_native_program(const NativeProgramInputs& in, CommandRunner& runner,
                                    Observer& observer) {
  const freeze::LockedPackage& torch = locked_torch(*in.lock, in.lock_path);
  if (torch.sha256.empty()) {
    throw Error(ErrorKind::kConfig, in.lock_path + ": torch " + torch.version + " has no hash",
                "run `mlbox freeze` again");
  }
  for (const char* tool : {"cmake", "c++"}) {
    if (fs::which(tool).empty()) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("native mode compiles mlbox-native against torch {}, and {} is "
                              "not installed",
                              torch.version, tool),
                  "apt-get install cmake g++ nlohmann-json3-dev libfmt-dev zlib1g-dev "
                  "libssl-dev libarchive-dev patchelf");
    }
  }
  stdfs::path src = locate_native_sources();
  std::string compiler = first_line(runner.run({"c++", "--version"}, {}).out);
  std::string cmake_version = first_line(runner.run({"cmake", "--version"}, {}).out);
  std::string wheel_sha = torch.sha256.front();
  NativeProgram p;
  p.torch_version = torch.version;
  p.key =
      sha256_hex(fmt::format("mlbox-native v3\n{}\n{}\n{}\n{}\n{}\n", native_sources_digest(src),
                             wheel_sha, compiler, cmake_version, in.platform));
  stdfs::path root = in.cache_root;
  if (root.empty()) {
    const char* env = std::getenv("MLBOX_NATIVE_CACHE");
    root = env && *env ? stdfs::path(env) : fs::mlbox_home() / "cache" / "native";
  }
  p.dir = root / p.key.substr(0, 32);
  if (stdfs::exists(p.dir / "bin" / "mlbox-native")) {
    count_bundle(p.dir, p.files, p.bytes);
    return p;
  }

  // The work folder is kept until the bundle is complete: an interrupted build resumes there.
  stdfs::path work = root / (".work-" + p.key.substr(0, 32));
  stdfs::create_directories(work);
  // One build per key at a time; whoever waited finds the bundle done.
  fs::FileLock lock(root / (".work-" + p.key.substr(0, 32) + ".lock"));
  if (stdfs::exists(p.dir / "bin" / "mlbox-native")) {
    count_bundle(p.dir, p.files, p.bytes);
    return p;
  }
  stdfs::path site = work / "site";
  stdfs::path torch_cmake = site / "torch" / "share" / "cmake" / "Torch";
  if (!stdfs::exists(site / ".complete")) {
    observer.info(
        fmt::format("fetching torch {} to compile mlbox-native against it", torch.version));
    stdfs::remove_all(work / "wheel");
    std::vector<std::string> argv = {in.python_exe,
                                     "-m",
                                     "pip",
                                     "download",
                                     "--no-deps",
                                     "--only-binary=:all:",
                                     "--disable-pip-version-check",
                                     "--no-input",
                                     "--platform",
                                     in.platform,
                                     "--python-version",
                                     in.python,
                                     "--implementation",
                                     "cp",
                                     "--dest",
                                     (work / "wheel").string(),
                                     "torch==" + torch.version};
    append_wheel_sources(argv, in.no_index, in.index_url, in.find_links);
    ProcessOptions po;
    po.env["PIP_NO_CACHE_DIR"] = "1";
    ProcessResult r = runner.run(argv, po);
    if (!r.ok()) {
      std::string err(trim(r.err));
      if (err.size() > 1500) err = "..." + err.substr(err.size() - 1500);
      throw Error(
          ErrorKind::kConfig,
          fmt::format("cannot fetch torch {} (pip exit {}):\n{}", torch.version, r.exit_code, err),
          "pass the wheel sources `mlbox freeze` used (--find-links DIR, --no-index, "
          "--index-url URL)");
    }
    stdfs::path wheel;
    for (const auto& e : stdfs::directory_iterator(work / "wheel")) {
      if (e.path().extension() == ".whl") wheel = e.path();
    }
    std::string got = wheel.empty() ? "" : sha256_file_hex(wheel);
    if (std::find(torch.sha256.begin(), torch.sha256.end(), got) == torch.sha256.end()) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("the torch {} wheel pip fetched ({}) has sha256 {}, which {} does "
                              "not list",
                              torch.version, wheel.filename().string(), got, in.lock_path),
                  "run `mlbox freeze` again, or pass the wheel sources it used");
    }
    stdfs::remove_all(site);
    ProcessResult x =
        runner.run({in.python_exe, "-m", "zipfile", "-e", wheel.string(), site.string()}, {});
    if (!x.ok()) {
      throw Error(ErrorKind::kConfig, "cannot unpack " + wheel.filename().string() + ": " + x.err);
    }
    stdfs::remove_all(work / "wheel");
    if (!stdfs::exists(torch_cmake / "TorchConfig.cmake")) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("torch {}'s wheel has no torch/share/cmake/Torch/TorchConfig.cmake: "
                              "mlbox-native cannot be compiled against it",
                              torch.version),
                  "pin a torch wheel that ships its C++ distribution (PyPI's and "
                  "download.pytorch.org's do), or use command mode (train.command)");
    }
    fs::write_file_atomic(site / ".complete", wheel_sha + "\n");
  }

  observer.info(
      fmt::format("compiling mlbox-native against torch {} ({})", torch.version, compiler));
  // The sources are copied under the work folder, so that every path the compiler sees is
  // below one root that -ffile-prefix-map (and ccache's base dir) take out: the binary does
  // not depend on where the cache lives.
  stdfs::remove_all(work / "src");
  for (const auto& f : native_source_files(src)) {
    stdfs::create_directories((work / "src" / f).parent_path());
    stdfs::copy_file(src / f, work / "src" / f);
  }
  std::string log_path = (work / "build.log").string();
  std::string prefix_map = "-ffile-prefix-map=" + work.string() + "=/mlbox-native";
  std::vector<std::string> configure = {"cmake",
                                        "-S",
                                        (work / "src" / "native").string(),
                                        "-B",
                                        (work / "build").string(),
                                        "-DCMAKE_BUILD_TYPE=Release",
                                        "-DTorch_DIR=" + torch_cmake.string(),
                                        "-DMLBOX_VERSION=" + std::string(MLBOX_VERSION),
                                        "-DMLBOX_NATIVE_STATIC_DEPS=ON",
                                        // The image's RUNPATH from the link on: patchelf would
                                        // leave the build tree's path (which names this cache
                                        // folder) in the string table, and the layer would
                                        // depend on where the cache is.
                                        "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
                                        "-DCMAKE_INSTALL_RPATH=" + std::string(kImageTorchLib) +
                                            ":" + kNativePrefix + "/lib:$ORIGIN/../lib",
                                        "-DCMAKE_CXX_FLAGS=" + prefix_map,
                                        "-DCMAKE_C_FLAGS=" + prefix_map};
  if (!fs::which("ninja").empty()) {
    configure.push_back("-G");
    configure.push_back("Ninja");
  }
  ProcessOptions po;
  if (!fs::which("ccache").empty()) {
    configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
    po.env["CCACHE_BASEDIR"] = work.string();
    po.env["CCACHE_NOHASHDIR"] = "1";
  }
  std::string log;
  auto step = [&](const std::vector<std::string>& argv, const char* what) {
    ProcessResult r = runner.run(argv, po);
    log += "$ " + join(argv, " ") + "\n" + r.out + r.err;
    fs::write_file_atomic(log_path, log);
    if (!r.ok()) {
      throw Error(ErrorKind::kInternal,
                  fmt::format("{} mlbox-native against torch {} failed:\n{}", what, torch.version,
                              first_errors(r.out + r.err)),
                  "the whole log is " + log_path);
    }
  };
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  step(configure, "configuring");
  step({"cmake", "--build", (work / "build").string(), "--parallel", std::to_string(jobs)},
       "compiling");
  stdfs::path binary = work / "build" / "mlbox-native";
  if (!stdfs::exists(binary)) {
    throw Error(ErrorKind::kInternal, "the build of mlbox-native produced no binary",
                "the whole log is " + log_path);
  }

  BundleSpec spec;
  spec.binary = binary;
  spec.name = "mlbox-native";
  spec.prefix = kNativePrefix;
  spec.rpath_first = {kImageTorchLib};
  spec.provided_dir = site;
  spec.ldd_env["LD_LIBRARY_PATH"] = (site / "torch" / "lib").string();
  store_program_bundle(spec, p.dir, runner);
  std::error_code ec;
  stdfs::remove_all(work, ec);
  count_bundle(p.dir, p.files, p.bytes);
  return p;
}

}  // namespace mlbox::builder
