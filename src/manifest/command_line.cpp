#include "manifest/load.h"

namespace mlbox::manifest {

bool split_command_line(std::string_view text, std::vector<std::string>& argv, std::string* why) {
  argv.clear();
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        if (why) *why = "unterminated single quote";
        return false;
      }
      cur.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string_view("\"\\$`\n").find(text[j + 1]) != std::string_view::npos) {
          ++j;
        }
        cur += text[j];
      }
      if (j >= text.size()) {
        if (why) *why = "unterminated double quote";
        return false;
      }
      in_word = true;
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) {
        if (why) *why = "a trailing backslash";
        return false;
      }
      if (text[i + 1] != '\n') cur += text[i + 1];
      in_word = true;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) argv.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) argv.push_back(std::move(cur));
  return true;
}

}  // namespace mlbox::manifest
