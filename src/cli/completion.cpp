// mlbox completion bash|zsh|fish: a completion script generated from the CLI11 definition
// of every command (so it lists exactly the commands and options mlbox has).
#include "cli/commands.h"
#include "util/error.h"
#include "util/shell_completion.h"

namespace mlbox::cli {

namespace {

completion::Command describe(const CLI::App& app) {
  completion::Command c;
  c.name = app.get_name();
  c.description = app.get_description();
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_positional() && o->get_lnames().empty() && o->get_snames().empty()) continue;
    completion::Option opt;
    for (const auto& n : o->get_lnames()) opt.names.push_back("--" + n);
    for (const auto& n : o->get_snames()) opt.names.push_back("-" + n);
    if (opt.names.empty()) continue;
    opt.description = o->get_description();
    opt.takes_value = o->get_type_size_max() > 0 && o->get_items_expected_max() > 0;
    c.options.push_back(std::move(opt));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    c.subcommands.push_back(describe(*sub));
  return c;
}

}  // namespace

void set_completion_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("completion", "Print a shell completion script (bash, zsh, fish)");
  auto shell = std::make_shared<std::string>();
  cmd->add_option("shell", *shell, "bash | zsh | fish")->required();
  cmd->callback([&app, &ctx, shell] {
    std::string text = completion::script(describe(app), *shell);
    if (text.empty()) {
      throw Error(ErrorKind::kUsage, "no completion for shell '" + *shell + "'",
                  "use bash, zsh or fish: source <(mlbox completion bash)");
    }
    ctx.print(text);
  });
}

}  // namespace mlbox::cli
