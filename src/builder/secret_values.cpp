#include "builder/secret_values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace mlbox::builder::secret_values {

namespace {

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
char lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

// Lower-cased words of a key: separators - _ . / and camelCase boundaries split.
std::vector<std::string> key_words(std::string_view key) {
  std::vector<std::string> words;
  std::string cur;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (!is_lower(c) && !is_upper(c) && !is_digit(c)) {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (is_upper(c) && i > 0 && is_lower(key[i - 1]) && !cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
    cur += lower(c);
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

bool one_of(std::string_view w, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), w) != list.end();
}

std::string lowered(std::string_view v) {
  std::string out(v);
  for (auto& c : out) c = lower(c);
  return out;
}

}  // namespace

KeyClass classify_key(std::string_view key) {
  auto words = key_words(key);
  if (words.empty()) return KeyClass::kNone;
  const std::string& last = words.back();
  for (const auto& w : words) {
    if (w == "public") return KeyClass::kNone;  // publicKeyToken, public_key
  }
  if (one_of(last, {"password", "passwd", "passphrase", "pwd", "pass", "pw"})) {
    // "pw" and "pass" alone are too short to trust as a word, unless qualified.
    if ((last == "pw" || last == "pass") && words.size() == 1) return KeyClass::kNone;
    return KeyClass::kPassword;
  }
  if (one_of(last, {"secret", "apikey", "credentials", "credential", "creds"})) {
    return KeyClass::kSecret;
  }
  if (one_of(last, {"token", "accesstoken", "authtoken", "apitoken"})) {
    // Pagination, idempotency and tokenizer tokens are not credentials.
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      if (one_of(words[i],
                 {"next",    "page",   "continuation", "pagination", "cursor",  "start",
                  "resume",  "sync",   "output",       "input",      "client",  "idempotency",
                  "request", "change", "marker",       "pad",        "eos",     "bos",
                  "unk",     "mask",   "sep",          "cls",        "special", "end",
                  "stop",    "max",    "min",          "num"})) {
        return KeyClass::kNone;
      }
    }
    return KeyClass::kToken;
  }
  if (last == "key") {
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      if (one_of(words[i], {"api", "secret", "private", "signing", "encryption", "master",
                            "account", "storage", "subscription", "license", "app"})) {
        return KeyClass::kSecret;
      }
    }
  }
  return KeyClass::kNone;
}

bool is_aws_secret_key_name(std::string_view key) {
  auto words = key_words(key);
  static const std::array<std::string_view, 4> want = {"aws", "secret", "access", "key"};
  return words.size() == want.size() && std::equal(words.begin(), words.end(), want.begin());
}

bool is_placeholder(std::string_view value) {
  std::string v = lowered(value);
  if (v.empty() || v == "~") return true;
  static const std::array<std::string_view, 70> exact = {
      "changeme",      "change-me",     "change_me",     "changeit",      "change-it",
      "change_it",     "changethis",    "change-this",   "replaceme",     "replace-me",
      "replace_me",    "fixme",         "todo",          "tbd",           "secret",
      "password",      "passwd",        "pass",          "token",         "apikey",
      "api-key",       "api_key",       "none",          "null",          "nil",
      "undefined",     "false",         "true",          "yes",           "no",
      "example",       "sample",        "placeholder",   "dummy",         "test",
      "testing",       "redacted",      "hidden",        "masked",        "default",
      "empty",         "required",      "optional",      "string",        "str",
      "your-key-here", "your_key_here", "yourkeyhere",   "your-api-key",  "your_api_key",
      "yourapikey",    "your-token",    "your_token",    "yourtoken",     "your-secret",
      "your_secret",   "yoursecret",    "your-password", "your_password", "yourpassword",
      "mysecret",      "mypassword",    "secret-key",    "secret_key",    "my-secret",
      "my_secret",     "s3cr3t",        "p@ssw0rd",      "notasecret",    "not-a-secret"};
  if (std::find(exact.begin(), exact.end(), v) != exact.end()) return true;
  // Example values of the OAuth RFCs, copied into many libraries' docs.
  static const std::array<std::string_view, 8> rfc_examples = {
      "2yotnfzfejr1zcsicmwpaa", "tgzv3jokf0xg5qx2tlkwia", "ad180jjd733klru7",
      "hh5s93j4hdidpola",       "hdk48djdd7djmd7",        "nnch734d00sl2jdk",
      "pbc1nuiq4j1fq9yzfuvug",  "kd94hf93k423kf44"};
  if (std::find(rfc_examples.begin(), rfc_examples.end(), v) != rfc_examples.end()) return true;
  // your-...-here / your_..._here spelled with letters and separators only.
  if ((v.starts_with("your-") || v.starts_with("your_")) &&
      (v.ends_with("-here") || v.ends_with("_here")) &&
      std::all_of(v.begin(), v.end(), [](char c) { return is_lower(c) || c == '-' || c == '_'; })) {
    return true;
  }
  // <token>, [PAD], {placeholder}, __TOKEN__, @@KEY@@
  auto enclosed = [&](char open, char close) {
    return v.size() >= 2 && v.front() == open && v.back() == close;
  };
  if (enclosed('<', '>') || enclosed('[', ']') || enclosed('{', '}') || enclosed('(', ')')) {
    return true;
  }
  if (v.size() >= 4 &&
      ((v.starts_with("__") && v.ends_with("__")) || (v.starts_with("@@") && v.ends_with("@@")))) {
    return true;
  }
  // xxxx, ****, ...., ----, 0000, aaaa: one character repeated, or only masking characters.
  if (std::all_of(v.begin(), v.end(), [&](char c) { return c == v.front(); })) return true;
  if (std::all_of(v.begin(), v.end(), [](char c) {
        return c == 'x' || c == '*' || c == '.' || c == '-' || c == '_' || c == '#' || c == '?';
      })) {
    return true;
  }
  if (v.find("example") != std::string::npos) return true;   // AKIA...EXAMPLE, ...EXAMPLEKEY
  return v.ends_with("...") || v.ends_with("\xe2\x80\xa6");  // a truncated example
}

bool is_reference(std::string_view v) {
  if (v.empty()) return false;
  char f = v.front();
  if (f == '$' || f == '!' || f == '*' || f == '&' || f == '/' || f == '~' || f == '%' ||
      f == '@') {
    return true;  // $VAR, !vault, *alias, &anchor, paths, %env%, @Microsoft.KeyVault(...)
  }
  if (v.starts_with("./") || v.starts_with("../") || v.starts_with("file:") ||
      v.starts_with("env:") || v.starts_with("vault:") || v.starts_with("op://") ||
      v.starts_with("arn:") || v.starts_with("ENC[") || v.starts_with("sm://") ||
      v.starts_with("projects/") || v.starts_with("http://") || v.starts_with("https://") ||
      v.starts_with("secretsmanager:") || v.starts_with("ref+") || v.starts_with("data:")) {
    return true;
  }
  for (std::string_view marker : {"${", "{{", "#{", "%(", "%s", "{}", "{0}", "os.environ",
                                  "os.getenv", "process.env", "getenv(", "ENV[", "secrets."}) {
    if (v.find(marker) != std::string_view::npos) return true;
  }
  // SOME_ENV_VAR_NAME: the name of where the secret lives.
  bool has_underscore = v.find('_') != std::string_view::npos;
  bool env_name = has_underscore && std::all_of(v.begin(), v.end(), [](char c) {
                    return is_upper(c) || is_digit(c) || c == '_';
                  });
  if (env_name && !std::all_of(v.begin(), v.end(), [](char c) { return c == '_'; })) {
    for (std::string_view w : {"PASS", "TOKEN", "SECRET", "KEY", "PWD", "CRED"}) {
      if (v.find(w) != std::string_view::npos) return true;
    }
  }
  return false;
}

bool looks_random(std::string_view v) {
  if (v.size() < 8) return false;
  bool lo = false, up = false, dig = false;
  for (char c : v) {
    lo |= is_lower(c);
    up |= is_upper(c);
    dig |= is_digit(c);
  }
  if ((lo || up) && dig) return true;
  if (!lo || !up || v.size() < 24) return false;
  // Letters only: random when mixed case all along, not CamelCase words or dotted names.
  size_t run = 0, longest = 0;
  for (char c : v) {
    if (c == '.' || c == ' ') return false;
    run = is_lower(c) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest < 8;
}

bool looks_made_up(std::string_view value) {
  std::string v = lowered(value);
  for (std::string_view w :
       {"password", "passwd", "secret", "test", "example", "dummy", "fake", "sample", "mock", "foo",
        "bar", "changeme", "12345", "abcdef", "qwerty", "letmein", "admin", "hunter2", "xxxx"}) {
    if (v.find(w) != std::string::npos) return true;
  }
  return false;
}

bool looks_generated(std::string_view v) {
  if (v.size() < 8 || is_placeholder(v)) return false;
  bool lo = false, up = false, dig = false;
  std::array<bool, 256> seen{};
  size_t distinct = 0;
  for (char c : v) {
    lo |= is_lower(c);
    up |= is_upper(c);
    dig |= is_digit(c);
    auto u = static_cast<unsigned char>(c);
    if (!seen[u]) ++distinct;
    seen[u] = true;
  }
  return (int{lo} + int{up} + int{dig}) >= 2 && distinct >= 10;
}

}  // namespace mlbox::builder::secret_values
