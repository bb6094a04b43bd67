// The OpenAI-compatible LLM client against the fake model server on
// 127.0.0.1: streaming, tool calls, retries, fallbacks, timeouts,
// cancellation, what goes on the wire, and many streams on one thread.
#include <sys/resource.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "core/common/error.hpp"
#include "core/http/client.hpp"
#include "core/llm/llm.hpp"
#include "tests/support/fake_openai.hpp"

using namespace omni;
using omni::test::ErrorReply;
using omni::test::FakeOpenAi;
using omni::test::FakeReply;
using omni::test::TextReply;
using omni::test::ToolCallReply;
using Kind = llm::StreamEvent::Kind;
using SteadyClock = std::chrono::steady_clock;

namespace {

config::LlmSettings SettingsFor(const FakeOpenAi& fake, std::vector<std::string> models = {"fake/primary"}) {
  config::LlmSettings s;
  s.base_url = fake.base_url();
  s.api_key = "sk-test-key";
  s.models = std::move(models);
  s.connect_timeout_ms = 2000;
  s.first_byte_timeout_ms = 5000;
  s.idle_timeout_ms = 5000;
  s.max_retries = 2;
  s.retry_base_delay_ms = 5;
  s.app_name = "omni-test";
  s.app_url = "https://omni.example";
  return s;
}

llm::ChatRequest Hello(bool stream = true) {
  llm::ChatRequest r;
  r.messages = {{llm::Role::kSystem, "You are the front desk.", {}, {}}, {llm::Role::kUser, "Hello?", {}, {}}};
  r.stream = stream;
  return r;
}

long long MsSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

// Runs one chat and collects its events.
struct Run {
  std::vector<llm::StreamEvent> events;
  llm::ChatResult result;

  std::string StreamedText() const {
    std::string text;
    for (const auto& e : events) {
      if (e.kind == Kind::kTextDelta) text += e.text;
      if (e.kind == Kind::kRestart) text.clear();
    }
    return text;
  }
  int Count(Kind kind) const {
    int n = 0;
    for (const auto& e : events) n += e.kind == kind;
    return n;
  }
};

Run Collect(llm::LlmClient& client, llm::ChatRequest request,
         std::shared_ptr<http::Cancellation> cancel = nullptr) {
  Run run;
  run.result = llm::Chat(
      client, std::move(request), [&run](const llm::StreamEvent& e) { run.events.push_back(e); }, cancel);
  return run;
}

// Collects one chat through a client of its own and measures how long it took.
std::pair<Run, long long> TimedRun(const FakeOpenAi& fake) {
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);
  const auto start = SteadyClock::now();
  Run run = Collect(*client, Hello());
  return {std::move(run), MsSince(start)};
}

std::string ErrorMessage(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("llm: a streamed answer arrives as text deltas with usage and cost", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply reply = TextReply({"Hel", "lo, we open", " at 9."});
  reply.comments = 2;
  fake.Enqueue(reply);
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run run = Collect(*client, Hello());
  CHECK(run.result.message.content == "Hello, we open at 9.");
  CHECK(run.result.message.role == llm::Role::kAssistant);
  CHECK(run.result.message.tool_calls.empty());
  CHECK(run.result.finish_reason == "stop");
  CHECK(run.result.model == "fake/primary");
  CHECK(run.result.usage.prompt_tokens == 12);
  CHECK(run.result.usage.completion_tokens == 7);
  REQUIRE(run.result.usage.cost_usd);
  CHECK(*run.result.usage.cost_usd == Approx(0.00042));
  CHECK(run.result.attempts == 1);
  CHECK(run.result.latency_ms >= 0);
  CHECK(run.Count(Kind::kTextDelta) == 3);
  CHECK(run.StreamedText() == "Hello, we open at 9.");
  REQUIRE(run.events.back().kind == Kind::kUsage);
  CHECK(run.events.back().usage.completion_tokens == 7);
}

TEST_CASE("llm: the request carries auth, OpenRouter attribution, messages and tools", "[llm][http]") {
  FakeOpenAi fake;
  fake.Enqueue(TextReply({"ok"}));
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  llm::ChatRequest request = Hello();
  request.messages.push_back({llm::Role::kAssistant, "", {{"call_1", "list_services", "{}"}}, {}});
  request.messages.push_back({llm::Role::kTool, "[\"Haircut\"]", {}, "call_1"});
  request.tools = {{"list_services", "Lists the services.", R"({"type":"object","properties":{}})"}};
  request.temperature = 0.1;
  Collect(*client, request);

  const auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/v1/chat/completions");
  CHECK(r.Header("authorization") == "Bearer sk-test-key");
  CHECK(r.Header("http-referer") == "https://omni.example");
  CHECK(r.Header("x-title") == "omni-test");
  CHECK(r.Header("content-type") == "application/json");
  CHECK(r.Header("accept") == "text/event-stream");
  const auto& body = r.json;
  REQUIRE(body.is_object());
  CHECK(body["model"] == "fake/primary");
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"]["include_usage"] == true);
  CHECK(body["temperature"].get<double>() == Approx(0.1));
  CHECK(body["max_tokens"] == 800);
  REQUIRE(body["messages"].size() == 4);
  CHECK(body["messages"][0]["role"] == "system");
  CHECK(body["messages"][1] == nlohmann::json({{"role", "user"}, {"content", "Hello?"}}));
  CHECK(body["messages"][2]["role"] == "assistant");
  CHECK(body["messages"][2]["content"].is_null());
  CHECK(body["messages"][2]["tool_calls"][0]["id"] == "call_1");
  CHECK(body["messages"][2]["tool_calls"][0]["function"]["name"] == "list_services");
  CHECK(body["messages"][3]["role"] == "tool");
  CHECK(body["messages"][3]["tool_call_id"] == "call_1");
  CHECK(body["tools"][0]["type"] == "function");
  CHECK(body["tools"][0]["function"]["name"] == "list_services");
  CHECK(body["tools"][0]["function"]["parameters"]["type"] == "object");
}

TEST_CASE("llm: a tool call split across chunks is assembled by index", "[llm][http]") {
  FakeOpenAi fake;
  fake.Enqueue(ToolCallReply({{"call_a", "check_availability", {"{\"da", "te\": \"2026-", "12-01\"", "}"}}}));
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run run = Collect(*client, Hello());
  CHECK(run.result.finish_reason == "tool_calls");
  REQUIRE(run.result.message.tool_calls.size() == 1);
  const auto& call = run.result.message.tool_calls[0];
  CHECK(call.id == "call_a");
  CHECK(call.name == "check_availability");
  CHECK(call.arguments_json == "{\"date\": \"2026-12-01\"}");
  REQUIRE(run.Count(Kind::kToolCallDelta) == 5);
  for (const auto& e : run.events) {
    if (e.kind != Kind::kToolCallDelta) continue;
    CHECK(e.tool_index == 0);
    CHECK(e.tool_call.name == "check_availability");
  }
}

TEST_CASE("llm: parallel tool calls with interleaved deltas stay apart", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply reply = ToolCallReply({{"call_1", "check_availability", {"{\"date\":", "\"2026-12-01\"}"}},
                                   {"call_2", "list_services", {"{", "}"}}});
  reply.interleave_tool_calls = true;
  fake.Enqueue(reply);
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run run = Collect(*client, Hello());
  REQUIRE(run.result.message.tool_calls.size() == 2);
  CHECK(run.result.message.tool_calls[0].id == "call_1");
  CHECK(run.result.message.tool_calls[0].arguments_json == "{\"date\":\"2026-12-01\"}");
  CHECK(run.result.message.tool_calls[1].id == "call_2");
  CHECK(run.result.message.tool_calls[1].name == "list_services");
  CHECK(run.result.message.tool_calls[1].arguments_json == "{}");
}

TEST_CASE("llm: CRLF line ends and events split into 3-byte reads parse the same", "[llm][http][sse]") {
  FakeOpenAi fake;
  FakeReply reply = TextReply({"Split ", "across ", "reads"});
  reply.crlf = true;
  reply.split_bytes = 3;
  reply.comments = 1;
  fake.Enqueue(reply);
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run run = Collect(*client, Hello());
  CHECK(run.result.message.content == "Split across reads");
  CHECK(run.result.usage.prompt_tokens == 12);
}

TEST_CASE("llm: a non-streaming completion parses text, tool calls and usage", "[llm][http]") {
  FakeOpenAi fake;
  fake.Enqueue(TextReply({"Plain ", "answer"}));
  fake.Enqueue(ToolCallReply({{"call_9", "search_knowledge", {"{\"query\":", "\"parking\"}"}}}));
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run text = Collect(*client, Hello(false));
  CHECK(text.result.message.content == "Plain answer");
  CHECK(text.result.usage.completion_tokens == 7);
  CHECK(*text.result.usage.cost_usd == Approx(0.00042));
  const Run tools = Collect(*client, Hello(false));
  REQUIRE(tools.result.message.tool_calls.size() == 1);
  CHECK(tools.result.message.tool_calls[0].arguments_json == "{\"query\":\"parking\"}");
  CHECK(tools.result.finish_reason == "tool_calls");
  const auto requests = fake.requests();
  CHECK(requests[0].json["stream"] == false);
  CHECK_FALSE(requests[0].json.contains("stream_options"));
  CHECK(requests[0].Header("accept") == "application/json");
}

TEST_CASE("llm: tool calls without ids, or with arguments as an object, from local servers", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply whole;
  whole.raw_body = R"({"model":"llama3.1","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",)"
                   R"("content":null,"tool_calls":[{"type":"function","function":{"name":"list_services",)"
                   R"("arguments":{"verbose":true}}}]}}]})";
  fake.Enqueue(whole);
  FakeReply streamed;
  streamed.raw_sse =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":"
      "\"search_knowledge\",\"arguments\":\"{\\\"query\\\":\\\"parking\\\"}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: [DONE]\n\n";
  fake.Enqueue(streamed);
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run a = Collect(*client, Hello(false));
  REQUIRE(a.result.message.tool_calls.size() == 1);
  CHECK(a.result.message.tool_calls[0].id == "call_0");
  CHECK(a.result.message.tool_calls[0].name == "list_services");
  CHECK(a.result.message.tool_calls[0].arguments_json == R"({"verbose":true})");
  const Run b = Collect(*client, Hello());
  REQUIRE(b.result.message.tool_calls.size() == 1);
  CHECK(b.result.message.tool_calls[0].id == "call_0");
  CHECK(b.result.message.tool_calls[0].arguments_json == R"({"query":"parking"})");
}

TEST_CASE("llm: a mid-stream error restarts on the next model", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply broken = TextReply({"Half an ans"});
  broken.mid_stream_error = true;
  broken.error_message = "provider disconnected";
  broken.error_code = 402;
  fake.Enqueue(broken);
  fake.Enqueue(TextReply({"Whole answer"}));
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake, {"fake/a", "fake/b"}), *http, 1);

  const Run run = Collect(*client, Hello());
  CHECK(run.result.message.content == "Whole answer");
  CHECK(run.result.model == "fake/b");
  CHECK(run.Count(Kind::kRestart) == 1);
  CHECK(run.StreamedText() == "Whole answer");
  CHECK(run.events.front().text == "Half an ans");
}

TEST_CASE("llm: a mid-stream error on the only model is a typed error", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply broken = TextReply({"Half"});
  broken.mid_stream_error = true;
  broken.error_message = "upstream overloaded";
  fake.Enqueue(broken);
  auto http = http::MakeHttpClient({});
  auto settings = SettingsFor(fake);
  settings.max_retries = 0;
  auto client = llm::MakeOpenAiClient(settings, *http, 1);

  CHECK_THROWS_AS(Collect(*client, Hello()), UpstreamError);
  fake.Enqueue(broken);
  const std::string message = ErrorMessage([&] { Collect(*client, Hello()); });
  CHECK_THAT(message, Catch::Contains("fake/primary") && Catch::Contains("upstream overloaded") &&
                          Catch::Contains("mid-stream"));
}

TEST_CASE("llm: 429 waits for Retry-After before retrying", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply limited = ErrorReply(429, "rate limited");
  limited.headers = {{"Retry-After", "1"}};
  fake.Enqueue(limited);
  fake.Enqueue(TextReply({"after the wait"}));

  const auto [run, elapsed] = TimedRun(fake);
  CHECK(run.result.message.content == "after the wait");
  CHECK(run.result.attempts == 2);
  // The backoff alone (5 ms base) would retry at once; only Retry-After explains a second.
  CHECK(elapsed >= 950);
  CHECK(elapsed < 10000);
  CHECK(fake.request_count() == 2);
}

TEST_CASE("llm: a Retry-After date is waited out, measured from the response's Date", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply limited = ErrorReply(429, "rate limited");
  // A day in the past by our clock: only the response's own Date gives the 1 s.
  limited.headers = {{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Retry-After", "Sun, 06 Nov 1994 08:49:38 GMT"}};
  fake.Enqueue(limited);
  FakeReply undated = ErrorReply(503, "busy");
  undated.headers = {{"Retry-After", "Sun, 06 Nov 2094 08:49:38 GMT"}};  // no Date: backoff instead
  fake.Enqueue(undated);
  fake.Enqueue(TextReply({"after the wait"}));

  const auto [run, elapsed] = TimedRun(fake);
  CHECK(run.result.message.content == "after the wait");
  CHECK(run.result.attempts == 3);
  CHECK(elapsed >= 950);
  CHECK(elapsed < 10000);
}

TEST_CASE("llm: 500s are retried with backoff until one succeeds", "[llm][http]") {
  FakeOpenAi fake;
  fake.Enqueue(ErrorReply(500, "internal"));
  fake.Enqueue(ErrorReply(503, "unavailable"));
  fake.Enqueue(TextReply({"third time"}));
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run run = Collect(*client, Hello());
  CHECK(run.result.message.content == "third time");
  CHECK(run.result.attempts == 3);
  CHECK(run.result.model == "fake/primary");
}

TEST_CASE("llm: 402 moves to the next model without retrying", "[llm][http]") {
  FakeOpenAi fake;
  fake.Enqueue(ErrorReply(402, "insufficient credits"));
  fake.Enqueue(TextReply({"from the fallback"}));
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake, {"fake/a", "fake/b"}), *http, 1);

  const Run run = Collect(*client, Hello());
  CHECK(run.result.message.content == "from the fallback");
  CHECK(run.result.model == "fake/b");
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].json["model"] == "fake/a");
  CHECK(requests[1].json["model"] == "fake/b");
}

TEST_CASE("llm: when every model fails the error names each", "[llm][http]") {
  FakeOpenAi fake;
  for (int i = 0; i < 2; ++i) fake.Enqueue(ErrorReply(500, "boom a"));
  for (int i = 0; i < 2; ++i) fake.Enqueue(ErrorReply(503, "boom b"));
  auto http = http::MakeHttpClient({});
  auto settings = SettingsFor(fake, {"fake/a", "fake/b"});
  settings.max_retries = 1;
  auto client = llm::MakeOpenAiClient(settings, *http, 1);

  try {
    Collect(*client, Hello());
    FAIL("expected an error");
  } catch (const UpstreamError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("every model") && Catch::Contains("\"fake/a\": HTTP 500") &&
                            Catch::Contains("\"fake/b\": HTTP 503: boom b"));
    CHECK_FALSE(e.hint().empty());
  }
  CHECK(fake.request_count() == 4);
}

TEST_CASE("llm: 401 stops at once, whatever models remain", "[llm][http]") {
  FakeOpenAi fake;
  fake.Enqueue(ErrorReply(401, "No auth credentials found"));
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake, {"fake/a", "fake/b"}), *http, 1);

  const std::string message = ErrorMessage([&] { Collect(*client, Hello()); });
  CHECK_THAT(message, Catch::Contains("HTTP 401") && Catch::Contains("No auth credentials found"));
  CHECK_THROWS_AS(([&] {
                    fake.Enqueue(ErrorReply(401, "again"));
                    Collect(*client, Hello());
                  }()),
                  UpstreamError);
  CHECK(fake.request_count() == 2);
}

TEST_CASE("llm: a slow first byte times out", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply slow = TextReply({"too late"});
  slow.first_byte_delay_ms = 3000;
  fake.Enqueue(slow);
  auto http = http::MakeHttpClient({});
  auto settings = SettingsFor(fake);
  settings.first_byte_timeout_ms = 200;
  settings.max_retries = 0;
  auto client = llm::MakeOpenAiClient(settings, *http, 1);

  const auto start = SteadyClock::now();
  try {
    Collect(*client, Hello());
    FAIL("expected a timeout");
  } catch (const Unavailable& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("no response") && Catch::Contains("200 ms"));
  }
  CHECK(MsSince(start) < 2500);
}

TEST_CASE("llm: a stream that stalls hits the idle timeout, and a cut stream fails", "[llm][http]") {
  FakeOpenAi fake;
  auto http = http::MakeHttpClient({});
  auto settings = SettingsFor(fake);
  settings.idle_timeout_ms = 200;
  settings.max_retries = 0;
  auto client = llm::MakeOpenAiClient(settings, *http, 1);

  FakeReply stalling = TextReply({"a", "b"});
  stalling.chunk_delay_ms = 1500;
  fake.Enqueue(stalling);
  CHECK_THAT(ErrorMessage([&] { Collect(*client, Hello()); }), Catch::Contains("stalled"));

  FakeReply cut = TextReply({"a", "b"});
  cut.cut_stream = true;
  fake.Enqueue(cut);
  CHECK_THROWS_AS(Collect(*client, Hello()), Unavailable);
}

TEST_CASE("llm: malformed JSON gives a clear error", "[llm][http]") {
  FakeOpenAi fake;
  auto http = http::MakeHttpClient({});
  auto settings = SettingsFor(fake);
  settings.max_retries = 0;
  auto client = llm::MakeOpenAiClient(settings, *http, 1);

  FakeReply body;
  body.raw_body = "{\"choices\": [ oops";
  fake.Enqueue(body);
  try {
    Collect(*client, Hello(false));
    FAIL("expected an error");
  } catch (const UpstreamError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("malformed JSON in the response") && Catch::Contains("oops"));
  }

  FakeReply stream;
  stream.raw_sse = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {broken\n\n";
  fake.Enqueue(stream);
  CHECK_THAT(ErrorMessage([&] { Collect(*client, Hello()); }),
             Catch::Contains("malformed JSON in the stream") && Catch::Contains("{broken"));

  FakeReply html;
  html.status = 502;
  html.raw_body = "<html>Bad Gateway</html>";
  fake.Enqueue(html);
  CHECK_THAT(ErrorMessage([&] { Collect(*client, Hello()); }), Catch::Contains("HTTP 502: <html>Bad Gateway"));
}

TEST_CASE("llm: cancellation stops a stream and a backoff wait", "[llm][http]") {
  FakeOpenAi fake;
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  FakeReply slow = TextReply({"one", "two", "three", "four"});
  slow.chunk_delay_ms = 400;
  fake.Enqueue(slow);
  auto cancel = std::make_shared<http::Cancellation>();
  std::vector<std::string> seen;
  auto start = SteadyClock::now();
  CHECK_THROWS_AS(llm::Chat(
                      *client, Hello(),
                      [&](const llm::StreamEvent& e) {
                        seen.push_back(e.text);
                        cancel->Cancel();
                      },
                      cancel),
                  http::Cancelled);
  CHECK(seen == std::vector<std::string>{"one"});
  CHECK(MsSince(start) < 1400);

  FakeReply limited = ErrorReply(429, "slow down");
  limited.headers = {{"Retry-After", "30"}};
  fake.Enqueue(limited);
  auto cancel_wait = std::make_shared<http::Cancellation>();
  std::thread canceller([&] {
    while (fake.request_count() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel_wait->Cancel();
  });
  start = SteadyClock::now();
  CHECK_THROWS_AS(Collect(*client, Hello(), cancel_wait), http::Cancelled);
  canceller.join();
  CHECK(MsSince(start) < 5000);

  auto already = std::make_shared<http::Cancellation>();
  already->Cancel();
  CHECK_THROWS_AS(Collect(*client, Hello(), already), http::Cancelled);
}

TEST_CASE("llm: a thousand concurrent streams complete on one I/O thread", "[llm][http]") {
  constexpr int kStreams = 1000;
  // The client's and the fake's sockets, in this one process: more than a
  // non-root user's usual soft limit of 1,024 open files.
  rlimit files{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &files) == 0);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  FakeOpenAi fake;  // one server thread
  fake.SetFallback([](const omni::test::RecordedRequest&) {
    FakeReply r = TextReply({"one ", "two ", "three"});
    r.first_byte_delay_ms = 300;
    r.chunk_delay_ms = 20;
    return r;
  });
  boost::asio::io_context io(1);
  auto http = http::MakeHttpClient(io, {});
  auto settings = SettingsFor(fake);
  settings.first_byte_timeout_ms = 30000;
  settings.connect_timeout_ms = 30000;
  auto client = llm::MakeOpenAiClient(settings, *http, 1);

  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::string first_error;
  const auto start = SteadyClock::now();
  for (int i = 0; i < kStreams; ++i) {
    client->StartChat(Hello(), {}, [&](std::exception_ptr error, llm::ChatResult result) {
      if (!error && result.message.content == "one two three") {
        ++ok;
        return;
      }
      if (failed++ == 0) {
        try {
          if (error) std::rethrow_exception(error);
          first_error = "wrong text: " + result.message.content;
        } catch (const std::exception& e) {
          first_error = e.what();
        }
      }
    });
  }
  io.run();  // this thread is the client's only I/O thread; returns when all are done
  INFO("first error: " << first_error);
  CHECK(failed == 0);
  CHECK(ok == kStreams);
  CHECK(fake.request_count() == static_cast<std::size_t>(kStreams));
  // One after another they would take 1000 x 0.36 s; together, a few seconds.
  CHECK(MsSince(start) < 60000);
  fake.SetFallback(nullptr);
}

TEST_CASE("llm: a server that ignores stream:true still yields text events", "[llm][http]") {
  FakeOpenAi fake;
  FakeReply json_body;
  json_body.raw_body = R"({"model":"fake/primary","choices":[{"index":0,"message":{"role":"assistant",)"
                       R"("content":"one body"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}})";
  fake.Enqueue(json_body);
  FakeReply no_blank_line;
  no_blank_line.raw_sse = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n"
                          "data: [DONE]\n";
  fake.Enqueue(no_blank_line);
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);

  const Run run = Collect(*client, Hello());
  CHECK(run.result.message.content == "one body");
  CHECK(run.StreamedText() == "one body");
  CHECK(run.result.usage.prompt_tokens == 3);
  CHECK_FALSE(run.result.usage.cost_usd);
  CHECK(Collect(*client, Hello()).result.message.content == "x");
}

TEST_CASE("llm: a tool whose schema is not JSON is refused before any request", "[llm][http]") {
  FakeOpenAi fake;
  auto http = http::MakeHttpClient({});
  auto client = llm::MakeOpenAiClient(SettingsFor(fake), *http, 1);
  llm::ChatRequest request = Hello();
  request.tools = {{"broken", "A tool.", "{not json"}};
  CHECK_THROWS_AS(Collect(*client, request), InvalidInput);
  llm::ChatRequest no_models = Hello();
  auto settings = SettingsFor(fake, {});
  auto unconfigured = llm::MakeOpenAiClient(settings, *http, 1);
  CHECK_THROWS_AS(Collect(*unconfigured, no_models), ConfigError);
  CHECK(fake.request_count() == 0);
}

TEST_CASE("llm: no api key means offline for OpenRouter and OpenAI only", "[llm]") {
  config::LlmSettings settings;
  CHECK(llm::IsOffline(settings));
  settings.base_url = "https://OpenRouter.ai./api/v1/";
  CHECK(llm::IsOffline(settings));
  settings.base_url = "https://api.openai.com:443/v1";
  CHECK(llm::IsOffline(settings));
  settings.api_key = "sk-x";
  CHECK_FALSE(llm::IsOffline(settings));
  settings.api_key.clear();
  settings.base_url = "http://127.0.0.1:11434/v1";  // Ollama
  CHECK_FALSE(llm::IsOffline(settings));
  settings.base_url = "http://[::1]:8080/v1";  // llama.cpp's server
  CHECK_FALSE(llm::IsOffline(settings));
  settings.base_url = "https://openrouter.ai.example.net/v1";
  CHECK_FALSE(llm::IsOffline(settings));
  CHECK(std::string(llm::RoleName(llm::Role::kTool)) == "tool");
}

TEST_CASE("llm: a local server is called without a key and without an Authorization header", "[llm][http]") {
  FakeOpenAi fake;
  fake.Enqueue(TextReply({"Hi from llama"}));
  auto http = http::MakeHttpClient({});
  auto settings = SettingsFor(fake);
  settings.api_key.clear();
  REQUIRE_FALSE(llm::IsOffline(settings));
  auto client = llm::MakeOpenAiClient(settings, *http, 1);
  CHECK(Collect(*client, Hello()).result.message.content == "Hi from llama");
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].Header("authorization").empty());
}
