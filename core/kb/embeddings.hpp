// Embeddings for hybrid search: the Embedder interface, and its client for
// an OpenAI-compatible POST {base_url}/embeddings endpoint (OpenAI,
// OpenRouter), with batching, retries and a cache in PostgreSQL.
//
// The client looks each text up in embedding_cache by (model, SHA-256 of the
// text) first, so re-ingesting never re-embeds; only misses go out, in
// requests of at most `batch_size` inputs. A 429 or 5xx answer, or a network
// failure, is retried up to `max_retries` times with exponential backoff
// (honouring Retry-After up to 10 s). Vectors come back L2-normalised.
// Thread-safe: Embed may be called from several threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace omni::db {
class Pool;
}
namespace omni::http {
class HttpClient;
}

namespace omni::kb {

class Embedder {
 public:
  virtual ~Embedder() = default;
  // One unit-length vector per text, in order. Throws UpstreamError (the
  // service refused or answered nonsense) or Unavailable (unreachable,
  // timed out, still failing after the retries).
  virtual std::vector<std::vector<float>> Embed(const std::vector<std::string>& texts) = 0;
  // The model name that vectors are stored and cached under.
  virtual const std::string& model() const = 0;
};

// The HTTP client. `http` and `pool` must outlive it.
std::unique_ptr<Embedder> MakeEmbeddingsClient(const config::EmbeddingsSettings& settings,
                                               http::HttpClient& http, db::Pool& pool);

// Scales `vector` to unit length (a zero vector stays zero).
void Normalize(std::vector<float>& vector);

}  // namespace omni::kb
