#include "freeze/freeze.h"

#include "dockerfile/cuda_matrix.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlbox::freeze {

namespace {

// Does any requirement name `package` (by normalised name, before any version specifier)?
bool names_package(const std::vector<std::string>& reqs, const std::string& package) {
  for (const auto& r : reqs) {
    std::string name;
    for (char c : r) {
      if (std::string_view("<>=!~;[ @").find(c) != std::string_view::npos) break;
      name += c;
    }
    if (normalize_name(name) == package) return true;
  }
  return false;
}

std::vector<std::string> requirement_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& l : split(text, '\n')) {
    std::string_view t = trim(l.substr(0, l.find('#')));
    if (!t.empty() && !t.starts_with("-")) out.emplace_back(t);
  }
  return out;
}

}  // namespace

ResolveOptions resolve_options_for(const manifest::Manifest& m, const FreezeOptions& o,
                                   const std::string& framework_version,
                                   const std::string& torch_index_url) {
  ResolveOptions r;
  r.python_exe = o.python_exe;
  r.python_version = m.python.version;
  r.find_links = o.find_links;
  r.no_index = o.no_index;
  r.index_url = o.index_url;
  r.resolver = o.resolver;
  std::vector<std::string> named = m.python.packages;
  if (!m.python.requirements.empty()) {
    auto base = m.path.empty() ? std::filesystem::current_path() : m.path.parent_path();
    r.requirements_file = std::filesystem::absolute(base / m.python.requirements);
    std::string text;
    if (!fs::read_file_if_exists(r.requirements_file, text)) {
      throw Error(ErrorKind::kConfig,
                  m.where("python.requirements") + ": cannot read " + r.requirements_file.string(),
                  "create it, or list packages under python.packages");
    }
    named = requirement_lines(text);
  }
  r.requirements = m.python.packages;
  const std::string pkg = m.framework.name == "pytorch"      ? "torch"
                          : m.framework.name == "tensorflow" ? "tensorflow"
                                                             : "";
  if (!pkg.empty() && !framework_version.empty() && !names_package(named, pkg)) {
    r.requirements.push_back(pkg + "==" + framework_version);
  }
  if (!torch_index_url.empty() && !o.no_index) r.extra_index_urls.push_back(torch_index_url);
  return r;
}

std::vector<std::string> declared_requirements(const manifest::Manifest& m) {
  ResolveOptions r = resolve_options_for(m, FreezeOptions{}, "", "");
  std::vector<std::string> out = r.requirements;
  if (!r.requirements_file.empty()) {
    auto lines = requirement_lines(fs::read_file(r.requirements_file));
    out.insert(out.end(), lines.begin(), lines.end());
  }
  const std::string pkg = m.framework.name == "pytorch"      ? "torch"
                          : m.framework.name == "tensorflow" ? "tensorflow"
                                                             : "";
  if (!pkg.empty() && !names_package(out, pkg)) out.push_back(pkg);
  return out;
}

std::string inputs_digest(const manifest::Manifest& m, const ResolveOptions& r) {
  Sha256 h;
  auto add = [&h](std::string_view s) {
    h.update(s);
    h.update("\n", 1);
  };
  add(r.python_version);
  add(r.platform);
  add(m.framework.name + " " + m.framework.version);
  add(m.cuda);
  for (const auto& p : r.requirements) add(p);
  if (!r.requirements_file.empty()) add(fs::read_file(r.requirements_file));
  return "sha256:" + h.finish_hex();
}

Lock freeze_project(const manifest::Manifest& m, const FreezeOptions& o, CommandRunner& runner,
                    Observer& observer) {
  const auto& matrix = dockerfile::builtin_cuda_matrix();
  dockerfile::BaseSelection base = dockerfile::select_base(
      matrix, m.framework.name, m.framework.version, m.python.version, m.cuda, false);
  ResolveOptions r = resolve_options_for(m, o, base.framework_version, base.torch_index_url);
  Resolution res;
  bool nothing_to_resolve =
      r.requirements.empty() && (r.requirements_file.empty() ||
                                 requirement_lines(fs::read_file(r.requirements_file)).empty());
  if (nothing_to_resolve) {
    res.resolver = "none (no requirements)";
  } else {
    observer.info("resolving dependencies for Python " + r.python_version + " on " + r.platform +
                  (base.framework == "none"
                       ? ""
                       : " (" + base.framework + " " + base.framework_version +
                             (base.cuda.empty() ? ", CPU" : ", CUDA " + base.cuda) + ")"));
    res = resolve(r, runner, observer);
  }

  Lock lock;
  lock.header.python = r.python_version;
  lock.header.platform = r.platform;
  lock.header.framework =
      base.framework == "none" ? "none" : base.framework + " " + base.framework_version;
  lock.header.cuda = base.cuda;
  lock.header.cudnn = base.cudnn;
  lock.header.torch_index = base.torch_index_url;
  lock.header.base_image = m.image.base.empty() ? base.base_image : m.image.base;
  lock.header.inputs_digest = inputs_digest(m, r);
  lock.header.resolver = res.resolver;
  lock.header.find_links = r.find_links;
  lock.header.no_index = r.no_index;
  // A URL with credentials in it never goes into a file that is committed: such a build
  // passes --index-url again.
  auto authority = r.index_url.substr(0, r.index_url.find('/', r.index_url.find("//") + 2));
  if (authority.find('@') == std::string::npos) lock.header.index_url = r.index_url;
  for (const auto& u : r.extra_index_urls) lock.index_options.push_back("--extra-index-url " + u);
  lock.packages = std::move(res.packages);
  return lock;
}

}  // namespace mlbox::freeze
