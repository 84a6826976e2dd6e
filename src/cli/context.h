// What every subcommand shares: the global flags, the event renderer and output helpers.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/events.h"

namespace mlbox::cli {

struct GlobalOptions {
  std::string project_dir = ".";
  int verbose = 0;
  bool quiet = false;
  bool json = false;
  bool no_progress = false;
};

class Context {
 public:
  Context();
  ~Context();
  GlobalOptions options;

  std::filesystem::path project_dir() const;
  std::filesystem::path manifest_path() const { return project_dir() / "mlbox.yaml"; }
  Observer& observer();  // renders to stderr per the global flags
  bool color_stderr() const;
  bool stdout_is_tty() const;
  bool stdin_is_tty() const;
  bool progress_enabled() const;

  // Under --json: exactly one JSON value on stdout. Otherwise human text on stdout.
  void print_json(const nlohmann::json& value) const;
  void print(const std::string& text) const;  // human output (suppressed by nothing)

 private:
  std::unique_ptr<Observer> observer_;
};

}  // namespace mlbox::cli
