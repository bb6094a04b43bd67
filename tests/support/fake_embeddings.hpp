// A fake OpenAI-compatible POST /v1/embeddings server on 127.0.0.1, for the
// tests of hybrid search: deterministic "semantic" vectors (ConceptVector),
// scripted failures first (429, 5xx), and a record of every request, so that
// a test can check which texts were embedded and how they were batched.
// Thread-safe: script and inspect from any thread while it serves.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "tests/support/loopback_server.hpp"

namespace omni::test {

// Each word adds 1 to the dimension of its concept, so synonyms land
// together (car ~ parking, dye ~ colour); never a zero vector.
std::vector<float> ConceptVector(const std::string& text);

class FakeEmbeddings {
 public:
  FakeEmbeddings();

  // Settings for an embeddings client of this server: model
  // "fake/concepts-5", batches of 2, 3 retries.
  config::EmbeddingsSettings Settings() const;
  // Every text sent to be embedded, in order.
  std::vector<std::string> Inputs() const;

  // Statuses to answer, one per request, before succeeding again.
  void Fail(std::vector<int> statuses);
  // The number of inputs of each successful request, in order.
  std::vector<std::size_t> batch_sizes() const;
  std::vector<LoopbackRequest> requests() const { return server_.requests(); }

 private:
  LoopbackResponse Answer(const LoopbackRequest& request);

  mutable std::mutex mutex_;
  std::vector<int> failures_;
  std::vector<std::size_t> batch_sizes_;
  LoopbackServer server_;
};

}  // namespace omni::test
