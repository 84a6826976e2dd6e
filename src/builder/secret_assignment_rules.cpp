// `key: value` and `key = value` pairs (YAML, JSON, .env, INI, TOML, shell, code) whose key
// names a credential and whose value is a literal secret.
#include <fmt/format.h>

#include "builder/secret_rule_helpers.h"
#include "builder/secret_values.h"

namespace mlbox::builder::secret_rules {

namespace {

using secret_values::KeyClass;

bool is_key_char(char c) {
  return is_word(c) || c == '-' || c == '.';
}

bool is_quote(char c) {
  return c == '"' || c == '\'' || c == '`';
}

struct Value {
  size_t begin = 0, end = 0;
  bool quoted = false;
};

// The value after the separator at data[i]; false when there is no literal on this line.
bool read_value(std::string_view d, size_t i, Value& v) {
  constexpr size_t kMaxValue = 512;
  while (i < d.size() && (d[i] == ' ' || d[i] == '\t')) ++i;
  // String prefixes of Python and friends: r"...", b'...', f"..." (f-strings are references).
  size_t p = i;
  while (p < d.size() && p - i < 2 &&
         (d[p] == 'r' || d[p] == 'b' || d[p] == 'u' || d[p] == 'R' || d[p] == 'B' || d[p] == 'U')) {
    ++p;
  }
  if (p < d.size() && is_quote(d[p])) i = p;
  if (i >= d.size()) return false;
  if (is_quote(d[i])) {
    char q = d[i];
    size_t j = i + 1;
    while (j < d.size() && j - i <= kMaxValue && d[j] != q && !is_line_end(d[j])) {
      j += d[j] == '\\' ? 2 : 1;
    }
    if (j >= d.size() || d[j] != q) return false;
    v = {i + 1, j, true};
    return true;
  }
  size_t j = i;
  while (j < d.size() && j - i <= kMaxValue && !is_line_end(d[j]) && d[j] != ' ' && d[j] != '\t' &&
         d[j] != ',' && d[j] != ';' && d[j] != '}' && d[j] != ')') {
    ++j;
  }
  if (j - i > kMaxValue) return false;
  // Anything but a comment or punctuation after it: prose ("password: see the wiki").
  size_t k = j;
  while (k < d.size() && (d[k] == ' ' || d[k] == '\t')) ++k;
  if (k < d.size() && !is_line_end(d[k]) && d[k] != '#' && d[k] != ',' && d[k] != ';' &&
      d[k] != '}' && d[k] != ')' && !(d[k] == '/' && k + 1 < d.size() && d[k + 1] == '/')) {
    return false;
  }
  v = {i, j, false};
  return true;
}

bool all_digits(std::string_view v) {
  for (char c : v) {
    if (!is_digit(c) && c != '.' && c != '-' && c != '+') return false;
  }
  return true;
}

// Is this literal a secret for a key of class `kc` in a file of class `tc`?
bool secret_value(std::string_view v, bool quoted, KeyClass kc, TextClass tc) {
  if (secret_values::is_placeholder(v) || secret_values::is_reference(v) || all_digits(v)) {
    return false;
  }
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  if (v.find(' ') != std::string_view::npos) return false;           // prose, not a credential
  if (v == "|" || v == ">" || v == "|-" || v == ">-") return false;  // a YAML block follows
  bool config = tc == TextClass::kConfig || tc == TextClass::kDotenv;
  if (tc == TextClass::kCode && !quoted) return false;
  if (kc == KeyClass::kToken && tc != TextClass::kDotenv) {
    // pad_token: "<pad>", tokenizer tokens, token: "[CLS]": only generated-looking values.
    return v.size() >= 16 && secret_values::looks_random(v);
  }
  if (config) return v.size() >= (kc == KeyClass::kPassword ? 4u : 8u);
  // Code and docs are full of examples: only generated-looking values, not made-up ones.
  return secret_values::looks_random(v) && !secret_values::looks_made_up(v);
}

}  // namespace

size_t assignment(const FileTraits& t, const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data;
  size_t ks = pos;
  while (ks > 0 && pos - ks < 128 && is_key_char(d[ks - 1])) --ks;
  size_t ke = pos;
  while (ke < d.size() && ke - pos < 128 && is_key_char(d[ke])) ++ke;
  if (t.text == TextClass::kTemplate || t.binary) return ke;
  while (ke > ks && d[ke - 1] == '.') --ke;  // "password." ends a sentence
  std::string_view key = d.substr(ks, ke - ks);
  KeyClass kc = secret_values::classify_key(key);
  if (kc == KeyClass::kNone) return ke;
  // The separator: = : := => (a quoted key may close first), not == or a YAML "key:value".
  size_t i = ke;
  bool quoted_key = ks > 0 && is_quote(d[ks - 1]) && i < d.size() && d[i] == d[ks - 1];
  if (quoted_key) ++i;
  while (i < d.size() && (d[i] == ' ' || d[i] == '\t')) ++i;
  if (i >= d.size()) return ke;
  Value v;
  bool have_value = false;
  if (ks > 0 && d[ks - 1] == '<' && d[ke] == '>') {
    // XML: <password>value</password> (Maven settings.xml and friends).
    size_t e = ke + 1;
    while (e < d.size() && e - ke <= 512 && d[e] != '<' && !is_line_end(d[e])) ++e;
    if (e >= d.size() || d[e] != '<' || d.substr(e + 1, 1) != "/") return ke;
    v = {ke + 1, e, false};
    have_value = true;
  } else if (quoted_key && d.substr(i).starts_with("value=")) {
    // XML attributes: <add key="ApiKey" value="..."/> (.NET config files).
    i += 6;
    if (!read_value(d, i, v) || !v.quoted) return ke;
    have_value = true;
  } else if (d[i] == ':') {
    // In code, `name: "T"` is a type annotation; only a quoted key makes a dict entry.
    if (t.text == TextClass::kCode && !quoted_key && !(i + 1 < d.size() && d[i + 1] == '=')) {
      return ke;
    }
    ++i;
    if (i < d.size() && d[i] == '=')
      ++i;
    else if (i < d.size() && !(d[i] == ' ' || d[i] == '\t' || is_quote(d[i])))
      return ke;
  } else if (d[i] == '=') {
    ++i;
    if (i < d.size() && (d[i] == '=' || d[i] == '~')) return ke;  // == and =~ compare
    if (i < d.size() && d[i] == '>') ++i;
  } else {
    return ke;
  }
  if (!have_value && !read_value(d, i, v)) return ke;
  std::string_view value = d.substr(v.begin, v.end - v.begin);
  if (!secret_value(value, v.quoted, kc, t.text)) return ke;
  std::string kind = "secret-assignment";
  int rank = kRankAssignment;
  if (t.text == TextClass::kDotenv) {
    kind = "dotenv-secret";
    rank = kRankDotenv;
  } else if (secret_values::is_aws_secret_key_name(key)) {
    if (value.size() < 16) return ke;
    kind = "aws-credentials";
    rank = kRankAwsCredentials;
  } else if (kc == KeyClass::kPassword) {
    kind = "password-assignment";
  }
  std::string what = t.text == TextClass::kDotenv ? ".env file sets" : "sets";
  add_hit(w, hits, rank, kind, fmt::format("{} {} to a literal value", what, key), ks, v.begin,
          v.end, 0);
  return ke;
}

}  // namespace mlbox::builder::secret_rules
