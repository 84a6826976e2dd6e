// Serialises events from worker threads onto an Observer that is not thread-safe.
#pragma once

#include <mutex>

#include "core/events.h"

namespace mlbox {

class LockedObserver : public Observer {
 public:
  explicit LockedObserver(Observer& inner) : inner_(inner) {}
  void on_event(const Event& event) override {
    std::lock_guard lock(mutex_);
    inner_.on_event(event);
  }

 private:
  Observer& inner_;
  std::mutex mutex_;
};

}  // namespace mlbox
