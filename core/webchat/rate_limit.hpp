// Token-bucket rate limiting for the public chat API, keyed by a string
// (a visitor id, a client IP address). Each key's bucket holds up to
// `burst` tokens and refills at `per_minute` tokens a minute; a request
// takes one. Buckets live in this process only: with several omnid
// instances each applies its own limit.
// Thread-safe: Take may be called from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "core/common/clock.hpp"

namespace omni::webchat {

struct RateLimit {
  double per_minute = 0;  // refill rate; <= 0 disables the limit
  double burst = 1;       // bucket size, at least 1
};

class RateLimiter {
 public:
  // Keeps at most `max_keys` buckets: when full, buckets that have refilled
  // completely (indistinguishable from new ones) are dropped first.
  explicit RateLimiter(RateLimit limit, std::size_t max_keys = 100000);

  // Takes one token from `key`'s bucket at `now`. Returns 0 when allowed,
  // otherwise the whole seconds (at least 1) until a token is available,
  // for Retry-After; nothing is taken then.
  int Take(const std::string& key, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated;
  };
  void Prune(TimePoint now);

  const RateLimit limit_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace omni::webchat
