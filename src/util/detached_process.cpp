#include "util/detached_process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/error.h"

namespace mlbox {

pid_t start_detached_process(const std::function<int()>& body) {
  // Buffered output would otherwise be written twice, once by each process.
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::kInternal, std::string("fork: ") + std::strerror(errno));
  if (pid > 0) return pid;
  ::setsid();
  int devnull = ::open("/dev/null", O_RDWR);
  ::dup2(devnull, 0);
  ::dup2(devnull, 1);
  ::dup2(devnull, 2);
  if (devnull > 2) ::close(devnull);
  int rc = 1;
  try {
    rc = body();
  } catch (...) {
    rc = 1;
  }
  std::_Exit(rc);
}

}  // namespace mlbox
