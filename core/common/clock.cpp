// The process-wide wall clock.
#include "core/common/clock.hpp"

namespace omni {

const Clock& DefaultClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace omni
