// KnowledgeSearch; see search.hpp.
#include "core/kb/search.hpp"

#include "core/http/client.hpp"
#include "core/kb/embeddings.hpp"
#include "core/kb/retriever.hpp"

namespace omni::kb {

KnowledgeSearch::KnowledgeSearch(db::Pool& pool, const config::Config& config, http::HttpClient* http,
                                 const std::string& user_agent) {
  if (config.embeddings.enabled) {
    if (http == nullptr) {
      own_http_ = http::MakeHttpClient(http::ClientSettings{config.llm.ca_file, user_agent});
      http = own_http_.get();
    }
    embedder_ = MakeEmbeddingsClient(config.embeddings, *http, pool);
  }
  retriever_ = std::make_unique<Retriever>(pool, config.kb, embedder_.get());
}

KnowledgeSearch::~KnowledgeSearch() = default;

}  // namespace omni::kb
