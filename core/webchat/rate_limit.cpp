// RateLimiter; see rate_limit.hpp.
#include "core/webchat/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace omni::webchat {

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_keys)
    : limit_{limit.per_minute, std::max(1.0, limit.burst)}, max_keys_(std::max<std::size_t>(1, max_keys)) {}

int RateLimiter::Take(const std::string& key, TimePoint now) {
  if (limit_.per_minute <= 0) return 0;
  const double per_second = limit_.per_minute / 60.0;
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) Prune(now);
    it = buckets_.emplace(key, Bucket{limit_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed_s = std::max(0.0, std::chrono::duration<double>(now - bucket.updated).count());
  bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed_s * per_second);
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - bucket.tokens) / per_second)));
}

void RateLimiter::Prune(TimePoint now) {
  const double per_second = limit_.per_minute / 60.0;
  std::erase_if(buckets_, [&](const auto& entry) {
    const double elapsed_s = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + elapsed_s * per_second >= limit_.burst;
  });
  // Every bucket is busy: forget the oldest rather than grow without bound.
  while (buckets_.size() >= max_keys_) {
    auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                   [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
    buckets_.erase(oldest);
  }
}

}  // namespace omni::webchat
