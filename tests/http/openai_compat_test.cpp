// Validates the fake OpenAI server against the official `openai` npm client
// (tests/http/openai_compat/check.mjs): streamed text, parallel tool calls
// through the SDK's stream helper, a plain completion, a 429 and a mid-stream
// error must all parse as the SDK parses OpenAI's own answers. Needs node and
// `npm ci` in tests/http/openai_compat (scripts/test.sh runs it); without them the case fails.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/fake_openai.hpp"

using omni::test::ErrorReply;
using omni::test::FakeOpenAi;
using omni::test::FakeReply;
using omni::test::TextReply;
using omni::test::ToolCallReply;

namespace {

const std::string kCheckDir = std::string(OMNI_SOURCE_DIR) + "/tests/http/openai_compat";

std::string RunCommand(const std::string& command, int& exit_status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    exit_status = -1;
    return output;
  }
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  exit_status = pclose(pipe);
  return output;
}

bool NodeReady() {
  int status = 0;
  RunCommand("node --version >/dev/null 2>&1", status);
  return status == 0 && std::filesystem::exists(kCheckDir + "/node_modules/openai/package.json");
}

}  // namespace

TEST_CASE("fake openai: the official openai npm client parses every reply shape", "[http][llm]") {
  INFO("node or tests/http/openai_compat/node_modules is missing: scripts/test.sh installs them with npm ci");
  REQUIRE(NodeReady());
  FakeOpenAi fake;
  FakeReply text = TextReply({"Hel", "lo ", "there"});
  text.comments = 2;
  fake.Enqueue(text);
  FakeReply tools = ToolCallReply({{"call_1", "check_availability", {"{\"date\":", "\"2026-12-01\"}"}},
                                   {"call_2", "check_availability", {"{\"date\":", "\"2026-12-02\"}"}}});
  tools.interleave_tool_calls = true;
  fake.Enqueue(tools);
  fake.Enqueue(TextReply({"plain ", "answer"}));
  FakeReply limited = ErrorReply(429, "Rate limit exceeded: free-models-per-min");
  limited.headers = {{"Retry-After", "3"}};
  fake.Enqueue(limited);
  FakeReply broken = TextReply({"partial"});
  broken.mid_stream_error = true;
  broken.error_message = "Provider disconnected";
  fake.Enqueue(broken);

  int status = 0;
  const std::string output =
      RunCommand("cd '" + kCheckDir + "' && timeout 60 node check.mjs '" + fake.base_url() + "' 2>&1", status);
  INFO("node output: " << output);
  REQUIRE(status == 0);
  const auto out = nlohmann::json::parse(output);

  CHECK(out["text"]["deltas"] == nlohmann::json({"Hel", "lo ", "there"}));
  CHECK(out["text"]["finish_reason"] == "stop");
  CHECK(out["text"]["model"] == "fake/compat");
  CHECK(out["text"]["usage"]["completion_tokens"] == 7);
  CHECK(out["text"]["usage"]["cost"].get<double>() == Approx(0.00042));

  CHECK(out["tools"]["finish_reason"] == "tool_calls");
  REQUIRE(out["tools"]["tool_calls"].size() == 2);
  CHECK(out["tools"]["tool_calls"][0] ==
        nlohmann::json({{"id", "call_1"}, {"name", "check_availability"}, {"arguments", "{\"date\":\"2026-12-01\"}"}}));
  CHECK(out["tools"]["tool_calls"][1]["arguments"] == "{\"date\":\"2026-12-02\"}");
  CHECK(out["tools"]["usage"]["prompt_tokens"] == 12);

  CHECK(out["plain"]["content"] == "plain answer");
  CHECK(out["plain"]["object"] == "chat.completion");
  CHECK(out["plain"]["usage"]["total_tokens"] == 19);

  CHECK(out["rate_limited"]["thrown"] == true);
  CHECK(out["rate_limited"]["status"] == 429);
  CHECK(out["rate_limited"]["message"] == "Rate limit exceeded: free-models-per-min");
  CHECK(out["rate_limited"]["retry_after"] == "3");

  CHECK(out["mid_stream"]["thrown"] == true);
  CHECK(out["mid_stream"]["message"] == "Provider disconnected");
  CHECK(out["mid_stream"]["code"] == 502);

  const auto requests = fake.requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[0].Header("authorization") == "Bearer sk-compat");
  CHECK(requests[1].json["stream"] == true);
}
