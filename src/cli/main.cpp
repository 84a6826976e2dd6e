// mlbox: parse the command line, run one subcommand, map errors to exit codes.
#include <algorithm>
#include <cstdio>
#include <exception>

#include <fmt/format.h>
#include <yaml-cpp/exceptions.h>

#include "cli/ci_output.h"
#include "cli/commands.h"
#include "core/error_json.h"
#include "util/command_words.h"
#include "util/error.h"
#include "util/strings.h"

namespace {

struct ErrorOutput {
  const mlbox::cli::Context& ctx;
  bool json = false;  // --json anywhere before "--", even when parsing failed before it

  // The human message on stderr always; under --json also the one JSON object on stdout.
  int report(mlbox::ErrorKind kind, const std::string& message, const std::string& hint) const {
    bool color = ctx.color_stderr();
    fmt::print(stderr, "mlbox: {}error:{} {}\n", color ? "\033[31m" : "", color ? "\033[0m" : "",
               message);
    if (!hint.empty()) fmt::print(stderr, "  hint: {}\n", hint);
    mlbox::cli::annotate_error_for_ci(message, hint);
    if (json) ctx.print_json(mlbox::error_json(kind, message, hint));
    return static_cast<int>(kind);
  }
};

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// `mlbox help [COMMAND]`: the same text as `mlbox [COMMAND] --help`.
void set_help_command(CLI::App& app, mlbox::cli::Context& ctx) {
  auto* cmd = app.add_subcommand("help", "Show help for mlbox or for one command");
  auto topic = std::make_shared<std::string>();
  cmd->add_option("command", *topic, "The command to explain");
  cmd->callback([&app, &ctx, topic] {
    if (topic->empty()) {
      ctx.print(app.help());
      return;
    }
    for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == *topic) {
        ctx.print(sub->help(app.get_name()));
        return;
      }
    }
    auto near = mlbox::did_you_mean(*topic, command_names(app));
    throw mlbox::Error(mlbox::ErrorKind::kUsage, "'" + *topic + "' is not an mlbox command",
                       near ? "did you mean 'mlbox help " + *near + "'?"
                            : "run 'mlbox help' for the list of commands");
  });
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mlbox;
  cli::Context ctx;
  CLI::App app{"mlbox: build, push and run reproducible ML training images", "mlbox"};
  app.set_version_flag("--version", std::string("mlbox ") + MLBOX_VERSION);
  app.require_subcommand(0, 1);
  app.fallthrough();
  auto& o = ctx.options;
  app.add_option("-C,--project-dir", o.project_dir, "Project directory (holds mlbox.yaml)");
  app.add_flag("-v,--verbose", o.verbose, "More output (repeat for more)");
  app.add_flag("-q,--quiet", o.quiet, "Only errors and the result");
  app.add_flag("--json", o.json, "Print one JSON value on stdout; logs go to stderr");
  app.add_flag("--no-progress", o.no_progress, "No progress bars");

  cli::set_init_command(app, ctx);
  cli::set_freeze_command(app, ctx);
  cli::set_dockerfile_command(app, ctx);
  cli::set_build_command(app, ctx);
  cli::set_push_command(app, ctx);
  cli::set_pull_command(app, ctx);
  cli::set_submit_command(app, ctx);
  cli::set_sweep_command(app, ctx);
  cli::set_run_command(app, ctx);
  cli::set_logs_command(app, ctx);
  cli::set_status_command(app, ctx);
  cli::set_jobs_command(app, ctx);
  cli::set_cancel_command(app, ctx);
  cli::set_fetch_command(app, ctx);
  cli::set_report_command(app, ctx);
  cli::set_tensorboard_command(app, ctx);
  cli::set_watch_command(app, ctx);
  cli::set_machines_command(app, ctx);
  cli::set_config_command(app, ctx);
  cli::set_completion_command(app, ctx);
  set_help_command(app, ctx);

  std::vector<std::string> args(argv + 1, argv + argc);
  CommandWords words = scan_command_words(args, {"-C", "--project-dir"});
  ErrorOutput out{ctx, words.json};
  try {
    // A mistyped command is named with its nearest command (CLI11 would only say that an
    // argument was not expected).
    auto names = command_names(app);
    if (words.command && std::find(names.begin(), names.end(), *words.command) == names.end()) {
      auto near = did_you_mean(*words.command, names);
      throw Error(ErrorKind::kUsage, "'" + *words.command + "' is not an mlbox command",
                  near ? "did you mean 'mlbox " + *near + "'?"
                       : "run 'mlbox help' for the list of commands");
    }
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) {
      // Bare `mlbox`, like bare `git`: the help text, and the usage exit code for scripts
      // (under --json, stdout holds the one error object instead).
      if (words.json) {
        return out.report(ErrorKind::kUsage, "no command given", "run 'mlbox help'");
      }
      ctx.print(app.help());
      return static_cast<int>(ErrorKind::kUsage);
    }
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return out.report(ErrorKind::kUsage, e.what(), "run 'mlbox help' or 'mlbox help COMMAND'");
  } catch (const Error& e) {
    return out.report(e.kind(), e.what(), e.hint());
  } catch (const YAML::Exception& e) {
    // yaml-cpp errors are converted at the boundary; one that escapes is a bug.
    return out.report(ErrorKind::kInternal, std::string("unexpected YAML error: ") + e.what(), "");
  } catch (const std::exception& e) {
    return out.report(ErrorKind::kInternal, std::string("internal error: ") + e.what(),
                      "this is a bug in mlbox; please report it with the command you ran");
  }
}
