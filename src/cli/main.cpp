// mlbox: parse the command line, run one subcommand, map errors to exit codes.
#include <cstdio>
#include <exception>

#include <fmt/format.h>
#include <yaml-cpp/exceptions.h>

#include "cli/ci_output.h"
#include "cli/commands.h"
#include "util/error.h"

namespace {

void print_error(const mlbox::cli::Context& ctx, const std::string& message,
                 const std::string& hint) {
  bool color = ctx.color_stderr();
  fmt::print(stderr, "mlbox: {}error:{} {}\n", color ? "\033[31m" : "", color ? "\033[0m" : "",
             message);
  if (!hint.empty()) fmt::print(stderr, "  hint: {}\n", hint);
  mlbox::cli::annotate_error_for_ci(message, hint);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mlbox;
  cli::Context ctx;
  CLI::App app{"mlbox: build, push and run reproducible ML training images", "mlbox"};
  app.set_version_flag("--version", std::string("mlbox ") + MLBOX_VERSION);
  app.require_subcommand(1);
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

  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(ctx, e.what(), "run 'mlbox --help' or 'mlbox COMMAND --help'");
    return static_cast<int>(ErrorKind::kUsage);
  } catch (const Error& e) {
    print_error(ctx, e.what(), e.hint());
    return e.exit_code();
  } catch (const YAML::Exception& e) {
    // yaml-cpp errors are converted at the boundary; one that escapes is a bug.
    print_error(ctx, std::string("unexpected YAML error: ") + e.what(), "");
    return static_cast<int>(ErrorKind::kInternal);
  } catch (const std::exception& e) {
    print_error(ctx, std::string("internal error: ") + e.what(),
                "this is a bug in mlbox; please report it with the command you ran");
    return static_cast<int>(ErrorKind::kInternal);
  }
}
