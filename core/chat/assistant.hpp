// The assistant: everything a chat turn needs, built from the config by this
// one factory, once, and handed to the adapters (omnid's chat routes,
// `omni chat`, `omni chat replay`, the chat benchmark). It owns the HTTP
// client, the model client (none when llm::IsOffline: the offline responder
// answers), the knowledge search (hybrid when the config has an
// `embeddings` section, as `omni kb search`; kb/search.hpp), the business
// cache and the chat engine.
// Thread-safe: the accessors may be called from any thread; what they
// return is thread-safe as documented in its own header.
#pragma once

#include <memory>
#include <string>

#include "core/config/config.hpp"

namespace omni {
class BlockingExecutor;
class Clock;
}  // namespace omni
namespace omni::db {
class Pool;
}
namespace omni::kb {
class Embedder;
class Retriever;
}

namespace omni::chat {

class BusinessCache;
class Engine;

class Assistant {
 public:
  // Builds every piece without touching the database or the network.
  // `pool`, `executor` (the engine's database steps run there) and `clock`
  // must outlive it; `user_agent` names omni in its HTTP requests. Throws
  // ConfigError for a CA file (llm.ca_file) it cannot load.
  Assistant(const config::Config& config, db::Pool& pool, BlockingExecutor& executor, const Clock& clock,
            const std::string& user_agent);
  // Stops the HTTP client's I/O first: its callbacks reach the engine.
  ~Assistant();
  Assistant(const Assistant&) = delete;
  Assistant& operator=(const Assistant&) = delete;

  Engine& engine();
  // The business profiles the engine reads; adapters load a turn's
  // business here and pass it in the TurnRequest.
  BusinessCache& businesses();
  kb::Retriever& retriever();
  // The embeddings client the retriever searches with, for ingest to embed
  // new chunks alike; null when none is configured.
  kb::Embedder* embedder();
  // True when no model is configured: the offline responder answers.
  bool offline() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omni::chat
