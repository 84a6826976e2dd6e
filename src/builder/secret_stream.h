// Runs the secret scanner's rules over a stream of bytes of any length in bounded memory:
// a sliding buffer keeps enough of the previous chunk that a secret across a chunk border is
// seen whole, and nothing stops the scan early (not a NUL byte, not a size).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/secret_rules.h"

namespace mlbox::builder::secret_rules {

// Fills up to `n` bytes of `buf`; 0 at the end. Throws on a read error.
using ReadFn = std::function<size_t(char* buf, size_t n)>;

// Bytes read per step (the buffer also keeps kLookbehind + kLookahead bytes around it).
constexpr size_t kChunk = 1 << 20;

// Every hit in the stream `name` (a file or archive member name, for the name-based rules),
// whose first bytes `head` were already read; the most specific first.
std::vector<Hit> scan_stream(std::string_view name, std::string_view head, const ReadFn& read);

}  // namespace mlbox::builder::secret_rules
