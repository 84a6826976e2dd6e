// GitHub Actions' workflow commands and files, formatted for a CI log:
//   - "::error file=F,line=L,col=C::MESSAGE" annotations (values escaped as the runner
//     expects: % \r \n in messages; also : and , in properties);
//   - name=value lines for $GITHUB_OUTPUT (a heredoc block for multi-line values);
//   - Markdown appended to $GITHUB_STEP_SUMMARY.
// Pure formatting plus appending to the files the runner names; no terminal output.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox::github {

std::string escape_data(std::string_view text);
std::string escape_property(std::string_view text);

// The annotations for an error message: one per line of the form "FILE:LINE:COL: what"
// (manifest and config errors carry one per problem), with FILE made relative to
// `workspace` when inside it (so GitHub links it); when no line has a location, one
// "::error::" annotation with the whole message. `hint` is added to the first.
std::vector<std::string> error_annotations(std::string_view message, std::string_view hint,
                                           const std::filesystem::path& workspace);

// The lines to append to $GITHUB_OUTPUT for these outputs.
std::string output_lines(const std::map<std::string, std::string>& outputs);

// Appends `text` to `file` (created 0644 when missing). Throws Error(kInternal) naming the
// file when it cannot be written.
void append_to_file(const std::filesystem::path& file, std::string_view text);

}  // namespace mlbox::github
