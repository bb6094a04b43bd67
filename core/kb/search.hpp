// Knowledge search as the config sets it up, built in this one place for
// every caller (`omni kb search`, `omni kb ingest`, `omni chat` and omnid's
// chat): the Retriever, hybrid through the embeddings client
// (kb/embeddings.hpp) when the config has an `embeddings` section, and BM25
// only otherwise; ingest embeds chunks with the same client.
// Thread-safe: retriever() and embedder() may be used concurrently, as
// Retriever and Embedder allow.
#pragma once

#include <memory>
#include <string>

#include "core/config/config.hpp"

namespace omni::db {
class Pool;
}
namespace omni::http {
class HttpClient;
}

namespace omni::kb {

class Embedder;
class Retriever;

class KnowledgeSearch {
 public:
  // Makes the embeddings client only when `config.embeddings.enabled`. Its
  // requests go through `http`, or, when that is null, through an HTTP
  // client of its own (llm.ca_file, `user_agent`), made only then. `pool`
  // and `http` must outlive this. Throws ConfigError for a CA file it
  // cannot load.
  KnowledgeSearch(db::Pool& pool, const config::Config& config, http::HttpClient* http, const std::string& user_agent);
  ~KnowledgeSearch();
  KnowledgeSearch(const KnowledgeSearch&) = delete;
  KnowledgeSearch& operator=(const KnowledgeSearch&) = delete;

  Retriever& retriever() { return *retriever_; }
  // The embeddings client, or null when none is configured.
  Embedder* embedder() { return embedder_.get(); }

 private:
  std::unique_ptr<http::HttpClient> own_http_;
  std::unique_ptr<Embedder> embedder_;
  std::unique_ptr<Retriever> retriever_;
};

}  // namespace omni::kb
