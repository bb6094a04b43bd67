// Chat completions from an OpenAI-compatible model service (OpenRouter,
// OpenAI, Ollama, vLLM, llama.cpp's server): the LlmClient interface, its
// HTTP implementation, and a blocking helper for the CLI.
//
// The client streams events while the model writes, retries transient
// failures with backoff, and falls back along the ordered model list.
// Thread-safe: StartChat may be called from any thread; a request's
// callbacks never run concurrently with each other.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/http/client.hpp"

namespace omni::llm {

enum class Role { kSystem, kUser, kAssistant, kTool };
// Returns "system", "user", "assistant" or "tool".
const char* RoleName(Role role);

struct ToolCall {
  std::string id;              // chosen by the model, echoed in the tool's reply
  std::string name;
  std::string arguments_json;  // the arguments as the model wrote them (may be invalid JSON)
};

struct Message {
  Role role = Role::kUser;
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant messages that call tools
  std::string tool_call_id;          // tool messages: the call answered
};

struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters_schema_json;  // a JSON Schema object, as text
};

struct ChatRequest {
  std::vector<Message> messages;
  std::vector<ToolSpec> tools;
  std::vector<std::string> models;  // tried in order; empty: the settings' list
  std::optional<double> temperature;  // empty: the settings' value
  std::optional<int> max_tokens;      // empty: the settings' value
  bool stream = true;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::optional<double> cost_usd;  // `usage.cost`, when the endpoint reports it
};

struct StreamEvent {
  enum class Kind {
    kTextDelta,      // `text` holds the new text
    kToolCallDelta,  // `tool_index`, `tool_call` so far, `arguments_delta` new
    kUsage,          // `usage` holds the final token counts and cost
    kRestart,        // an attempt failed mid-stream and another begins: drop what was streamed
  };
  Kind kind = Kind::kTextDelta;
  std::string model;  // the model being tried
  std::string text;
  int tool_index = 0;
  ToolCall tool_call;
  std::string arguments_delta;
  Usage usage;
  std::string reason;  // kRestart: why the previous attempt failed
};

struct ChatResult {
  Message message;            // role assistant: final text and tool calls
  std::string finish_reason;  // "stop", "tool_calls", "length", ...
  std::string model;          // the model that answered, as the service named it
  Usage usage;
  std::int64_t latency_ms = 0;  // from StartChat to the last byte, retries included
  int attempts = 0;             // HTTP requests made
};

using EventCallback = std::function<void(const StreamEvent& event)>;
// Called exactly once: `error` null on success, else UpstreamError (the
// service refused; message names status, code and model), Unavailable (could
// not reach it, http::Timeout included) or http::Cancelled.
using ResultCallback = std::function<void(std::exception_ptr error, ChatResult result)>;

class LlmClient {
 public:
  virtual ~LlmClient() = default;

  // Starts a completion and returns at once. `on_event` (may be empty) and
  // `done` run on an I/O thread. `cancel` may be null.
  virtual void StartChat(ChatRequest request, EventCallback on_event, ResultCallback done,
                         std::shared_ptr<http::Cancellation> cancel = nullptr) = 0;
};

// True when no model can be called: no API key is configured and base_url
// is OpenRouter's or OpenAI's, which need one. Callers then answer with the
// offline responder. Without a key, any other base_url (a local Ollama,
// vLLM or llama.cpp server) is called without an Authorization header.
bool IsOffline(const config::LlmSettings& settings);

// The OpenAI-compatible client for `POST {base_url}/chat/completions`. It
// keeps references to `http`, which must outlive it, and a copy of settings.
// `jitter_seed` fixes the backoff jitter for tests (0: random).
std::unique_ptr<LlmClient> MakeOpenAiClient(const config::LlmSettings& settings, http::HttpClient& http,
                                            std::uint64_t jitter_seed = 0);

// Runs StartChat and waits; rethrows its error. Must not be called from the
// I/O thread that serves the client.
ChatResult Chat(LlmClient& client, ChatRequest request, EventCallback on_event = {},
                std::shared_ptr<http::Cancellation> cancel = nullptr);

}  // namespace omni::llm
