// Running a function in a process of its own that outlives the caller (`mlbox run -d`):
// fork, a new session (no controlling terminal, so the caller's Ctrl-C does not reach it),
// stdin/stdout/stderr on /dev/null. The child never returns into the caller's code: it
// ends with _Exit(body's return value), or 1 when body throws.
#pragma once

#include <sys/types.h>

#include <functional>

namespace mlbox {

// Returns the child's pid. Throws Error(kInternal) when fork fails. Open SQLite connections
// (and other state that must not cross fork) are the caller's to close first.
pid_t start_detached_process(const std::function<int()>& body);

}  // namespace mlbox
