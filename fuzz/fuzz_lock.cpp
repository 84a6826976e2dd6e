// mlbox.lock: pins, hashes, the header.
#include "freeze/lock.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto lock =
        mlbox::freeze::parse_lock(std::string(mlbox::fuzz::as_text(data, size)), "mlbox.lock");
    (void)mlbox::freeze::parse_lock(lock.render(), "rendered");  // what it writes, it reads
  } catch (const mlbox::Error&) {
  }
  return 0;
}
