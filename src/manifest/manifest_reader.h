// The walk over a parsed mlbox.yaml: fills a Manifest section by section and collects
// every problem with its LINE:COL. One read_<section> per top-level key; the sections live
// in read_<section>.cpp, the shared field helpers in manifest_reader.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "manifest/load.h"

namespace mlbox::manifest {

Mark to_mark(const YAML::Mark& m);
// How a node reads in a message: "'abc'", "a list", "a map", "empty"; long scalars are cut.
std::string describe(const YAML::Node& n);
// "'text'", or "'first 60 characters...' (N characters)" for long text.
std::string quote_value(std::string_view text);

class ManifestReader {
 public:
  ManifestReader(Manifest& m, std::vector<Issue>& issues) : m_(m), issues_(issues) {}

  void read(const YAML::Node& root);

 private:
  struct Field {
    std::string key;
    std::string path;  // dotted
    YAML::Node value;
    Mark key_mark;
    Mark value_mark;  // the key's mark when the value is empty
  };

  void add(Mark mark, std::string what, std::string expected, std::string hint = {});
  void add(const Field& f, std::string what, std::string expected, std::string hint = {});

  // The entries of a map, in file order; unknown keys (when `allowed` is not empty),
  // duplicate keys and non-string keys are reported and skipped. Records marks.
  std::vector<Field> fields(const YAML::Node& map, const std::string& path,
                            const std::vector<std::string>& allowed);
  // A map section; an empty value counts as an empty map.
  bool is_map(const Field& f, const std::vector<std::string>& keys);
  std::optional<std::string> string_of(const Field& f, const std::string& expected = "a string");
  std::optional<std::vector<std::string>> string_list_of(const Field& f,
                                                         const std::string& what_items);
  std::optional<bool> bool_of(const Field& f);
  std::optional<int64_t> int_of(const Field& f, int64_t min);

  // read_project.cpp
  void read_name(const Field& f);
  void read_python(const Field& section);
  void read_framework(const Field& section);
  void read_cuda(const Field& f);
  void read_system_packages(const Field& f);
  // read_train.cpp
  void read_train(const Field& section);
  void read_command(const Field& f);
  // read_image.cpp
  void read_image(const Field& section);
  void read_context(const Field& section);
  // read_data.cpp
  void read_data(const Field& section);
  // read_resources.cpp
  void read_resources(const Field& section);
  // read_targets.cpp
  void read_targets(const Field& section);
  void read_vertex(const Field& section);
  void read_batch(const Field& section);
  void read_local(const Field& section);
  // read_sweep.cpp
  void read_sweep(const Field& section);
  void read_sweep_parameters(const Field& section, SweepSpec& spec);
  void read_sweep_param(const Field& f, SweepSpec& spec);
  void read_early_stopping(const Field& section, SweepSpec& spec);
  std::optional<std::string> machine_name_of(const Field& f, const char* example);

  Manifest& m_;
  std::vector<Issue>& issues_;
};

}  // namespace mlbox::manifest
