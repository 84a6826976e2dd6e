#include "util/command_words.h"

#include <algorithm>

namespace mlbox {

CommandWords scan_command_words(const std::vector<std::string>& args,
                                const std::vector<std::string>& options_with_value) {
  CommandWords out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a == "--json") out.json = true;
    if (out.command) continue;  // keep looking for --json among the command's options
    if (!a.empty() && a[0] == '-') {
      bool takes_value = std::find(options_with_value.begin(), options_with_value.end(), a) !=
                         options_with_value.end();
      if (takes_value) ++i;
      continue;
    }
    out.command = a;
  }
  return out;
}

std::string count_of(size_t n, std::string_view singular, std::string_view plural) {
  std::string word(n == 1 ? singular : plural.empty() ? std::string(singular) + "s" : plural);
  return std::to_string(n) + " " + word;
}

}  // namespace mlbox
