// The OpenAI-compatible embeddings client with its PostgreSQL cache.
#include "core/kb/embeddings.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/detail/store.hpp"

namespace omni::kb {
namespace {

class EmbeddingsClient : public Embedder {
 public:
  EmbeddingsClient(const config::EmbeddingsSettings& settings, http::HttpClient& http, db::Pool& pool)
      : settings_(settings), http_(http), pool_(pool) {}

  const std::string& model() const override { return settings_.model; }

  std::vector<std::vector<float>> Embed(const std::vector<std::string>& texts) override {
    std::vector<std::vector<float>> vectors(texts.size());
    std::vector<std::string> hashes;
    hashes.reserve(texts.size());
    for (const auto& text : texts) hashes.push_back(detail::Sha256Hex({text}));
    LoadCached(hashes, vectors);

    std::vector<std::size_t> missing;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (vectors[i].empty()) missing.push_back(i);
    }
    const std::size_t batch = static_cast<std::size_t>(std::max(1, settings_.batch_size));
    for (std::size_t begin = 0; begin < missing.size(); begin += batch) {
      const std::size_t end = std::min(missing.size(), begin + batch);
      std::vector<std::string> inputs;
      for (std::size_t i = begin; i < end; ++i) inputs.push_back(texts[missing[i]]);
      auto fetched = Request(inputs);
      std::vector<std::pair<std::string, const std::vector<float>*>> fresh;
      for (std::size_t i = begin; i < end; ++i) {
        vectors[missing[i]] = std::move(fetched[i - begin]);
        fresh.emplace_back(hashes[missing[i]], &vectors[missing[i]]);
      }
      StoreCached(fresh);
    }
    return vectors;
  }

 private:
  void LoadCached(const std::vector<std::string>& hashes, std::vector<std::vector<float>>& vectors) {
    if (hashes.empty()) return;
    db::WithTransaction(pool_, [&](pqxx::work& tx) {
      const auto rows = tx.exec_params(
          "SELECT text_hash, vector FROM embedding_cache WHERE model = $1 AND text_hash = ANY($2::text[])",
          settings_.model, detail::ArrayLiteral(hashes));
      std::map<std::string, std::vector<float>> found;
      for (const auto& row : rows) {
        found[row[0].as<std::string>()] = detail::ParseVectorLiteral(row[1].c_str());
      }
      for (std::size_t i = 0; i < hashes.size(); ++i) {
        const auto hit = found.find(hashes[i]);
        if (hit != found.end()) vectors[i] = hit->second;
      }
    });
  }

  void StoreCached(const std::vector<std::pair<std::string, const std::vector<float>*>>& fresh) {
    db::WithTransaction(pool_, [&](pqxx::work& tx) {
      for (const auto& [hash, vector] : fresh) {
        tx.exec_params(
            "INSERT INTO embedding_cache (model, text_hash, dimensions, vector) VALUES ($1, $2, $3, $4::real[])"
            " ON CONFLICT (model, text_hash) DO NOTHING",
            settings_.model, hash, static_cast<int>(vector->size()), detail::VectorLiteral(*vector));
      }
    });
  }

  std::vector<std::vector<float>> Request(const std::vector<std::string>& inputs) {
    http::Request request;
    request.method = "POST";
    std::string base = settings_.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    request.url = base + "/embeddings";
    request.headers = {{"Content-Type", "application/json"}};
    if (!settings_.api_key.empty()) request.headers.push_back({"Authorization", "Bearer " + settings_.api_key});
    request.body = nlohmann::json{{"model", settings_.model}, {"input", inputs}}.dump();
    request.connect_timeout_ms = settings_.timeout_ms;
    request.first_byte_timeout_ms = settings_.timeout_ms;
    request.idle_timeout_ms = settings_.timeout_ms;

    const int attempts = std::max(0, settings_.max_retries) + 1;
    for (int attempt = 1;; ++attempt) {
      int delay_ms = 200 << std::min(attempt - 1, 6);  // 200 ms, doubling
      try {
        const http::Response response = http::Fetch(http_, request);
        if (response.status == 429 || response.status >= 500) {
          if (attempt >= attempts) {
            throw UpstreamError("embeddings endpoint answered HTTP " + std::to_string(response.status) +
                                    " after " + std::to_string(attempts) + " attempts",
                                "Check the embeddings service's status and rate limits.");
          }
          if (const auto retry_after = response.FindHeader("retry-after")) {
            try {
              delay_ms = std::clamp(std::stoi(*retry_after) * 1000, 0, 10000);
            } catch (const std::exception&) {
              // An HTTP date or junk: keep the backoff.
            }
          }
        } else if (response.status != 200) {
          throw UpstreamError("embeddings endpoint answered HTTP " + std::to_string(response.status),
                              "Check embeddings.base_url, api_key and model in omni.yaml.");
        } else {
          return Parse(response.body, inputs.size());
        }
      } catch (const Unavailable& e) {
        if (attempt >= attempts) throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
  }

  static std::vector<std::vector<float>> Parse(const std::string& body, std::size_t expected) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.contains("data") || !json["data"].is_array() ||
        json["data"].size() != expected) {
      throw UpstreamError("embeddings endpoint sent an unexpected body");
    }
    std::vector<std::vector<float>> vectors(expected);
    for (std::size_t i = 0; i < expected; ++i) {
      const auto& item = json["data"][i];
      const std::size_t index = item.contains("index") ? item["index"].get<std::size_t>() : i;
      if (index >= expected || !item.contains("embedding") || !item["embedding"].is_array() ||
          item["embedding"].empty()) {
        throw UpstreamError("embeddings endpoint sent an unexpected body");
      }
      vectors[index] = item["embedding"].get<std::vector<float>>();
      Normalize(vectors[index]);
    }
    return vectors;
  }

  config::EmbeddingsSettings settings_;
  http::HttpClient& http_;
  db::Pool& pool_;
};

}  // namespace

std::unique_ptr<Embedder> MakeEmbeddingsClient(const config::EmbeddingsSettings& settings,
                                               http::HttpClient& http, db::Pool& pool) {
  return std::make_unique<EmbeddingsClient>(settings, http, pool);
}

void Normalize(std::vector<float>& vector) {
  double sum = 0;
  for (const float value : vector) sum += static_cast<double>(value) * value;
  if (sum <= 0) return;
  const double scale = 1 / std::sqrt(sum);
  for (float& value : vector) value = static_cast<float>(value * scale);
}

}  // namespace omni::kb
