#include "freeze/resolver.h"

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/fs.h"
#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::freeze {

namespace {

void sort_packages(std::vector<LockedPackage>& pkgs) {
  std::sort(pkgs.begin(), pkgs.end(), [](const LockedPackage& a, const LockedPackage& b) {
    return normalize_name(a.name) < normalize_name(b.name);
  });
}

void add_index_args(const ResolveOptions& o, std::vector<std::string>& argv) {
  if (o.no_index) argv.push_back("--no-index");
  if (!o.index_url.empty()) argv.insert(argv.end(), {"--index-url", o.index_url});
  for (const auto& u : o.extra_index_urls) argv.insert(argv.end(), {"--extra-index-url", u});
  for (const auto& f : o.find_links) argv.insert(argv.end(), {"--find-links", f});
}

// pip prints "ERROR: No matching distribution found for foo==9"; name the requirement.
// pip's own words when it could not reach an index: the first line that says so.
std::string network_failure_line(const std::string& text) {
  static const char* const kSigns[] = {"Temporary failure in name resolution",
                                       "Name or service not known",
                                       "Failed to establish a new connection",
                                       "NewConnectionError",
                                       "ConnectTimeoutError",
                                       "Network is unreachable",
                                       "Connection refused",
                                       "ProxyError",
                                       "SSLError",
                                       "Could not fetch URL",
                                       "error sending request for url"};  // uv
  for (const auto& l : split(text, '\n')) {
    for (const char* sign : kSigns) {
      if (l.find(sign) != std::string::npos) {
        std::string line(trim(l));
        return line.size() > 600 ? line.substr(0, 600) + "..." : line;
      }
    }
  }
  return "";
}

[[noreturn]] void throw_resolve_error(const ProcessResult& r, const std::string& tool) {
  std::string all = r.err + "\n" + r.out;
  // Unreachable index first: pip then also says "No matching distribution", which would send
  // the user hunting for a typo in a name that is fine.
  if (auto line = network_failure_line(all); !line.empty()) {
    throw Error(ErrorKind::kNetwork,
                tool + " cannot reach the package index (exit " + std::to_string(r.exit_code) +
                    "):\n  " + line,
                "check the network or proxy (https_proxy, PIP_INDEX_URL), or freeze offline: "
                "mlbox freeze --no-index --find-links DIR");
  }
  std::smatch m;
  static const std::regex kNoMatch(R"(No matching distribution found for ([^\s]+))");
  static const std::regex kConflict(R"(ResolutionImpossible|conflicting dependencies)");
  static const std::regex kUvNoVersion(R"(Because ([^\s]+) was not found)");
  if (std::regex_search(all, m, kNoMatch) || std::regex_search(all, m, kUvNoVersion)) {
    throw Error(ErrorKind::kConfig,
                "cannot resolve requirement '" + m[1].str() +
                    "': no matching distribution for "
                    "the image's platform and Python (" +
                    tool + ")",
                "check the name and version, or that a wheel exists for the platform; "
                "offline, add it to the --find-links wheelhouse");
  }
  std::string lines;
  for (const auto& l : split(all, '\n')) {
    if (l.find("ERROR") != std::string::npos || l.find("error") != std::string::npos ||
        l.find("conflict") != std::string::npos) {
      lines += "\n  " + l;
    }
  }
  if (std::regex_search(all, kConflict)) {
    throw Error(ErrorKind::kConfig, "the requirements conflict (" + tool + "):" + lines,
                "loosen or change the pins named above");
  }
  throw Error(ErrorKind::kConfig,
              tool + " failed to resolve the requirements (exit " + std::to_string(r.exit_code) +
                  ")" + (lines.empty() ? "\n" + r.err : lines),
              "run with -v to see the resolver's command");
}

}  // namespace

std::vector<std::string> pip_resolve_command(const ResolveOptions& o,
                                             const std::filesystem::path& report,
                                             const std::filesystem::path& target) {
  std::vector<std::string> argv = {o.python_exe, "-m", "pip", "install", "--dry-run",
                                   "--ignore-installed", "--quiet", "--report", report.string(),
                                   // pip insists on --target with --platform, even in a
                                   // dry run; nothing is written there.
                                   "--target", target.string(), "--only-binary=:all:", "--platform",
                                   o.platform, "--python-version", o.python_version,
                                   "--disable-pip-version-check",
                                   // pip's default (5 retries with backoff) took 16 s to say
                                   // an offline machine has no network; one retry says it in 2.
                                   "--retries", "1", "--timeout", "15"};
  // Offline resolution must not pick up find-links or indexes from the user's pip config.
  if (o.no_index) argv.push_back("--isolated");
  add_index_args(o, argv);
  if (!o.requirements_file.empty()) argv.insert(argv.end(), {"-r", o.requirements_file.string()});
  argv.insert(argv.end(), o.requirements.begin(), o.requirements.end());
  return argv;
}

std::vector<std::string> uv_compile_command(const ResolveOptions& o,
                                            const std::filesystem::path& input) {
  std::string arch = "x86_64-manylinux2014";
  if (o.platform.find("aarch64") != std::string::npos) arch = "aarch64-manylinux2014";
  std::vector<std::string> argv = {"uv",
                                   "pip",
                                   "compile",
                                   "--generate-hashes",
                                   "--no-header",
                                   "--no-annotate",
                                   "--only-binary",
                                   ":all:",
                                   "--python-version",
                                   o.python_version,
                                   "--python-platform",
                                   arch};
  add_index_args(o, argv);
  argv.push_back(input.string());
  argv.insert(argv.end(), {"-o", "-"});
  return argv;
}

Resolution parse_pip_report(const std::string& json_text) {
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kInternal, std::string("pip's report is not JSON: ") + e.what());
  }
  Resolution res;
  res.resolver = "pip " + report.value("pip_version", std::string("?"));
  for (const auto& item : report.value("install", nlohmann::json::array())) {
    LockedPackage p;
    const auto& meta = item.at("metadata");
    p.name = meta.at("name").get<std::string>();
    p.version = meta.at("version").get<std::string>();
    const auto& dl = item.value("download_info", nlohmann::json::object());
    // Local wheelhouse paths differ between machines and would make the lock differ too.
    std::string url = dl.value("url", std::string());
    if (!url.starts_with("file:")) p.source = redact_url(url);
    const auto& archive = dl.value("archive_info", nlohmann::json::object());
    std::string hex;
    if (archive.contains("hashes") && archive["hashes"].contains("sha256")) {
      hex = archive["hashes"]["sha256"].get<std::string>();
    } else if (archive.contains("hash")) {
      std::string h = archive["hash"].get<std::string>();
      if (h.starts_with("sha256=")) hex = h.substr(7);
    }
    if (hex.empty()) {
      throw Error(ErrorKind::kConfig,
                  p.name + "==" + p.version + " was resolved from " + p.source +
                      " without a sha256 (a local directory or VCS requirement?)",
                  "mlbox.lock needs a hash for every distribution: use a released wheel");
    }
    p.sha256.push_back(hex);
    res.packages.push_back(std::move(p));
  }
  sort_packages(res.packages);
  return res;
}

Resolution parse_uv_output(const std::string& text) {
  Lock lock = parse_lock(text, "uv output");
  Resolution res;
  res.resolver = "uv";
  res.packages = std::move(lock.packages);
  sort_packages(res.packages);
  return res;
}

Resolution resolve(const ResolveOptions& o, CommandRunner& runner, Observer& observer) {
  bool use_uv = o.resolver == ResolveOptions::Resolver::kUv ||
                (o.resolver == ResolveOptions::Resolver::kAuto && !fs::which("uv").empty());
  fs::TempDir tmp;
  ProcessOptions popts;
  popts.env["PIP_NO_INPUT"] = "1";
  if (use_uv) {
    // uv reads requirements from a file: combine the file and inline specifiers.
    std::string input;
    if (!o.requirements_file.empty()) input += "-r " + o.requirements_file.string() + "\n";
    for (const auto& r : o.requirements) input += r + "\n";
    fs::write_file_atomic(tmp.path() / "requirements.in", input);
    auto argv = uv_compile_command(o, tmp.path() / "requirements.in");
    observer.debug("resolving with: " + quote_command(argv));
    ProcessResult r = runner.run(argv, popts);
    if (!r.ok()) {
      observer.debug("uv's output:\n" + r.err + r.out);
      throw_resolve_error(r, "uv pip compile");
    }
    Resolution res = parse_uv_output(r.out);
    ProcessResult v = runner.run({"uv", "--version"}, popts);
    if (v.ok()) res.resolver = std::string(trim(v.out));
    return res;
  }
  auto report = tmp.path() / "report.json";
  auto argv = pip_resolve_command(o, report, tmp.path() / "target");
  observer.debug("resolving with: " + quote_command(argv));
  ProcessResult r = runner.run(argv, popts);
  if (!r.ok()) {
    observer.debug("pip's output:\n" + r.err + r.out);
    throw_resolve_error(r, "pip");
  }
  std::string json_text;
  if (!fs::read_file_if_exists(report, json_text)) {
    throw Error(ErrorKind::kInternal, "pip wrote no report at " + report.string(),
                "pip 22.2 or newer is needed for --report: python3 -m pip --version");
  }
  return parse_pip_report(json_text);
}

}  // namespace mlbox::freeze
