#include "trainer/native_main.h"

#include "util/error.h"

namespace mlbox::trainer {

int run_native_command(int, char**) {
  throw Error(ErrorKind::kUsage, "native mode is being built");
}

}  // namespace mlbox::trainer
