#include "util/github_actions.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "util/error.h"
#include "util/strings.h"

namespace mlbox::github {

namespace {

// "path/to/mlbox.yaml:12:5: message" -> parts; false when the line has no location.
bool split_location(std::string_view line, std::string& file, std::string& row, std::string& col,
                    std::string& rest) {
  // Scan for ":DIGITS:DIGITS:" so that file names with colons elsewhere still work.
  for (size_t i = line.find(':'); i != std::string_view::npos; i = line.find(':', i + 1)) {
    size_t a = i + 1, b = a;
    while (b < line.size() && std::isdigit(static_cast<unsigned char>(line[b]))) ++b;
    if (b == a || b >= line.size() || line[b] != ':') continue;
    size_t c = b + 1, d = c;
    while (d < line.size() && std::isdigit(static_cast<unsigned char>(line[d]))) ++d;
    if (d == c || d >= line.size() || line[d] != ':' || i == 0) continue;
    file = std::string(line.substr(0, i));
    row = std::string(line.substr(a, b - a));
    col = std::string(line.substr(c, d - c));
    rest = std::string(trim(line.substr(d + 1)));
    return true;
  }
  return false;
}

}  // namespace

std::string escape_data(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string escape_property(std::string_view text) {
  std::string out;
  for (char c : escape_data(text)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

std::vector<std::string> error_annotations(std::string_view message, std::string_view hint,
                                           const std::filesystem::path& workspace) {
  std::vector<std::string> out;
  std::string suffix = hint.empty() ? "" : "\nhint: " + std::string(hint);
  for (const auto& line : split(message, '\n')) {
    std::string file, row, col, rest;
    if (!split_location(line, file, row, col, rest)) continue;
    std::filesystem::path p(file);
    if (!workspace.empty() && p.is_absolute()) {
      auto rel = p.lexically_relative(workspace);
      if (!rel.empty() && *rel.begin() != "..") p = rel;
    }
    // The hint belongs to the first problem (manifest errors carry the first one's).
    out.push_back("::error file=" + escape_property(p.string()) + ",line=" + row + ",col=" + col +
                  "::" + escape_data(rest + (out.empty() ? suffix : "")));
  }
  if (out.empty()) out.push_back("::error::" + escape_data(std::string(message) + suffix));
  return out;
}

std::string output_lines(const std::map<std::string, std::string>& outputs) {
  std::string out;
  for (const auto& [name, value] : outputs) {
    if (value.find('\n') == std::string::npos) {
      out += name + "=" + value + "\n";
    } else {
      // The runner's multi-line syntax; the delimiter must not occur in the value.
      std::string delim = "MLBOX_EOF";
      while (value.find(delim) != std::string::npos) delim += "_";
      out += name + "<<" + delim + "\n" + value + "\n" + delim + "\n";
    }
  }
  return out;
}

void append_to_file(const std::filesystem::path& file, std::string_view text) {
  std::ofstream f(file, std::ios::app | std::ios::binary);
  if (f) f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f) {
    throw Error(ErrorKind::kInternal,
                file.string() + ": cannot append GitHub Actions output: " + std::strerror(errno),
                "check GITHUB_OUTPUT / GITHUB_STEP_SUMMARY");
  }
}

}  // namespace mlbox::github
