#include "cloud/aws/credential_process.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

const char* kContract =
    "the command must print {\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ..., "
    "\"SessionToken\": ..., \"Expiration\": \"<ISO 8601>\"} on standard output and exit 0";

// The last `n` non-empty lines of `text`, each cut to 300 characters.
std::string last_lines(const std::string& text, size_t n) {
  std::vector<std::string> lines;
  for (const auto& l : split(text, '\n')) {
    std::string_view t = trim(l);
    if (!t.empty()) lines.emplace_back(t.substr(0, 300));
  }
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

}  // namespace

std::vector<std::string> split_command_line(const std::string& command, const std::string& where) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
    } else if (quote == '"') {
      if (c == '"')
        quote = 0;
      else if (c == '\\' && i + 1 < command.size() &&
               std::string_view("\"\\$`").find(command[i + 1]) != std::string_view::npos)
        word += command[++i];
      else
        word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < command.size()) {
      word += command[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) {
    throw Error(ErrorKind::kConfig,
                fmt::format("credential_process in {} has an unclosed {} quote", where, quote),
                "close the quote in that setting");
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) {
    throw Error(ErrorKind::kConfig, fmt::format("credential_process in {} is empty", where),
                "set it to the command that prints the credentials, or remove it");
  }
  return words;
}

AwsCredentials parse_credential_process_output(const std::string& out, const std::string& where) {
  auto fail = [&](const std::string& why) {
    return Error(ErrorKind::kAuth, fmt::format("credential_process of {}: {}", where, why),
                 kContract);
  };
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object()) throw fail("its output is not a JSON object");
  if (!j.contains("Version") || !j["Version"].is_number_integer() || j["Version"].get<int>() != 1)
    throw fail("its output has no \"Version\": 1 (the only version the SDKs know)");
  auto text = [&](const char* key) -> std::string {
    if (!j.contains(key)) return "";
    if (!j[key].is_string()) throw fail(fmt::format("\"{}\" is not a string", key));
    return j[key].get<std::string>();
  };
  AwsCredentials c;
  c.access_key_id = text("AccessKeyId");
  c.secret_access_key = text("SecretAccessKey");
  c.session_token = text("SessionToken");
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    throw fail("its output lacks AccessKeyId or SecretAccessKey");
  std::string expiration = text("Expiration");
  if (!expiration.empty()) {
    c.expires_at = parse_rfc3339(expiration);
    if (c.expires_at <= 0)
      throw fail(
          fmt::format("\"Expiration\" is not an ISO 8601 time ({} characters)", expiration.size()));
  }
  c.source = "credential_process of " + where;
  return c;
}

AwsCredentials run_credential_process(CommandRunner& runner, const std::string& command,
                                      const std::string& where) {
  std::vector<std::string> argv = split_command_line(command, where);
  ProcessOptions options;
  options.timeout = std::chrono::seconds(60);
  ProcessResult r;
  try {
    r = runner.run(argv, options);
  } catch (const Error& e) {
    throw Error(ErrorKind::kAuth,
                fmt::format("credential_process of {} could not start: {}", where, e.what()),
                "check the command in that setting (it runs without a shell)");
  }
  if (!r.ok()) {
    std::string status = r.timed_out ? "did not finish within 60 s"
                                     : fmt::format("exited with status {}", r.exit_code);
    std::string err = last_lines(r.err, 5);
    throw Error(ErrorKind::kAuth,
                fmt::format("credential_process of {} ({}) {}{}", where, argv.front(), status,
                            err.empty() ? "" : "; its standard error ends with:" + err),
                "run the command yourself to see what it needs (a login, a network)");
  }
  return parse_credential_process_output(r.out, where);
}

}  // namespace mlbox::cloud::aws
