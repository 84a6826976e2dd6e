// How mlbox shows events on the terminal: log lines on stderr (filtered by -v/-q), progress
// bars only on a TTY and not under --json/--quiet/--no-progress, redrawn at most every 50 ms.
#pragma once

#include <memory>

#include "core/events.h"

namespace mlbox::cli {

class Context;

std::unique_ptr<Observer> make_terminal_observer(const Context& ctx);

}  // namespace mlbox::cli
