// Shell completion scripts (bash, zsh, fish) from a description of a command line: the
// subcommands, their options (with whether each takes a value) and descriptions. The CLI
// builds the description from its CLI11 definition, so the scripts never drift from it.
#pragma once

#include <string>
#include <vector>

namespace mlbox::completion {

struct Option {
  std::vector<std::string> names;  // "--json", "-v"
  std::string description;
  bool takes_value = false;
};

struct Command {
  std::string name;
  std::string description;
  std::vector<Option> options;
  std::vector<Command> subcommands;
};

// The script for `shell` ("bash", "zsh", "fish"); empty for another shell.
std::string script(const Command& root, const std::string& shell);
std::string bash_script(const Command& root);
std::string zsh_script(const Command& root);
std::string fish_script(const Command& root);

}  // namespace mlbox::completion
