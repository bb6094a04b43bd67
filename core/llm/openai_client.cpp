// The OpenAI-compatible LlmClient over http::HttpClient.
//
// One Call object carries a request through its attempts: each attempt is an
// HTTP request to one model; a retryable failure (408, 429, 5xx, network,
// timeout, a stream cut or failing mid-way) is retried on the same model
// after a backoff (Retry-After when given, in seconds or as an HTTP-date,
// else exponential with jitter) up
// to max_retries; then, or at once on 402, 404 or a malformed answer, the next
// model is tried. 400, 401 and 403 stop everything: another model would get
// the same refusal. Callbacks of one attempt run on one strand and attempts
// follow each other, so a Call needs no lock.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>

#include <date/date.h>

#include "core/http/sse.hpp"
#include "core/llm/llm.hpp"

namespace omni::llm {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A Retry-After beyond this is not waited out: the next model is tried.
constexpr int kMaxRetryAfterMs = 60000;
constexpr int kMaxBackoffMs = 30000;
constexpr std::size_t kSnippetChars = 200;

std::string Snippet(std::string_view text) {
  std::string out(text.substr(0, kSnippetChars));
  for (auto& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > kSnippetChars) out += "...";
  return out;
}

enum class Next { kRetry, kNextModel, kStop };

struct Failure {
  std::string description;  // "HTTP 429 (rate_limited): slow down"
  Next next = Next::kRetry;
  bool network = false;       // the service was not reached or went silent
  int retry_after_ms = -1;    // from Retry-After, when given
};

Next ClassifyStatus(int status) {
  if (status == 408 || status == 429 || status >= 500) return Next::kRetry;
  if (status == 402 || status == 404) return Next::kNextModel;
  return Next::kStop;
}

std::string CodeText(const json& code) {
  if (code.is_string()) return code.get<std::string>();
  if (code.is_number_integer()) return std::to_string(code.get<std::int64_t>());
  return {};
}

// Describes an OpenAI/OpenRouter error object {"code","message","metadata"}.
Failure FromErrorObject(const json& error, int http_status, bool in_stream) {
  Failure f;
  std::string code;
  std::string message;
  if (error.is_object()) {
    if (error.contains("code")) code = CodeText(error["code"]);
    if (error.contains("message") && error["message"].is_string()) message = error["message"].get<std::string>();
    if (error.contains("metadata") && error["metadata"].is_object()) {
      const auto& meta = error["metadata"];
      if (meta.contains("provider_name") && meta["provider_name"].is_string()) {
        message += " (provider " + meta["provider_name"].get<std::string>() + ")";
      }
    }
  } else if (error.is_string()) {
    message = error.get<std::string>();
  }
  int status = http_status;
  if (error.is_object() && error.contains("code") && error["code"].is_number_integer()) {
    status = error["code"].get<int>();
  }
  f.description = in_stream ? "error mid-stream" : "HTTP " + std::to_string(http_status);
  if (!code.empty() && code != std::to_string(http_status)) f.description += " (" + code + ")";
  f.description += ": " + (message.empty() ? std::string("no message") : Snippet(message));
  // A stream that already began is a transient failure unless the code says otherwise.
  f.next = (in_stream && status == 200) ? Next::kRetry : ClassifyStatus(status);
  return f;
}

// An HTTP-date in its preferred form (RFC 9110 IMF-fixdate), such as
// "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<date::sys_seconds> ParseHttpDate(const std::string& text) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char weekday[4] = {};
  char month[4] = {};
  unsigned day = 0, hour = 0, minute = 0, second = 0;
  int year = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%3s, %u %3s %d %u:%u:%u GMT%n", weekday, &day, month, &year, &hour, &minute, &second,
                  &used) != 7 ||
      static_cast<std::size_t>(used) != text.size()) {
    return std::nullopt;
  }
  const auto month_index = kMonths.find(month);
  if (std::string_view(month).size() != 3 || month_index == std::string_view::npos || month_index % 3 != 0) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month_index / 3 + 1)},
                                 date::day{day}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return date::sys_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} + std::chrono::seconds{second};
}

// Retry-After is delay-seconds or an HTTP-date. A date is measured against
// the response's own Date header, so that neither clock skew nor a read of
// our clock is involved; without Date it is ignored and backoff applies.
int ParseRetryAfterMs(const std::optional<std::string>& header, const std::optional<std::string>& response_date) {
  if (!header) return -1;
  const std::string& value = *header;
  if (!value.empty() && value.find_first_not_of("0123456789. ") == std::string::npos) {
    try {
      const double seconds = std::stod(value);
      return seconds < 0 ? -1 : static_cast<int>(std::min(seconds * 1000.0, 1e9));
    } catch (const std::exception&) {
      return -1;
    }
  }
  const auto until = ParseHttpDate(value);
  const auto sent = response_date ? ParseHttpDate(*response_date) : std::nullopt;
  if (!until || !sent) return -1;
  const auto delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*until - *sent).count();
  return static_cast<int>(std::clamp<long long>(delay_ms, 0, 1000000000));
}

json BuildBody(const ChatRequest& request, const config::LlmSettings& settings, const std::string& model) {
  json messages = json::array();
  for (const auto& m : request.messages) {
    json msg = {{"role", RoleName(m.role)}};
    if (m.role == Role::kAssistant && !m.tool_calls.empty()) {
      msg["content"] = m.content.empty() ? json(nullptr) : json(m.content);
      json calls = json::array();
      for (const auto& c : m.tool_calls) {
        calls.push_back({{"id", c.id},
                         {"type", "function"},
                         {"function", {{"name", c.name}, {"arguments", c.arguments_json}}}});
      }
      msg["tool_calls"] = std::move(calls);
    } else {
      msg["content"] = m.content;
    }
    if (m.role == Role::kTool) msg["tool_call_id"] = m.tool_call_id;
    messages.push_back(std::move(msg));
  }
  json body = {{"model", model},
               {"messages", std::move(messages)},
               {"temperature", request.temperature.value_or(settings.temperature)},
               {"max_tokens", request.max_tokens.value_or(settings.max_tokens)},
               {"stream", request.stream}};
  if (request.stream) body["stream_options"] = {{"include_usage", true}};
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const auto& t : request.tools) {
      json parameters = json::parse(t.parameters_schema_json, nullptr, false);
      if (parameters.is_discarded() || !parameters.is_object()) {
        throw InvalidInput("tool \"" + t.name + "\" has a parameters schema that is not a JSON object");
      }
      tools.push_back({{"type", "function"},
                       {"function", {{"name", t.name}, {"description", t.description}, {"parameters", parameters}}}});
    }
    body["tools"] = std::move(tools);
  }
  return body;
}

Usage ParseUsage(const json& usage) {
  Usage u;
  if (!usage.is_object()) return u;
  if (usage.contains("prompt_tokens") && usage["prompt_tokens"].is_number()) {
    u.prompt_tokens = usage["prompt_tokens"].get<std::int64_t>();
  }
  if (usage.contains("completion_tokens") && usage["completion_tokens"].is_number()) {
    u.completion_tokens = usage["completion_tokens"].get<std::int64_t>();
  }
  if (usage.contains("cost") && usage["cost"].is_number()) u.cost_usd = usage["cost"].get<double>();
  return u;
}

std::string StringField(const json& object, const char* key) {
  if (object.is_object() && object.contains(key) && object[key].is_string()) return object[key].get<std::string>();
  return {};
}

// A call's arguments as JSON text. The API sends a string; some local
// servers send the object itself.
std::string ArgumentsText(const json& function) {
  if (!function.is_object() || !function.contains("arguments")) return {};
  const json& arguments = function["arguments"];
  return arguments.is_string() ? arguments.get<std::string>() : arguments.is_object() ? arguments.dump() : "";
}

struct Shared {
  config::LlmSettings settings;
  http::HttpClient& http;
  std::mutex rng_mutex;
  std::mt19937_64 rng;

  int BackoffMs(int retry) {
    const double ceiling = std::min<double>(kMaxBackoffMs, settings.retry_base_delay_ms * std::pow(2.0, retry));
    std::lock_guard lock(rng_mutex);
    // Equal jitter: half fixed, half random, so clients that failed together spread out.
    std::uniform_real_distribution<double> half(0.0, ceiling / 2);
    return static_cast<int>(ceiling / 2 + half(rng));
  }
};

class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<Shared> shared, ChatRequest request, EventCallback on_event, ResultCallback done,
       std::shared_ptr<http::Cancellation> cancel)
      : shared_(std::move(shared)),
        request_(std::move(request)),
        on_event_(std::move(on_event)),
        done_(std::move(done)),
        cancel_(std::move(cancel)),
        started_(Clock::now()) {
    models_ = request_.models.empty() ? shared_->settings.models : request_.models;
  }

  void Begin() {
    if (models_.empty()) {
      Deliver(std::make_exception_ptr(ConfigError("no LLM model configured", "Add a model to llm.models.")));
      return;
    }
    try {
      for (const auto& model : models_) bodies_.push_back(BuildBody(request_, shared_->settings, model).dump());
    } catch (...) {
      Deliver(std::current_exception());
      return;
    }
    StartAttempt();
  }

 private:
  const std::string& model() const { return models_[model_index_]; }

  // Hands an error raised before any request to `done` on an I/O thread.
  void Deliver(std::exception_ptr error) {
    auto self = shared_from_this();
    shared_->http.Schedule(std::chrono::milliseconds(0), [self, error](bool) { self->Finish(error); });
  }

  void StartAttempt() {
    if (cancel_ && cancel_->IsCancelled()) return FinishCancelled();
    ++attempts_;
    status_ = 0;
    streaming_ = false;
    body_.clear();
    parser_ = http::SseParser();
    text_.clear();
    tools_.clear();
    finish_reason_.clear();
    answered_by_.clear();
    usage_ = Usage{};
    saw_done_ = false;
    stream_failure_.reset();
    attempt_cancel_ = std::make_shared<http::Cancellation>();
    if (cancel_) {
      std::weak_ptr<http::Cancellation> weak = attempt_cancel_;
      link_handle_ = cancel_->OnCancel([weak] {
        if (auto c = weak.lock()) c->Cancel();
      });
    }

    const auto& settings = shared_->settings;
    http::Request req;
    req.method = "POST";
    std::string base = settings.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    req.url = base + "/chat/completions";
    req.headers = {{"Content-Type", "application/json"},
                   {"Accept", request_.stream ? "text/event-stream" : "application/json"}};
    if (!settings.api_key.empty()) req.headers.push_back({"Authorization", "Bearer " + settings.api_key});
    if (!settings.app_url.empty()) req.headers.push_back({"HTTP-Referer", settings.app_url});
    if (!settings.app_name.empty()) req.headers.push_back({"X-Title", settings.app_name});
    req.body = bodies_[model_index_];
    req.connect_timeout_ms = settings.connect_timeout_ms;
    req.first_byte_timeout_ms = settings.first_byte_timeout_ms;
    req.idle_timeout_ms = settings.idle_timeout_ms;

    auto self = shared_from_this();
    http::ResponseHandlers handlers;
    handlers.on_head = [self](const http::Response& head) { self->OnHead(head); };
    handlers.on_body = [self](std::string_view chunk) { self->OnBody(chunk); };
    shared_->http.Send(
        std::move(req), std::move(handlers),
        [self](std::exception_ptr error, http::Response) { self->OnDone(error); },
        attempt_cancel_);
  }

  void OnHead(const http::Response& head) {
    status_ = head.status;
    const std::string type = head.FindHeader("Content-Type").value_or("");
    streaming_ = status_ == 200 && type.find("text/event-stream") != std::string::npos;
    retry_after_ms_ = ParseRetryAfterMs(head.FindHeader("Retry-After"), head.FindHeader("Date"));
  }

  void OnBody(std::string_view chunk) {
    if (stream_failure_ || consumer_error_) return;
    if (!streaming_) {
      body_.append(chunk);
      return;
    }
    std::vector<http::SseEvent> events;
    try {
      events = parser_.Feed(chunk);
    } catch (const std::exception& e) {
      return StopAttempt(Failure{e.what(), Next::kNextModel});
    }
    for (const auto& event : events) {
      // Nothing more reaches the consumer once it has cancelled.
      if (cancel_ && cancel_->IsCancelled()) return;
      HandleStreamEvent(event.data);
      if (stream_failure_ || consumer_error_) return;
    }
  }

  void StopAttempt(Failure failure) {
    stream_failure_ = std::move(failure);
    attempt_cancel_->Cancel();
  }

  void HandleStreamEvent(const std::string& data) {
    if (data == "[DONE]") {
      saw_done_ = true;
      return;
    }
    json chunk = json::parse(data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) {
      return StopAttempt(Failure{"malformed JSON in the stream: " + Snippet(data), Next::kNextModel});
    }
    if (chunk.contains("error")) return StopAttempt(FromErrorObject(chunk["error"], 200, true));
    if (const auto m = StringField(chunk, "model"); !m.empty()) answered_by_ = m;
    if (chunk.contains("usage") && chunk["usage"].is_object()) usage_ = ParseUsage(chunk["usage"]);
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return;
    const json& choice = chunk["choices"][0];
    if (!choice.is_object()) return;
    if (choice.contains("delta") && choice["delta"].is_object()) {
      const json& delta = choice["delta"];
      if (const auto text = StringField(delta, "content"); !text.empty()) {
        text_ += text;
        StreamEvent e;
        e.kind = StreamEvent::Kind::kTextDelta;
        e.text = text;
        Emit(e);
      }
      if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
        int position = 0;
        for (const auto& call : delta["tool_calls"]) AccumulateToolCall(call, position++);
      }
    }
    if (const auto reason = StringField(choice, "finish_reason"); !reason.empty()) {
      finish_reason_ = reason;
      if (reason == "error") return StopAttempt(Failure{"the model stopped with finish_reason \"error\""});
    }
  }

  // Deltas for one call share its index: the first names it, the rest extend
  // its arguments. Several indexes in flight are parallel tool calls.
  void AccumulateToolCall(const json& delta, int position) {
    if (!delta.is_object()) return;
    const int index = delta.contains("index") && delta["index"].is_number_integer() ? delta["index"].get<int>()
                                                                                    : position;
    ToolCall& call = tools_[index];
    if (const auto id = StringField(delta, "id"); !id.empty()) call.id = id;
    std::string arguments;
    if (delta.contains("function") && delta["function"].is_object()) {
      const json& fn = delta["function"];
      if (const auto name = StringField(fn, "name"); !name.empty() && call.name.empty()) call.name = name;
      arguments = ArgumentsText(fn);
    }
    call.arguments_json += arguments;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kToolCallDelta;
    e.tool_index = index;
    e.tool_call = call;
    e.arguments_delta = arguments;
    Emit(e);
  }

  void Emit(StreamEvent& event) {
    emitted_ = true;
    if (!on_event_ || consumer_error_) return;
    event.model = model();
    try {
      on_event_(event);
    } catch (...) {
      // The consumer is gone (a closed client connection, say): stop paying for tokens.
      consumer_error_ = std::current_exception();
      attempt_cancel_->Cancel();
    }
  }

  void OnDone(std::exception_ptr error) {
    if (cancel_) cancel_->Unregister(link_handle_);
    if (consumer_error_) return Finish(consumer_error_);
    if (cancel_ && cancel_->IsCancelled()) return FinishCancelled();
    if (stream_failure_) return Failed(*stream_failure_);
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const Unavailable& e) {
        return Failed(Failure{e.what(), Next::kRetry, true});
      } catch (const std::exception& e) {
        return Failed(Failure{e.what(), Next::kNextModel});
      }
    }
    if (status_ != 200) {
      json body = json::parse(body_, nullptr, false);
      Failure f;
      if (!body.is_discarded() && body.is_object() && body.contains("error")) {
        f = FromErrorObject(body["error"], status_, false);
      } else {
        f.description = "HTTP " + std::to_string(status_) + ": " + (body_.empty() ? "empty body" : Snippet(body_));
        f.next = ClassifyStatus(status_);
      }
      f.retry_after_ms = retry_after_ms_;
      return Failed(f);
    }
    if (streaming_) {
      // Lenient about a last event missing its blank line: the answer is complete.
      if (finish_reason_.empty() && !saw_done_) {
        return Failed(Failure{"the stream ended before the answer was complete", Next::kRetry, true});
      }
      return Succeed();
    }
    ParseWholeBody();
  }

  void ParseWholeBody() {
    json body = json::parse(body_, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Failed(Failure{"malformed JSON in the response: " + Snippet(body_), Next::kNextModel});
    }
    if (body.contains("error")) return Failed(FromErrorObject(body["error"], 200, false));
    if (!body.contains("choices") || !body["choices"].is_array() || body["choices"].empty() ||
        !body["choices"][0].is_object()) {
      return Failed(Failure{"the response has no choices: " + Snippet(body_), Next::kNextModel});
    }
    const json& choice = body["choices"][0];
    answered_by_ = StringField(body, "model");
    finish_reason_ = StringField(choice, "finish_reason");
    if (body.contains("usage")) usage_ = ParseUsage(body["usage"]);
    if (choice.contains("message") && choice["message"].is_object()) {
      const json& message = choice["message"];
      text_ = StringField(message, "content");
      if (message.contains("tool_calls") && message["tool_calls"].is_array()) {
        int position = 0;
        for (const auto& call : message["tool_calls"]) {
          ToolCall& t = tools_[position++];
          t.id = StringField(call, "id");
          if (call.contains("function")) {
            t.name = StringField(call["function"], "name");
            t.arguments_json = ArgumentsText(call["function"]);
          }
        }
      }
    }
    if (finish_reason_ == "error") return Failed(Failure{"the model stopped with finish_reason \"error\""});
    if (request_.stream && !text_.empty()) {
      // Asked to stream, the server sent one JSON body: consumers still see the text as a delta.
      StreamEvent e;
      e.kind = StreamEvent::Kind::kTextDelta;
      e.text = text_;
      Emit(e);
    }
    Succeed();
  }

  void Succeed() {
    ChatResult result;
    result.message.role = Role::kAssistant;
    result.message.content = std::move(text_);
    for (auto& [index, call] : tools_) {
      // Some local servers send no ids; the tool replies must still name their call.
      if (call.id.empty()) call.id = "call_" + std::to_string(index);
      result.message.tool_calls.push_back(std::move(call));
    }
    result.finish_reason = finish_reason_;
    result.model = answered_by_.empty() ? model() : answered_by_;
    result.usage = usage_;
    result.attempts = attempts_;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kUsage;
    e.usage = usage_;
    Emit(e);
    if (consumer_error_) return Finish(consumer_error_);
    result.latency_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
    Finish(nullptr, std::move(result));
  }

  void Failed(Failure failure) {
    failures_.push_back("\"" + model() + "\": " + failure.description);
    all_network_ = all_network_ && failure.network;
    if (failure.next == Next::kStop) {
      return Finish(std::make_exception_ptr(UpstreamError(
          "llm request to model \"" + model() + "\" failed: " + failure.description,
          "Check llm.api_key, llm.base_url and the model name in llm.models.")));
    }
    const auto& settings = shared_->settings;
    int delay_ms = -1;
    if (failure.next == Next::kRetry && retries_ < settings.max_retries && failure.retry_after_ms <= kMaxRetryAfterMs) {
      delay_ms = failure.retry_after_ms >= 0 ? failure.retry_after_ms : shared_->BackoffMs(retries_);
      ++retries_;
    } else if (model_index_ + 1 < models_.size()) {
      ++model_index_;
      retries_ = 0;
      delay_ms = 0;
    }
    if (delay_ms < 0) return FinishAllFailed();
    Restart(failure.description);
    auto self = shared_from_this();
    shared_->http.Schedule(
        std::chrono::milliseconds(delay_ms),
        [self](bool cancelled) { cancelled ? self->FinishCancelled() : self->StartAttempt(); }, cancel_);
  }

  void Restart(const std::string& reason) {
    if (!emitted_) return;
    emitted_ = false;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kRestart;
    e.reason = reason;
    Emit(e);
    emitted_ = false;
  }

  void FinishAllFailed() {
    std::string message;
    if (failures_.size() == 1) {
      message = "llm request to model " + failures_.front().substr(0, failures_.front().find(": ")) +
                " failed: " + failures_.front().substr(failures_.front().find(": ") + 2);
    } else {
      message = "llm request failed on every model: ";
      for (std::size_t i = 0; i < failures_.size(); ++i) message += (i ? "; " : "") + failures_[i];
    }
    if (all_network_) {
      return Finish(std::make_exception_ptr(
          Unavailable(message, "Check that llm.base_url (" + shared_->settings.base_url + ") is reachable.")));
    }
    Finish(std::make_exception_ptr(
        UpstreamError(message, "The model service is failing; retry later or add a fallback to llm.models.")));
  }

  void FinishCancelled() { Finish(std::make_exception_ptr(http::Cancelled("llm request canceled"))); }

  void Finish(std::exception_ptr error, ChatResult result = {}) {
    if (finished_) return;
    finished_ = true;
    ResultCallback done = std::move(done_);
    done(error, std::move(result));
  }

  std::shared_ptr<Shared> shared_;
  ChatRequest request_;
  EventCallback on_event_;
  ResultCallback done_;
  std::shared_ptr<http::Cancellation> cancel_;
  Clock::time_point started_;
  std::vector<std::string> models_;
  std::vector<std::string> bodies_;  // one request body per model
  std::size_t model_index_ = 0;
  int retries_ = 0;  // on the current model
  int attempts_ = 0;
  std::vector<std::string> failures_;
  bool all_network_ = true;
  bool finished_ = false;
  bool emitted_ = false;  // events went out during the current attempt
  std::exception_ptr consumer_error_;

  // The current attempt.
  std::shared_ptr<http::Cancellation> attempt_cancel_;
  std::uint64_t link_handle_ = 0;
  int status_ = 0;
  int retry_after_ms_ = -1;
  bool streaming_ = false;
  std::string body_;
  http::SseParser parser_;
  std::string text_;
  std::map<int, ToolCall> tools_;
  std::string finish_reason_;
  std::string answered_by_;
  Usage usage_;
  bool saw_done_ = false;
  std::optional<Failure> stream_failure_;
};

class OpenAiClient final : public LlmClient {
 public:
  OpenAiClient(const config::LlmSettings& settings, http::HttpClient& http, std::uint64_t seed)
      : shared_(new Shared{settings, http, {}, std::mt19937_64(seed ? seed : std::random_device{}())}) {}

  void StartChat(ChatRequest request, EventCallback on_event, ResultCallback done,
                 std::shared_ptr<http::Cancellation> cancel) override {
    std::make_shared<Call>(shared_, std::move(request), std::move(on_event), std::move(done), std::move(cancel))
        ->Begin();
  }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kSystem:
      return "system";
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
    case Role::kTool:
      return "tool";
  }
  return "user";
}

bool IsOffline(const config::LlmSettings& settings) {
  if (!settings.api_key.empty()) return false;
  // OpenRouter and OpenAI refuse every request without a key, so with none
  // omni answers offline instead of failing each turn. A server of one's own
  // (Ollama, vLLM, llama.cpp) is called without a key.
  const std::string host = http::UrlHost(settings.base_url);
  return host == "openrouter.ai" || host.ends_with(".openrouter.ai") || host == "api.openai.com";
}

std::unique_ptr<LlmClient> MakeOpenAiClient(const config::LlmSettings& settings, http::HttpClient& http,
                                            std::uint64_t jitter_seed) {
  return std::make_unique<OpenAiClient>(settings, http, jitter_seed);
}

ChatResult Chat(LlmClient& client, ChatRequest request, EventCallback on_event,
                std::shared_ptr<http::Cancellation> cancel) {
  auto promise = std::make_shared<std::promise<ChatResult>>();
  auto future = promise->get_future();
  client.StartChat(
      std::move(request), std::move(on_event),
      [promise](std::exception_ptr error, ChatResult result) {
        if (error) {
          promise->set_exception(error);
        } else {
          promise->set_value(std::move(result));
        }
      },
      std::move(cancel));
  return future.get();
}

}  // namespace omni::llm
