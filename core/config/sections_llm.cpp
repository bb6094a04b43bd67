// The `llm` and `embeddings` sections of omni.yaml: the models and how they are reached.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kLlmKeys = {"base_url",
                                           "api_key",
                                           "models",
                                           "connect_timeout_ms",
                                           "first_byte_timeout_ms",
                                           "idle_timeout_ms",
                                           "max_retries",
                                           "retry_base_delay_ms",
                                           "max_tool_rounds",
                                           "history_messages",
                                           "temperature",
                                           "max_tokens",
                                           "app_name",
                                           "app_url",
                                           "ca_file",
                                           "escalate_on_failure"};
const std::vector<std::string> kEmbeddingsKeys = {"enabled",    "base_url",   "api_key",    "model",
                                                  "batch_size", "timeout_ms", "max_retries"};

void ParseLlm(const Parser& parser, const Entry& entry, Config& config) {
  LlmSettings& llm = config.llm;
  Section section(parser, entry, kLlmKeys);
  section.Url("base_url", &llm.base_url, false);
  section.String("api_key", &llm.api_key);
  if (const Entry* models = section.StringList("models", &llm.models, false, false)) {
    if (llm.models.empty()) {
      parser.FailValue(*models, "expected at least one model name",
                       "List models in the order to try them, e.g. [openai/gpt-4o-mini].");
    }
  }
  section.Millis("connect_timeout_ms", &llm.connect_timeout_ms);
  section.Millis("first_byte_timeout_ms", &llm.first_byte_timeout_ms);
  section.Millis("idle_timeout_ms", &llm.idle_timeout_ms);
  section.Integer("max_retries", &llm.max_retries, 0, 10);
  section.Millis("retry_base_delay_ms", &llm.retry_base_delay_ms, 0);
  section.Integer("max_tool_rounds", &llm.max_tool_rounds, 0, 50);
  section.Integer("history_messages", &llm.history_messages, 1, 1000);
  section.Number("temperature", &llm.temperature, 0, 2, false, "a number from 0 to 2");
  section.Integer("max_tokens", &llm.max_tokens, 1, 1000000);
  section.String("app_name", &llm.app_name);
  section.Url("app_url", &llm.app_url, true);
  section.String("ca_file", &llm.ca_file);
  section.Boolean("escalate_on_failure", &llm.escalate_on_failure);
}

void ParseEmbeddings(const Parser& parser, const Entry& entry, Config& config) {
  EmbeddingsSettings& embeddings = config.embeddings;
  Section section(parser, entry, kEmbeddingsKeys);
  embeddings.enabled = true;
  section.Boolean("enabled", &embeddings.enabled);
  section.Url("base_url", &embeddings.base_url, false);
  section.String("api_key", &embeddings.api_key);
  section.NonEmptyString("model", &embeddings.model);
  section.Integer("batch_size", &embeddings.batch_size, 1, 2048);
  section.Millis("timeout_ms", &embeddings.timeout_ms);
  section.Integer("max_retries", &embeddings.max_retries, 0, 10);
}

void ShowLlm(const Config& config, const Json&, Json& out) {
  const auto& llm = config.llm;
  out["llm"] = Json{{"base_url", llm.base_url},
                    {"api_key", Secret(llm.api_key)},
                    {"models", llm.models},
                    {"connect_timeout_ms", llm.connect_timeout_ms},
                    {"first_byte_timeout_ms", llm.first_byte_timeout_ms},
                    {"idle_timeout_ms", llm.idle_timeout_ms},
                    {"max_retries", llm.max_retries},
                    {"retry_base_delay_ms", llm.retry_base_delay_ms},
                    {"max_tool_rounds", llm.max_tool_rounds},
                    {"history_messages", llm.history_messages},
                    {"temperature", llm.temperature},
                    {"max_tokens", llm.max_tokens},
                    {"app_name", llm.app_name},
                    {"app_url", llm.app_url},
                    {"ca_file", llm.ca_file},
                    {"escalate_on_failure", llm.escalate_on_failure}};
}

void ShowEmbeddings(const Config& config, const Json&, Json& out) {
  const auto& embeddings = config.embeddings;
  out["embeddings"] = Json{{"enabled", embeddings.enabled},         {"base_url", embeddings.base_url},
                           {"api_key", Secret(embeddings.api_key)}, {"model", embeddings.model},
                           {"batch_size", embeddings.batch_size},   {"timeout_ms", embeddings.timeout_ms},
                           {"max_retries", embeddings.max_retries}};
}

}  // namespace

SectionSpec LlmSection() { return {"llm", {{"llm", &kLlmKeys}}, ParseLlm, ShowLlm}; }

SectionSpec EmbeddingsSection() {
  return {"embeddings", {{"embeddings", &kEmbeddingsKeys}}, ParseEmbeddings, ShowEmbeddings};
}

}  // namespace omni::config::detail
