// Byte classes, bounded scanning, line numbers and redacted excerpts shared by the secret
// scanner's rule files (internal to src/build/secret_*).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "builder/secret_rules.h"

namespace mlbox::builder::secret_rules {

inline bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
inline bool is_word(char c) {
  return is_alnum(c) || c == '_';
}
inline bool is_token(char c) {
  return is_word(c) || c == '-';
}
inline bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool is_b64(char c) {
  return is_alnum(c) || c == '+' || c == '/' || c == '=';
}
inline bool is_b64url(char c) {
  return is_alnum(c) || c == '-' || c == '_';
}
inline bool is_upper_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || is_digit(c);
}
inline bool is_line_end(char c) {
  return c == '\n' || c == '\r' || c == '\0';
}

// Length of the run of `ok` characters at data[pos], at most `max`.
template <typename Pred>
size_t run_length(std::string_view data, size_t pos, size_t max, Pred ok) {
  size_t n = 0;
  while (pos + n < data.size() && n < max && ok(data[pos + n])) ++n;
  return n;
}

// The start of the line holding data[pos] (a NUL also ends a line), looking back at most
// `max` bytes.
size_t line_start(std::string_view data, size_t pos, size_t max);
// The end of the line holding data[pos] (exclusive), looking ahead at most `max` bytes.
size_t line_end(std::string_view data, size_t pos, size_t max);

// The 1-based line of data[pos].
uint64_t line_of(const Window& w, size_t pos);

// The line around [begin, end) with the secret replaced: `keep` characters of it stay (a
// public prefix such as "ghp_"), the rest becomes "****"; other random-looking runs on the
// line are masked too, and control bytes shown as '.'.
std::string excerpt(std::string_view data, size_t begin, size_t end, size_t keep);

// Records a hit at data[pos] with the excerpt of [secret_begin, secret_end).
void add_hit(const Window& w, std::vector<Hit>& hits, int rank, std::string kind,
             std::string reason, size_t pos, size_t secret_begin, size_t secret_end, size_t keep);

// Standard base64 or base64url (padding optional) into bytes; false when not base64.
bool decode_base64(std::string_view in, std::string& out);

// Rule families (one file each), called from the dispatcher in secret_rules.cpp.
bool pem_private_key(const Window& w, size_t pos, std::vector<Hit>& hits);    // "BEGIN"
void putty_private_key(const Window& w, size_t pos, std::vector<Hit>& hits);  // "PuTTY-"
void base64_pem(const Window& w, size_t pos, std::vector<Hit>& hits);         // "LS0tLS1CRUdJTi"
void kubernetes_secret(const FileTraits& t, const Window& w, size_t pos,
                       std::vector<Hit>& hits);  // "kind"
// `key: value` around a keyword at data[pos]; returns the end of the key it looked at, so
// that the other keywords in the same key are skipped.
size_t assignment(const FileTraits& t, const Window& w, size_t pos, std::vector<Hit>& hits);

// Ranks: the most specific kind wins when a file has several hits.
constexpr int kRankFileFormat = 10;  // credential files recognised by name and structure
constexpr int kRankDotenv = 15;
constexpr int kRankKubernetes = 20;
constexpr int kRankAwsCredentials = 25;
constexpr int kRankPrivateKey = 30;
constexpr int kRankToken = 40;
constexpr int kRankAssignment = 50;
constexpr int kRankUrl = 55;
constexpr int kRankGeneric = 60;

}  // namespace mlbox::builder::secret_rules
