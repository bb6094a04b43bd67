// Assistant; see assistant.hpp.
#include "core/chat/assistant.hpp"

#include "core/billing/plans.hpp"
#include "core/chat/business_cache.hpp"
#include "core/chat/engine.hpp"
#include "core/http/client.hpp"
#include "core/kb/search.hpp"
#include "core/llm/llm.hpp"

namespace omni::chat {

struct Assistant::Impl {
  Impl(const config::Config& config, db::Pool& pool, BlockingExecutor& executor, const Clock& clock,
       const std::string& user_agent)
      : http(http::MakeHttpClient(http::ClientSettings{config.llm.ca_file, user_agent})),
        llm(llm::IsOffline(config.llm) ? nullptr : llm::MakeOpenAiClient(config.llm, *http)),
        search(pool, config, http.get(), user_agent),
        businesses(pool),
        engine(pool, businesses, search.retriever(), llm.get(), executor, clock,
               EngineSettings{config.llm, billing::ResolveBillingSettings(config)}) {}

  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<llm::LlmClient> llm;
  kb::KnowledgeSearch search;
  BusinessCache businesses;
  Engine engine;
};

Assistant::Assistant(const config::Config& config, db::Pool& pool, BlockingExecutor& executor, const Clock& clock,
                     const std::string& user_agent)
    : impl_(std::make_unique<Impl>(config, pool, executor, clock, user_agent)) {}

Assistant::~Assistant() { impl_->http.reset(); }

Engine& Assistant::engine() { return impl_->engine; }
BusinessCache& Assistant::businesses() { return impl_->businesses; }
kb::Retriever& Assistant::retriever() { return impl_->search.retriever(); }
kb::Embedder* Assistant::embedder() { return impl_->search.embedder(); }
bool Assistant::offline() const { return impl_->llm == nullptr; }

}  // namespace omni::chat
