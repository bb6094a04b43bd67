// A Clock that reads a time the test sets, for tests of anything that asks
// omni::Clock for the time (booking windows, metering periods, prompts).
// Thread-safe for reads; Set while another thread reads is the test's race.
#pragma once

#include <atomic>

#include "core/common/clock.hpp"

namespace omni::test {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_.load(); }
  void Set(TimePoint now) { now_.store(now); }

 private:
  std::atomic<TimePoint> now_;
};

}  // namespace omni::test
