// BusinessCache; see business_cache.hpp.
#include "core/chat/business_cache.hpp"

namespace omni::chat {

BusinessCache::BusinessCache(db::Pool& pool, int ttl_ms) : pool_(pool), ttl_(ttl_ms) {}

std::shared_ptr<const business::Business> BusinessCache::Find(const std::string& slug) const {
  std::lock_guard lock(mutex_);
  const auto it = cache_.find(slug);
  if (it == cache_.end() || SteadyClock::now() >= it->second.second) return nullptr;
  return it->second.first;
}

std::shared_ptr<const business::Business> BusinessCache::Get(const std::string& slug) {
  if (auto cached = Find(slug)) return cached;
  auto loaded = std::make_shared<const business::Business>(business::Get(pool_, slug));
  std::lock_guard lock(mutex_);
  cache_[slug] = {loaded, SteadyClock::now() + ttl_};
  return loaded;
}

}  // namespace omni::chat
