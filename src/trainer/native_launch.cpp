#include "trainer/native_launch.h"

#include <unistd.h>

#include <system_error>

#include <yaml-cpp/yaml.h>

#include "manifest/yaml_limits.h"
#include "manifest/yaml_to_json.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

NativeProgram locate_native_program(const EnvMap& env) {
  NativeProgram p;
  if (auto it = env.find("MLBOX_NATIVE"); it != env.end() && !it->second.empty()) {
    if (::access(it->second.c_str(), X_OK) != 0) {
      throw Error(ErrorKind::kConfig, "MLBOX_NATIVE=" + it->second + " is not executable");
    }
    p.binary = it->second;
  } else {
    std::error_code ec;
    stdfs::path self = stdfs::read_symlink("/proc/self/exe", ec);
    stdfs::path dir = ec ? stdfs::path() : self.parent_path();
    for (const auto& candidate :
         {dir / ".." / "native" / "bin" / "mlbox-native", dir / "mlbox-native"}) {
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) {
        p.binary = candidate.lexically_normal();
        break;
      }
    }
  }
  if (p.binary.empty()) {
    throw Error(
        ErrorKind::kConfig, "this image has no mlbox-native, the program that runs native training",
        "mlbox builds it against the torch that mlbox.lock pins: set `framework: "
        "pytorch` (or pin torch in the requirements), run `mlbox freeze`, then build again");
  }
  stdfs::path lib = p.binary.parent_path().parent_path() / "lib";
  if (p.binary.parent_path().filename() == "bin" && stdfs::is_directory(lib)) p.lib_dir = lib;
  return p;
}

NativeConfigFile prepare_native_config(const std::string& path, const stdfs::path& scratch_dir) {
  NativeConfigFile f;
  f.base_dir = stdfs::absolute(path).parent_path().string();
  std::string lower = to_lower(path);
  if (!ends_with(lower, ".yaml") && !ends_with(lower, ".yml")) {
    f.json_path = path;
    return f;
  }
  std::string text = fs::read_file(path);
  auto where = [&](const manifest::Mark& m) {
    return path + ":" + std::to_string(m.line) + ":" + std::to_string(m.col);
  };
  if (auto bad = manifest::check_yaml_text(text)) {
    throw Error(ErrorKind::kConfig, path + ": " + bad->what);
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::kConfig, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                        std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (auto bad = manifest::check_yaml_tree(root)) {
    throw Error(ErrorKind::kConfig, where(bad->mark) + ": " + bad->what);
  }
  stdfs::create_directories(scratch_dir);
  f.json_path = (scratch_dir / "native-config.json").string();
  fs::write_file_atomic(f.json_path, manifest::yaml_to_json(root).dump(2) + "\n");
  return f;
}

}  // namespace mlbox::trainer
