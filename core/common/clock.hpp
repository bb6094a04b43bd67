// Time as omni reads it. Core code never calls system_clock::now() directly:
// it takes a Clock (or a `now` argument) so that tests can pin time.
// Thread-safe: implementations must be callable from any thread.
#pragma once

#include <chrono>

namespace omni {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  }
};

// Returns the process-wide wall clock.
const Clock& DefaultClock();

}  // namespace omni
