#include "builder/secret_rule_helpers.h"

#include <algorithm>

#include "util/encoding.h"

namespace mlbox::builder::secret_rules {

size_t line_start(std::string_view data, size_t pos, size_t max) {
  size_t s = pos;
  while (s > 0 && pos - s < max && data[s - 1] != '\n' && data[s - 1] != '\0') --s;
  return s;
}

size_t line_end(std::string_view data, size_t pos, size_t max) {
  size_t e = pos;
  while (e < data.size() && e - pos < max && !is_line_end(data[e])) ++e;
  return e;
}

uint64_t line_of(const Window& w, size_t pos) {
  return w.lines_before + 1 +
         static_cast<uint64_t>(std::count(w.data.begin(), w.data.begin() + pos, '\n'));
}

namespace {

// Printable text with every random-looking run of 16+ token characters masked.
std::string masked(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    auto in_run = [](char x) {
      return is_alnum(x) || x == '+' || x == '/' || x == '-' || x == '_';
    };
    if (in_run(c)) {
      size_t j = i;
      while (j < s.size() && in_run(s[j])) ++j;
      std::string_view run = s.substr(i, j - i);
      bool lower = false, upper = false, digit = false;
      for (char x : run) {
        lower |= x >= 'a' && x <= 'z';
        upper |= x >= 'A' && x <= 'Z';
        digit |= is_digit(x);
      }
      if ((run.size() >= 16 && digit && (lower || upper)) || (run.size() >= 32 && lower && upper)) {
        out += "****";
      } else {
        out += run;
      }
      i = j;
      continue;
    }
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '.' : c;
    ++i;
  }
  return out;
}

}  // namespace

std::string excerpt(std::string_view data, size_t begin, size_t end, size_t keep) {
  constexpr size_t kBefore = 60, kAfter = 40;
  size_t ls = line_start(data, begin, kBefore);
  size_t le = line_end(data, end, kAfter);
  while (ls < begin && (data[ls] == ' ' || data[ls] == '\t')) ++ls;
  keep = std::min(keep, end - begin);
  std::string out;
  if (ls > 0 && !is_line_end(data[ls - 1]) && begin - ls >= kBefore) out += "...";
  out += masked(data.substr(ls, begin - ls));
  for (char c : data.substr(begin, keep)) {  // a public prefix such as "ghp_": kept as is
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '.' : c;
  }
  out += "****";
  out += masked(data.substr(end, le - end));
  if (le < data.size() && !is_line_end(data[le])) out += "...";
  return out;
}

void add_hit(const Window& w, std::vector<Hit>& hits, int rank, std::string kind,
             std::string reason, size_t pos, size_t secret_begin, size_t secret_end, size_t keep) {
  if (hits.size() >= kMaxHitsPerFile) return;
  Hit h;
  h.rank = rank;
  h.kind = std::move(kind);
  h.reason = std::move(reason);
  h.line = line_of(w, pos);
  h.excerpt = excerpt(w.data, secret_begin, secret_end, keep);
  hits.push_back(std::move(h));
}

bool decode_base64(std::string_view in, std::string& out) {
  // Both alphabets (JWTs use base64url), padding optional, no whitespace: the scanner looks at
  // single tokens. The decoding itself is util/encoding's.
  std::string standard;
  standard.reserve(in.size());
  for (char c : in) {
    if (c == '=') break;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return false;
    standard += c;
  }
  // A lone trailing sextet carries no whole byte: drop it, as a lenient decoder would.
  if (standard.size() % 4 == 1) standard.pop_back();
  auto decoded = base64_decode(standard);
  if (!decoded) return false;
  out = std::move(*decoded);
  return true;
}

}  // namespace mlbox::builder::secret_rules
