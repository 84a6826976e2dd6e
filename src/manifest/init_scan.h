// What `mlbox init` learns from a project folder, and the mlbox.yaml it writes from that.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox::manifest {

struct ProjectScan {
  std::string name;                     // image name (from pyproject/setup.py or the folder)
  std::string python_version = "3.11";  // from .python-version or requires-python
  std::string requirements_file;        // "requirements.txt" when the project has one
  std::vector<std::string> packages;    // pyproject/setup.py dependencies otherwise
  std::string framework = "none";       // pytorch | tensorflow | none
  std::string framework_version;        // from a pin like torch==2.3.1
  std::string entry;                    // the entry script, relative; empty = none found
  std::vector<std::string> entry_candidates;
  // Top-level folders holding data files (csv, parquet, npy, images, ...) and no Python:
  // proposed as data: inputs and kept out of the code layer.
  std::vector<std::string> data_dirs;
  std::vector<std::string> notes;  // what was found, one line each
};

// Reads requirements.txt, pyproject.toml, setup.py, .python-version and the *.py files
// below `dir` (skipping hidden folders, virtualenvs, build outputs).
ProjectScan scan_project(const std::filesystem::path& dir);

// The filled template (templates/mlbox.yaml.tmpl). Throws Error(kInternal) when the
// template holds a placeholder this code does not know.
std::string render_manifest(const ProjectScan& scan, std::string_view tmpl);

// Parts, exposed for tests.
struct Requirement {
  std::string name;    // normalised: lowercase, '_' -> '-'
  std::string pinned;  // "2.3.1" for name==2.3.1 (local version dropped), else empty
  std::string spec;    // the line as written, trimmed
};
std::vector<Requirement> parse_requirements(std::string_view text);
// [project] dependencies / requires-python / name from pyproject.toml.
struct PyProject {
  std::string name;
  std::string requires_python;
  std::vector<std::string> dependencies;
};
PyProject parse_pyproject(std::string_view text);
// install_requires=[...] and name=... from setup.py.
PyProject parse_setup_py(std::string_view text);
// "torch" / "tensorflow" / "keras" ... imported by a Python source, per framework.
std::vector<std::string> imported_frameworks(std::string_view python_source);
bool has_main_guard(std::string_view python_source);
// Whether a file name looks like training data ("train.csv", "x.parquet", "img.png").
bool is_data_file(std::string_view filename);
// A valid image name from any text ("My Project_2" -> "my-project-2"); "training" if none.
std::string image_name_for(std::string_view text);

}  // namespace mlbox::manifest
