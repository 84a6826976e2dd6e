// mlbox config [--explain] [KEY]: the effective configuration and where each value came from.
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "config/settings.h"
#include "manifest/load.h"

namespace mlbox::cli {

namespace {

struct ConfigOptions {
  bool explain = false;
  std::vector<std::string> keys;
  std::map<std::string, std::string> flag_values;  // setting key -> value given
  std::map<std::string, bool> flag_switches;       // boolean settings given as --spot
};

std::string shown(const std::string& value) {
  return value.empty() ? "\"\"" : value;
}

std::string explain_table(const std::vector<config::Value>& values) {
  size_t wk = 3, wv = 5, ws = 6;
  for (const auto& v : values) {
    wk = std::max(wk, v.key.size());
    wv = std::max(wv, shown(v.value).size());
    ws = std::max(ws, std::string(config::source_name(v.source)).size());
  }
  std::string out =
      fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", "KEY", wk, "VALUE", wv, "SOURCE", ws, "ORIGIN");
  for (const auto& v : values) {
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", v.key, wk, shown(v.value), wv,
                       config::source_name(v.source), ws, v.origin);
  }
  return out;
}

void run_config(Context& ctx, const ConfigOptions& opts) {
  std::unique_ptr<manifest::Manifest> m;
  auto path = ctx.manifest_path();
  if (std::filesystem::exists(path)) m = std::make_unique<manifest::Manifest>(manifest::load(path));
  std::map<std::string, std::string> flags = opts.flag_values;
  for (const auto& [key, on] : opts.flag_switches) flags[key] = on ? "true" : "false";
  config::Settings settings = config::resolve_for_process(m.get(), flags);

  std::vector<config::Value> values = settings.values();
  if (!opts.keys.empty()) {
    values.clear();
    for (const auto& key : opts.keys) values.push_back(settings.at(key));
  }

  if (ctx.options.json) {
    if (opts.keys.size() == 1) {
      ctx.print_json(settings.to_json(values.front()));
    } else if (!opts.keys.empty()) {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& v : values) out[v.key] = settings.to_json(v);
      ctx.print_json(out);
    } else {
      ctx.print_json(settings.to_json());
    }
    return;
  }
  if (opts.explain) {
    ctx.print(explain_table(values));
    return;
  }
  if (opts.keys.size() == 1) {
    ctx.print(values.front().value + "\n");
    return;
  }
  std::string out;
  for (const auto& v : values) out += fmt::format("{} = {}\n", v.key, shown(v.value));
  ctx.print(out);
}

}  // namespace

void set_config_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ConfigOptions>();
  auto* cmd =
      app.add_subcommand("config",
                         "Show the effective configuration (flag > env MLBOX_* > mlbox.yaml > "
                         "~/.config/mlbox/config.yaml > default)");
  cmd->add_flag("--explain", opts->explain, "Show where each value came from");
  cmd->add_option("key", opts->keys, "Show only these settings (e.g. region, python.version)");
  // Every setting's flag, so `mlbox config --explain --region X` shows the flag winning.
  for (const auto& info : config::known_keys()) {
    if (info.kind == config::ValueKind::kBool) {
      cmd->add_flag_callback(
          info.flag, [opts, key = info.key] { opts->flag_switches[key] = true; },
          "Override " + info.key + ": " + info.description);
    } else {
      cmd->add_option_function<std::string>(
          info.flag, [opts, key = info.key](const std::string& v) { opts->flag_values[key] = v; },
          "Override " + info.key + ": " + info.description);
    }
  }
  cmd->callback([&ctx, opts] { run_config(ctx, *opts); });
}

}  // namespace mlbox::cli
