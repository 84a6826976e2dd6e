// What the words of a command line are before CLI11 sees them: the subcommand a user typed
// (after the global options), whether --json was asked for, and counted nouns for messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox {

struct CommandWords {
  std::optional<std::string> command;  // the first word that is not a global option
  bool json = false;                   // --json before the command's "--"
};

// `options_with_value` are the global options that take the next word ("-C",
// "--project-dir"); everything after "--" is left alone.
CommandWords scan_command_words(const std::vector<std::string>& args,
                                const std::vector<std::string>& options_with_value);

// "1 package", "2 packages", "0 files"; `plural` defaults to singular + "s".
std::string count_of(size_t n, std::string_view singular, std::string_view plural = {});

}  // namespace mlbox
