#include "builder/secret_stream.h"

#include <algorithm>
#include <cstring>

#include "builder/secret_file_rules.h"

namespace mlbox::builder::secret_rules {

namespace {

// Newlines in [p, p + n), eight bytes at a time (the exact zero-byte test, no borrows).
uint64_t count_newlines(const char* p, size_t n) {
  constexpr uint64_t kOnes7f = 0x7f7f7f7f7f7f7f7fULL, kNl = 0x0a0a0a0a0a0a0a0aULL;
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, p + i, 8);
    uint64_t t = x ^ kNl;
    uint64_t y = ~(((t & kOnes7f) + kOnes7f) | t | kOnes7f);  // 0x80 in each newline byte
    count += ((y >> 7) * 0x0101010101010101ULL) >> 56;        // their sum, at most 8
  }
  for (; i < n; ++i) count += p[i] == '\n';
  return count;
}

}  // namespace

std::vector<Hit> scan_stream(std::string_view name, std::string_view head, const ReadFn& read) {
  std::vector<Hit> hits;
  if (auto k = keystore_by_name(name)) return {*k};
  constexpr size_t kPad = 8;
  const size_t cap = kLookbehind + kLookahead + kChunk;
  std::vector<char> buf(cap + kPad, '\0');
  size_t len = std::min(head.size(), cap);
  std::memcpy(buf.data(), head.data(), len);
  bool eof = false;
  auto fill = [&] {
    while (!eof && len < cap) {
      size_t n = read(buf.data() + len, cap - len);
      if (n == 0) eof = true;
      len += n;
    }
    std::memset(buf.data() + len, 0, kPad);
  };
  if (head.size() > cap) {
    // Only for callers handing over more than one buffer at once: scan the head as a stream.
    size_t pos = cap;
    ReadFn rest = [&](char* out, size_t n) {
      if (pos < head.size()) {
        size_t k = std::min(n, head.size() - pos);
        std::memcpy(out, head.data() + pos, k);
        pos += k;
        return k;
      }
      return read(out, n);
    };
    return scan_stream(name, std::string_view(head.data(), cap), rest);
  }
  fill();
  FileTraits traits = file_traits(name, std::string_view(buf.data(), len));
  if (eof && len <= kCredentialFileMax) {
    if (auto h = credential_file(traits, std::string_view(buf.data(), len))) hits.push_back(*h);
  }
  size_t from = 0;
  uint64_t lines_before = 0;
  while (true) {
    size_t to = eof ? len : (len > kLookahead ? len - kLookahead : 0);
    Window w{std::string_view(buf.data(), len), from, std::max(from, to), lines_before};
    scan_window(traits, w, hits);
    if (eof || hits.size() >= kMaxHitsPerFile) break;
    size_t keep_from = to > kLookbehind ? to - kLookbehind : 0;
    lines_before += count_newlines(buf.data(), keep_from);
    std::memmove(buf.data(), buf.data() + keep_from, len - keep_from);
    len -= keep_from;
    from = to - keep_from;
    fill();
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const Hit& a, const Hit& b) { return a.rank < b.rank; });
  return hits;
}

}  // namespace mlbox::builder::secret_rules
