#include "sweep/param_consumers.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::sweep {

using manifest::ParamDelivery;
using manifest::SweepParam;
namespace stdfs = std::filesystem;

namespace {

constexpr uintmax_t kMaxScannedFile = 4 << 20;
constexpr size_t kMaxScannedFiles = 2000;

bool has_dotted(const nlohmann::json& j, const std::string& key) {
  const nlohmann::json* node = &j;
  for (const auto& part : split(key, '.')) {
    if (!node->is_object() || !node->contains(part)) return false;
    node = &(*node)[part];
  }
  return true;
}

// Every dotted path in `j` whose last part is `name`.
void find_leaf(const nlohmann::json& j, const std::string& name, const std::string& prefix,
               std::vector<std::string>& out) {
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    std::string path = prefix.empty() ? k : prefix + "." + k;
    if (k == name) out.push_back(path);
    find_leaf(v, name, path, out);
  }
}

// Text files of the project (not .mlbox/, .git/, the outputs), small ones, for a needle.
bool project_mentions(const stdfs::path& dir, const std::vector<stdfs::path>& first,
                      const std::string& needle) {
  std::string text;
  for (const auto& f : first) {
    if (fs::read_file_if_exists(f, text) && text.find(needle) != std::string::npos) return true;
  }
  std::error_code ec;
  size_t seen = 0;
  for (auto it = stdfs::recursive_directory_iterator(
           dir, stdfs::directory_options::skip_permission_denied, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (starts_with(name, ".") || name == "runs" || name == "node_modules" ||
          name == "__pycache__")
        it.disable_recursion_pending();
      continue;
    }
    if (++seen > kMaxScannedFiles) break;
    auto ext = it->path().extension().string();
    if (ext != ".py" && ext != ".sh" && ext != ".R" && ext != ".jl" && ext != ".js" &&
        ext != ".ts" && ext != ".rb" && ext != ".cfg" && ext != ".toml" && ext != ".yaml" &&
        ext != ".yml" && ext != ".json")
      continue;
    if (it->file_size(ec) > kMaxScannedFile) continue;
    if (fs::read_file_if_exists(it->path(), text) && text.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

}  // namespace

void resolve_param_consumers(std::vector<SweepParam>& params, const ProjectFacts& facts) {
  const manifest::Manifest* m = facts.manifest;
  const bool native = m && m->train.native.has_value();
  std::vector<std::string> command = facts.command;
  if (command.empty() && m) command = m->train.command;
  // Files the command names, read first (`python train.py` -> train.py).
  std::vector<stdfs::path> named;
  for (const auto& arg : command) {
    stdfs::path p = facts.project_dir / arg;
    std::error_code ec;
    if (!arg.empty() && arg[0] != '-' && stdfs::is_regular_file(p, ec)) named.push_back(p);
  }
  std::vector<std::string> problems;
  for (auto& p : params) {
    if (p.delivery == ParamDelivery::kDefault)
      p.delivery = native ? ParamDelivery::kConfig : ParamDelivery::kArgs;
    switch (p.delivery) {
      case ParamDelivery::kConfig: {
        if (!native) {
          problems.push_back(fmt::format(
              "'{}' (deliver: config): the project has no native config (train.native)", p.name));
          break;
        }
        if (!p.config_key.empty()) {
          if (!has_dotted(*m->train.native, p.config_key))
            problems.push_back(fmt::format("'{}' (deliver: config): train.native has no key '{}'",
                                           p.name, p.config_key));
          break;
        }
        std::vector<std::string> found;
        find_leaf(*m->train.native, p.name, "", found);
        if (found.size() == 1) {
          p.config_key = found.front();
        } else if (found.empty()) {
          problems.push_back(
              fmt::format("'{}' (deliver: config): train.native has no key '{}'", p.name, p.name));
        } else {
          problems.push_back(fmt::format(
              "'{}' (deliver: config): train.native has it at {}; say which with key:", p.name,
              join(found, ", ")));
        }
        break;
      }
      case ParamDelivery::kArgs:
        if (native) {
          problems.push_back(fmt::format(
              "'{}' (deliver: args): native mode reads no command-line arguments", p.name));
        } else if (!project_mentions(facts.project_dir, named, "--" + p.name)) {
          problems.push_back(fmt::format(
              "'{}' (deliver: args): no file of the project mentions '--{}'", p.name, p.name));
        }
        break;
      case ParamDelivery::kEnv: {
        std::string var = manifest::param_env_name(p.name);
        if (native) {
          problems.push_back(fmt::format(
              "'{}' (deliver: env): native mode reads no {} (use deliver: config)", p.name, var));
        } else if (!project_mentions(facts.project_dir, named, var)) {
          problems.push_back(
              fmt::format("'{}' (deliver: env): no file of the project reads {}", p.name, var));
        }
        break;
      }
      case ParamDelivery::kDefault:
        break;
    }
  }
  if (problems.empty()) return;
  throw Error(ErrorKind::kConfig,
              fmt::format("{} of the sweep reach{} nothing that reads {}: {}",
                          problems.size() == 1 ? "a parameter" : "parameters",
                          problems.size() == 1 ? "es" : "", problems.size() == 1 ? "it" : "them",
                          join(problems, "; ")),
              "nothing was submitted; name the native config key (key: optimizer.lr), deliver it "
              "the way the training reads it (deliver: args|env|config), or drop the parameter");
}

}  // namespace mlbox::sweep
