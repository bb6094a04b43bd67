// A fake OpenAI-compatible chat completions server on 127.0.0.1, for tests
// and benchmarks: real HTTP/1.1, SSE over chunked encoding, and replies
// scripted per test (text streams, tool calls, parallel tool calls, 429 with
// Retry-After, 5xx, 402, slow first byte, mid-stream errors, cut streams,
// malformed JSON). Every request is recorded so that a test can check what
// was sent. A reply scripted but never requested, or a request that found no
// reply, fails the test when the fake is destroyed (or at Verify()).
// Thread-safe: script and inspect from any thread while it serves.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace omni::test {

struct FakeToolCall {
  std::string id;
  std::string name;
  std::vector<std::string> argument_pieces;  // streamed one delta each
};

// One scripted reply. A model answer is rendered as an SSE stream or as one
// JSON body, following the request's "stream" flag.
struct FakeReply {
  // The answer.
  std::vector<std::string> text_pieces;  // one content delta each
  std::vector<FakeToolCall> tool_calls;
  bool interleave_tool_calls = false;    // parallel calls' deltas alternate
  std::string finish_reason;             // empty: "tool_calls" or "stop"
  std::string model;                     // empty: echo the requested model
  int prompt_tokens = 12;
  int completion_tokens = 7;
  std::optional<double> cost = 0.00042;  // usage.cost, as OpenRouter sends it
  bool usage_chunk = true;               // final chunk with empty choices

  // Faults and timing.
  int status = 200;                   // non-200: an {"error":{...}} body
  std::string error_message;          // also used by mid_stream_error
  nlohmann::json error_code;          // null: the status
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After
  std::optional<std::string> raw_body;  // sent verbatim as application/json
  std::optional<std::string> raw_sse;   // sent verbatim as an event stream
  bool mid_stream_error = false;  // after the text, an error chunk with finish_reason "error"
  bool cut_stream = false;        // after the text, close without finishing
  int first_byte_delay_ms = 0;    // before the response head
  int chunk_delay_ms = 0;         // before each written piece
  int comments = 0;               // ": OPENROUTER PROCESSING" lines first
  bool crlf = false;              // CRLF line ends instead of LF
  std::size_t split_bytes = 0;    // >0: write the stream in pieces this size

  // The connection, for clients that keep it alive.
  bool close_after = false;  // answer as if keeping it open, then close it (an idle timeout)
  bool hang_up = false;      // read the request, then close without answering
};

// Helpers for common replies.
FakeReply TextReply(std::vector<std::string> pieces);
FakeReply ToolCallReply(std::vector<FakeToolCall> calls);
FakeReply ErrorReply(int status, std::string message);
// Reads a reply from JSON with the FakeReply field names (for scripts run by
// the standalone fake); unknown keys throw std::invalid_argument.
FakeReply FakeReplyFromJson(const nlohmann::json& spec);

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  nlohmann::json json;  // the body parsed; null when it is not JSON
  int connection = 0;   // which accepted connection carried it: 1, 2, ...

  // A header by lower-case name; empty when absent.
  std::string Header(const std::string& lower_name) const;
};

// Where the fake's complaints go; tests use Catch2.
using FailureReporter = void (*)(const std::string& problem);
inline void ReportToCatch(const std::string& problem) { FAIL_CHECK(problem); }

struct FakeOpenAiOptions {
  std::uint16_t port = 0;  // 0: a free port
  int threads = 1;
  // PEM files: when both are set the fake speaks HTTPS and base_url() names
  // https://localhost, so the certificate should be issued for "localhost".
  std::string tls_cert_file;
  std::string tls_key_file;
};

class FakeOpenAi {
 public:
  using Options = FakeOpenAiOptions;

  // Starts serving at once. `reporter` receives each problem at Verify().
  explicit FakeOpenAi(Options options = {}, FailureReporter reporter = &ReportToCatch);
  // Stops serving, then runs Verify().
  ~FakeOpenAi();
  FakeOpenAi(const FakeOpenAi&) = delete;
  FakeOpenAi& operator=(const FakeOpenAi&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // http://127.0.0.1:PORT/v1 (https://localhost:PORT/v1 with TLS)

  // Queues a reply for the next POST .../chat/completions.
  void Enqueue(FakeReply reply);
  // Answers when the queue is empty (benchmarks, multi-turn servers).
  void SetFallback(std::function<FakeReply(const RecordedRequest&)> responder);

  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;
  std::size_t pending_replies() const;

  // Reports replies never consumed and requests that found no reply, once.
  void Verify();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  FailureReporter reporter_;
};

}  // namespace omni::test
