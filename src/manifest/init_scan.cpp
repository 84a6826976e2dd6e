#include "manifest/init_scan.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "manifest/image_ref.h"
#include "util/command_words.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::manifest {

namespace {

namespace stdfs = std::filesystem;

// Folders that never hold the project's own code.
bool skipped_dir(const std::string& name) {
  static const std::set<std::string> skip = {
      "venv", "env",   "node_modules", "__pycache__",    "site-packages", "build",
      "dist", "wandb", "mlruns",       "lightning_logs", "outputs"};
  return name.starts_with(".") || skip.count(name) > 0 || name.ends_with(".egg-info");
}

constexpr size_t kMaxPythonFiles = 5000;
constexpr size_t kMaxSourceBytes = 512 * 1024;
// Lines matched with std::regex are at most this long (it recurses per character).
constexpr size_t kMaxLineLength = 4096;

std::string read_prefix(const stdfs::path& p, size_t max) {
  std::string text;
  if (!fs::read_file_if_exists(p, text)) return {};
  if (text.size() > max) text.resize(max);
  return text;
}

std::string normalise_name(std::string_view name) {
  std::string out = to_lower(name);
  std::replace(out.begin(), out.end(), '_', '-');
  std::replace(out.begin(), out.end(), '.', '-');
  return out;
}

// The framework a distribution name belongs to, or empty.
std::string framework_of_package(const std::string& name) {
  static const std::set<std::string> torch = {"torch", "torchvision", "torchaudio",
                                              "pytorch-lightning", "lightning"};
  static const std::set<std::string> tf = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu",
                                           "tf-nightly", "keras",          "tf-keras"};
  if (torch.count(name)) return "pytorch";
  if (tf.count(name)) return "tensorflow";
  return {};
}

// Quoted strings inside a bracketed list: ["a", 'b>=1'] -> {a, b>=1}.
// (By hand: std::regex recurses per character, and project files can be large.)
std::vector<std::string> quoted_strings(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); ++i) {
    char q = text[i];
    if (q != '"' && q != '\'') continue;
    size_t close = text.find(q, i + 1);
    if (close == std::string_view::npos) break;
    out.emplace_back(text.substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

// The string after `key = ` in Python source (setup(name="x", ...)): the first occurrence
// of `key` as a whole word followed by '=' and a quoted string.
std::string keyword_string(std::string_view text, std::string_view key) {
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    if (at > 0 && word_char(text[at - 1])) continue;
    size_t i = at + key.size();
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) continue;
    size_t close = text.find_first_of("\"'", i + 1);
    if (close == std::string_view::npos || close == i + 1) continue;
    return std::string(text.substr(i + 1, close - i - 1));
  }
  return {};
}

std::string yaml_quoted(const std::string& s) {
  return nlohmann::json(s).dump();
}

// "3.11.4" -> "3.11"; empty when not a 3.X version.
std::string major_minor(std::string_view v) {
  // "3." and one or two digits; whatever follows ("rc1", ".4") is ignored.
  if (v.size() < 3 || v[0] != '3' || v[1] != '.') return {};
  size_t end = 2;
  while (end < v.size() && end < 4 && std::isdigit(static_cast<unsigned char>(v[end]))) ++end;
  if (end == 2) return {};
  return std::string(v.substr(0, end));
}

// A data: name for a folder ("data" -> "data", "my data" -> "my_data").
std::string data_name(const std::string& dir) {
  std::string out;
  for (char c : dir) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front()))) out = "d_" + out;
  return out;
}

// Top-level folders with data files and no Python sources (looked at: 2000 entries each).
std::vector<std::string> data_folders(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& top : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = top.path().filename().string();
    if (!top.is_directory(ec) || skipped_dir(name) || name == "mlbox-output") continue;
    size_t data = 0, python = 0, seen = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(
             top.path(), std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator() && ++seen < 2000;
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string f = it->path().filename().string();
      if (it->path().extension() == ".py") ++python;
      if (is_data_file(f)) ++data;
    }
    if (data > 0 && python == 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

std::vector<Requirement> parse_requirements(std::string_view text) {
  std::vector<Requirement> out;
  static const std::regex pin_re(R"(==\s*([0-9]+(\.[0-9]+)*)(\+[A-Za-z0-9.]+)?\s*(;.*)?)");
  for (const auto& raw : split(text, '\n')) {
    if (raw.size() > kMaxLineLength) continue;  // no requirement is that long
    std::string line(trim(raw));
    if (auto hash = line.find(" #"); hash != std::string::npos)
      line = std::string(trim(line.substr(0, hash)));
    if (line.empty() || line.starts_with("#") || line.starts_with("-")) continue;
    size_t end = line.find_first_of("=<>!~[;@ \t");
    Requirement r;
    r.spec = line;
    r.name = normalise_name(line.substr(0, end));
    if (end != std::string::npos) {
      std::string rest(trim(std::string_view(line).substr(end)));
      if (rest.starts_with("[")) {
        size_t close = rest.find(']');
        rest = close == std::string::npos ? "" : std::string(trim(rest.substr(close + 1)));
      }
      std::smatch m;
      if (std::regex_match(rest, m, pin_re)) r.pinned = m[1].str();
    }
    if (!r.name.empty()) out.push_back(std::move(r));
  }
  return out;
}

PyProject parse_pyproject(std::string_view text) {
  PyProject out;
  std::string section;
  std::vector<std::string> lines = split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].size() > kMaxLineLength) continue;
    std::string line(trim(lines[i]));
    if (line.starts_with("[")) {
      section = line;
      continue;
    }
    auto value_of = [&](const char* key) -> std::optional<std::string> {
      static const std::regex kv(R"(([A-Za-z0-9_.-]+)\s*=\s*(.*))");
      std::smatch m;
      if (!std::regex_match(line, m, kv) || m[1].str() != key) return std::nullopt;
      return m[2].str();
    };
    if (section == "[project]") {
      if (auto v = value_of("name")) {
        auto q = quoted_strings(*v);
        if (!q.empty()) out.name = q.front();
      } else if (auto v = value_of("requires-python")) {
        auto q = quoted_strings(*v);
        if (!q.empty()) out.requires_python = q.front();
      } else if (auto v = value_of("dependencies")) {
        std::string list = *v;
        while (list.find(']') == std::string::npos && i + 1 < lines.size()) {
          list += "\n" + lines[++i];
        }
        for (auto& dep : quoted_strings(list)) out.dependencies.push_back(dep);
      }
    } else if (section == "[tool.poetry]") {
      if (auto v = value_of("name")) {
        auto q = quoted_strings(*v);
        if (!q.empty() && out.name.empty()) out.name = q.front();
      }
    } else if (section == "[tool.poetry.dependencies]") {
      static const std::regex dep(R"(([A-Za-z0-9_.-]+)\s*=.*)");
      std::smatch m;
      if (std::regex_match(line, m, dep)) {
        if (m[1].str() == "python") {
          auto q = quoted_strings(line);
          if (!q.empty()) out.requires_python = q.front();
        } else {
          out.dependencies.push_back(m[1].str());
        }
      }
    }
  }
  return out;
}

PyProject parse_setup_py(std::string_view text) {
  PyProject out;
  for (size_t at = text.find("install_requires"); at != std::string_view::npos;
       at = text.find("install_requires", at + 1)) {
    size_t i = at + std::string_view("install_requires").size();
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    size_t open = text.find_first_not_of(" \t\r\n", i + 1);
    if (open == std::string_view::npos || text[open] != '[') continue;
    size_t close = text.find(']', open);
    if (close == std::string_view::npos) break;
    out.dependencies = quoted_strings(text.substr(open + 1, close - open - 1));
    break;
  }
  out.name = keyword_string(text, "name");
  out.requires_python = keyword_string(text, "python_requires");
  return out;
}

std::vector<std::string> imported_frameworks(std::string_view python_source) {
  static const std::regex re(
      R"(^[ \t]*(?:import|from)[ \t]+(torch|tensorflow|keras|tf_keras|pytorch_lightning|lightning)\b)");
  std::set<std::string> found;
  for (const auto& line : split(python_source, '\n')) {
    std::smatch m;
    if (line.size() <= kMaxLineLength && std::regex_search(line, m, re))
      found.insert(framework_of_package(normalise_name(m[1].str())));
  }
  return {found.begin(), found.end()};
}

bool has_main_guard(std::string_view python_source) {
  static const std::regex re(R"(^if\s+__name__\s*==\s*["']__main__["']\s*:)");
  for (const auto& line : split(python_source, '\n')) {
    if (line.size() <= kMaxLineLength && line.starts_with("if") && std::regex_search(line, re))
      return true;
  }
  return false;
}

std::string image_name_for(std::string_view text) {
  std::string out;
  for (char c : to_lower(text)) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 64) out.resize(64);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "training" : out;
}

ProjectScan scan_project(const stdfs::path& dir) {
  ProjectScan scan;
  std::error_code ec;
  stdfs::path abs = stdfs::weakly_canonical(dir, ec);
  if (ec) abs = dir;

  // Dependencies: requirements.txt, else pyproject.toml, else setup.py.
  std::vector<Requirement> deps;
  std::string text;
  PyProject project;
  if (fs::read_file_if_exists(dir / "pyproject.toml", text)) project = parse_pyproject(text);
  if (fs::read_file_if_exists(dir / "requirements.txt", text)) {
    scan.requirements_file = "requirements.txt";
    deps = parse_requirements(text);
    scan.notes.push_back("requirements.txt (" + count_of(deps.size(), "package") + ")");
  } else if (!project.dependencies.empty()) {
    scan.packages = project.dependencies;
    scan.notes.push_back("pyproject.toml (" +
                         count_of(project.dependencies.size(), "dependency", "dependencies") + ")");
  } else if (fs::read_file_if_exists(dir / "setup.py", text)) {
    PyProject setup = parse_setup_py(text);
    scan.packages = setup.dependencies;
    if (project.name.empty()) project.name = setup.name;
    if (project.requires_python.empty()) project.requires_python = setup.requires_python;
    scan.notes.push_back(fmt::format("setup.py ({} install_requires)", setup.dependencies.size()));
  }
  if (deps.empty() && !scan.packages.empty()) deps = parse_requirements(join(scan.packages, "\n"));

  // Python version: .python-version, else a lower bound in requires-python.
  if (fs::read_file_if_exists(dir / ".python-version", text)) {
    std::string v = major_minor(trim(split(text, '\n').front()));
    if (!v.empty()) {
      scan.python_version = v;
      scan.notes.push_back(".python-version (Python " + v + ")");
    }
  } else if (!project.requires_python.empty() && project.requires_python.size() <= 256) {
    static const std::regex lower(R"((>=|==|~=)\s*(3\.[0-9]{1,2}))");
    std::smatch m;
    if (std::regex_search(project.requires_python, m, lower)) {
      std::string v = m[2].str();
      int minor = std::stoi(v.substr(2));
      int default_minor = std::stoi(scan.python_version.substr(2));
      if (m[1].str() != ">=" || minor > default_minor) scan.python_version = v;
      scan.notes.push_back("requires-python " + project.requires_python);
    }
  }

  scan.data_dirs = data_folders(dir);
  for (const auto& d : scan.data_dirs) {
    scan.notes.push_back(d + "/ holds data: proposed as data." + data_name(d) +
                         ", kept out of the code layer");
  }

  // Python sources: framework imports and entry scripts.
  std::map<std::string, int> import_files;  // framework -> files importing it
  std::vector<std::string> guarded;         // files with an if __name__ == "__main__" block
  size_t seen = 0;
  for (auto it = stdfs::recursive_directory_iterator(
           dir, stdfs::directory_options::skip_permission_denied, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    std::string fname = entry.path().filename().string();
    if (entry.is_directory(ec)) {
      if (skipped_dir(fname)) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec) || entry.path().extension() != ".py") continue;
    if (++seen > kMaxPythonFiles) break;
    std::string src = read_prefix(entry.path(), kMaxSourceBytes);
    for (const auto& fw : imported_frameworks(src)) import_files[fw]++;
    if (has_main_guard(src))
      guarded.push_back(entry.path().lexically_relative(dir).generic_string());
  }

  // Framework: the dependencies decide; imports break ties and fill in.
  std::map<std::string, std::string> dep_frameworks;  // framework -> pinned version
  for (const auto& r : deps) {
    std::string fw = framework_of_package(r.name);
    if (fw.empty()) continue;
    bool core = r.name == "torch" || r.name.starts_with("tensorflow");
    if (!dep_frameworks.count(fw) || (core && !r.pinned.empty()))
      dep_frameworks[fw] = core ? r.pinned : dep_frameworks[fw];
  }
  auto pick = [&](const std::string& fw, const std::string& why) {
    scan.framework = fw;
    scan.notes.push_back(why);
  };
  if (dep_frameworks.size() == 1) {
    pick(dep_frameworks.begin()->first, dep_frameworks.begin()->first + " in the dependencies");
  } else if (dep_frameworks.size() > 1) {
    std::string fw =
        import_files["tensorflow"] > import_files["pytorch"] ? "tensorflow" : "pytorch";
    pick(fw, "both pytorch and tensorflow in the dependencies; chose " + fw +
                 " (imported most); pass --framework to change");
  } else if (!import_files.empty()) {
    std::string fw =
        import_files["tensorflow"] > import_files["pytorch"] ? "tensorflow" : "pytorch";
    pick(fw, fmt::format("{} imported in {}", fw, count_of(import_files[fw], "file")));
    if (!scan.requirements_file.empty() || !scan.packages.empty())
      scan.notes.push_back("warning: " + fw + " is imported but not listed in the dependencies");
  }
  if (dep_frameworks.count(scan.framework)) scan.framework_version = dep_frameworks[scan.framework];

  // Entry script: train.py, main.py, then files with a main guard ("train" in the name first).
  for (const char* name : {"train.py", "main.py"}) {
    if (stdfs::is_regular_file(dir / name, ec)) scan.entry_candidates.push_back(name);
  }
  std::stable_sort(guarded.begin(), guarded.end(), [](const std::string& a, const std::string& b) {
    auto rank = [](const std::string& p) {
      return std::make_tuple(p.find("train") == std::string::npos ? 1 : 0,
                             std::count(p.begin(), p.end(), '/'), p);
    };
    return rank(a) < rank(b);
  });
  for (const auto& g : guarded) {
    if (std::find(scan.entry_candidates.begin(), scan.entry_candidates.end(), g) ==
        scan.entry_candidates.end())
      scan.entry_candidates.push_back(g);
  }
  if (!scan.entry_candidates.empty()) {
    scan.entry = scan.entry_candidates.front();
    scan.notes.push_back("entry script " + scan.entry);
  } else {
    scan.notes.push_back("no entry script found (edit train.command or pass --entry)");
  }

  scan.name = image_name_for(!project.name.empty() ? project.name : abs.filename().string());
  return scan;
}

bool is_data_file(std::string_view filename) {
  static const std::set<std::string> exts = {
      ".csv",  ".tsv",    ".parquet", ".feather",  ".arrow", ".npy",    ".npz",
      ".h5",   ".hdf5",   ".jsonl",   ".tfrecord", ".pkl",   ".pickle", ".jpg",
      ".jpeg", ".png",    ".bmp",     ".tif",      ".tiff",  ".wav",    ".flac",
      ".mp3",  ".txt.gz", ".csv.gz",  ".zarr",     ".lmdb",  ".idx",    ".gz"};
  std::string name = to_lower(filename);
  for (const auto& e : exts) {
    if (ends_with(name, e)) return true;
  }
  return false;
}

std::string render_manifest(const ProjectScan& scan, std::string_view tmpl) {
  std::map<std::string, std::string> vars;
  vars["name"] = scan.name;
  vars["python_version"] = scan.python_version;
  if (!scan.requirements_file.empty()) {
    vars["python_deps"] = "  requirements: " + scan.requirements_file;
  } else if (!scan.packages.empty()) {
    std::string block = "  packages:";
    for (const auto& p : scan.packages) block += "\n    - " + yaml_quoted(p);
    vars["python_deps"] = block;
  } else {
    vars["python_deps"] =
        "  # requirements: requirements.txt  # or an inline list: packages: [\"numpy\"]";
  }
  vars["framework"] = scan.framework;
  vars["framework_version"] =
      scan.framework_version.empty()
          ? std::string("  # version: \"2.3.1\"  # unset = the newest in the CUDA matrix")
          : "  version: " + yaml_quoted(scan.framework_version);
  std::string entry = scan.entry.empty() ? "train.py" : scan.entry;
  vars["command"] = "[" + yaml_quoted("python") + ", " + yaml_quoted(entry) + "]";
  std::string notes;
  for (const auto& n : scan.notes) notes += (notes.empty() ? "" : "\n") + std::string("#   ") + n;
  if (notes.empty()) notes = "#   nothing mlbox recognises (defaults below)";
  vars["scan_notes"] = notes;
  std::string exclude = "\".git\", \".venv\", \"venv\", \"__pycache__\", \".mlbox\", \"*.ckpt\"";
  if (scan.data_dirs.empty()) {
    vars["data"] = "# data:\n#   train: gs://BUCKET/" + scan.name + "/train";
  } else {
    std::string block = "data:";
    for (const auto& d : scan.data_dirs) {
      block += "\n  " + data_name(d) + ": " + yaml_quoted(d);
      exclude += ", " + yaml_quoted(d + "/");
    }
    vars["data"] = block;
  }
  vars["context_exclude"] = exclude;

  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      break;
    }
    size_t close = tmpl.find("}}", open);
    if (close == std::string_view::npos)
      throw Error(ErrorKind::kInternal, "mlbox.yaml.tmpl: unterminated '{{'");
    std::string key(tmpl.substr(open + 2, close - open - 2));
    auto it = vars.find(key);
    if (it == vars.end())
      throw Error(ErrorKind::kInternal, "mlbox.yaml.tmpl: unknown placeholder {{" + key + "}}");
    out.append(tmpl.substr(pos, open - pos));
    out.append(it->second);
    pos = close + 2;
  }
  return out;
}

}  // namespace mlbox::manifest
