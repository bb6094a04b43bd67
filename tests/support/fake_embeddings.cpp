// FakeEmbeddings; see fake_embeddings.hpp.
#include "tests/support/fake_embeddings.hpp"

#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

namespace omni::test {

using nlohmann::json;

std::vector<float> ConceptVector(const std::string& text) {
  static const std::map<std::string, int> concepts = {
      {"parking", 0}, {"car", 0}, {"park", 0},   {"colour", 1}, {"dye", 1},
      {"balayage", 1}, {"price", 2}, {"cost", 2}, {"hours", 3},  {"open", 3}};
  std::vector<float> vector(5, 0.0f);
  vector[4] = 0.1f;
  std::string word;
  for (const char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      const auto found = concepts.find(word);
      if (found != concepts.end()) vector[static_cast<std::size_t>(found->second)] += 1;
      word.clear();
    }
  }
  return vector;
}

FakeEmbeddings::FakeEmbeddings() : server_([this](const LoopbackRequest& request) { return Answer(request); }) {}

LoopbackResponse FakeEmbeddings::Answer(const LoopbackRequest& request) {
  std::lock_guard lock(mutex_);
  LoopbackResponse response;
  response.headers = {{"Content-Type", "application/json"}};
  if (request.target != "/v1/embeddings" || request.method != "POST" || request.headers.count("authorization") == 0) {
    response.status = 400;
    return response;
  }
  if (!failures_.empty()) {
    response.status = failures_.front();
    failures_.erase(failures_.begin());
    response.headers.push_back({"Retry-After", "0"});
    response.body = R"({"error": {"message": "slow down"}})";
    return response;
  }
  const json body = json::parse(request.body);
  json data = json::array();
  std::size_t index = 0;
  for (const auto& input : body["input"]) {
    data.push_back({{"object", "embedding"}, {"index", index++}, {"embedding", ConceptVector(input)}});
  }
  batch_sizes_.push_back(index);
  response.body = json{{"object", "list"}, {"data", data}, {"model", body["model"]}}.dump();
  return response;
}

config::EmbeddingsSettings FakeEmbeddings::Settings() const {
  config::EmbeddingsSettings settings;
  settings.enabled = true;
  settings.base_url = server_.Url("/v1");
  settings.api_key = "test-key";
  settings.model = "fake/concepts-5";
  settings.batch_size = 2;
  settings.timeout_ms = 2000;
  settings.max_retries = 3;
  return settings;
}

std::vector<std::string> FakeEmbeddings::Inputs() const {
  std::vector<std::string> inputs;
  for (const auto& request : server_.requests()) {
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("input")) continue;
    for (const auto& input : body["input"]) {
      if (input.is_string()) inputs.push_back(input.get<std::string>());
    }
  }
  return inputs;
}

void FakeEmbeddings::Fail(std::vector<int> statuses) {
  std::lock_guard lock(mutex_);
  failures_ = std::move(statuses);
}

std::vector<std::size_t> FakeEmbeddings::batch_sizes() const {
  std::lock_guard lock(mutex_);
  return batch_sizes_;
}

}  // namespace omni::test
