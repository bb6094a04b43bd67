// fake_openai: the scripted fake model server as a program, for benchmarks
// and browser tests that run omnid against it.
//
//   fake_openai [--port N] [--threads N] [--text TEXT] [--pieces N]
//               [--first-byte-delay-ms N] [--chunk-delay-ms N]
//               [--script FILE] [--rules FILE] [--max-seconds N]
//
// Every request gets, in this order: the next reply of --script (a JSON array
// of replies with tests/support/fake_openai.hpp's field names); else the first
// rule of --rules whose conditions hold (a JSON array of {"when_last_role":
// "user"|"tool", "when_contains": "text in the last message", "reply": {...}});
// else TEXT split into N pieces with the given delays. Prints
// "listening on BASE_URL" once ready, serves until SIGINT or SIGTERM (or
// --max-seconds), then prints the number of requests served.
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_openai.hpp"

namespace {

using nlohmann::json;
using omni::test::FakeReply;
using omni::test::RecordedRequest;

struct Rule {
  std::string last_role;
  std::string contains;
  FakeReply reply;
};

json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return json::parse(in);
}

std::vector<std::string> Split(const std::string& text, int pieces) {
  std::vector<std::string> out;
  const std::size_t n = static_cast<std::size_t>(std::max(1, pieces));
  const std::size_t size = std::max<std::size_t>(1, (text.size() + n - 1) / n);
  for (std::size_t i = 0; i < text.size(); i += size) out.push_back(text.substr(i, size));
  return out;
}

bool Matches(const Rule& rule, const RecordedRequest& request) {
  if (!request.json.is_object() || !request.json.contains("messages") || request.json["messages"].empty()) {
    return false;
  }
  const json& last = request.json["messages"].back();
  if (!rule.last_role.empty() && last.value("role", "") != rule.last_role) return false;
  if (!rule.contains.empty()) {
    const std::string content = last.contains("content") && last["content"].is_string() ? last["content"].get<std::string>() : "";
    if (content.find(rule.contains) == std::string::npos) return false;
  }
  return true;
}

void PrintProblem(const std::string& problem) { std::cerr << problem << "\n"; }

}  // namespace

int main(int argc, char** argv) {
  omni::test::FakeOpenAiOptions options;
  std::string text = "Hello from the fake model.";
  int pieces = 4;
  int first_byte_delay_ms = 0;
  int chunk_delay_ms = 0;
  int max_seconds = 0;
  std::string script_path;
  std::string rules_path;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--port") {
        options.port = static_cast<std::uint16_t>(std::stoi(value()));
      } else if (arg == "--threads") {
        options.threads = std::stoi(value());
      } else if (arg == "--text") {
        text = value();
      } else if (arg == "--pieces") {
        pieces = std::stoi(value());
      } else if (arg == "--first-byte-delay-ms") {
        first_byte_delay_ms = std::stoi(value());
      } else if (arg == "--chunk-delay-ms") {
        chunk_delay_ms = std::stoi(value());
      } else if (arg == "--script") {
        script_path = value();
      } else if (arg == "--rules") {
        rules_path = value();
      } else if (arg == "--max-seconds") {
        max_seconds = std::stoi(value());
      } else {
        throw std::runtime_error("unknown option " + arg);
      }
    }

    std::vector<Rule> rules;
    if (!rules_path.empty()) {
      for (const auto& r : ReadJsonFile(rules_path)) {
        rules.push_back({r.value("when_last_role", ""), r.value("when_contains", ""),
                         omni::test::FakeReplyFromJson(r.at("reply"))});
      }
    }
    FakeReply fallback = omni::test::TextReply(Split(text, pieces));
    fallback.first_byte_delay_ms = first_byte_delay_ms;
    fallback.chunk_delay_ms = chunk_delay_ms;

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server threads start

    omni::test::FakeOpenAi fake(options, &PrintProblem);
    if (!script_path.empty()) {
      for (const auto& r : ReadJsonFile(script_path)) fake.Enqueue(omni::test::FakeReplyFromJson(r));
    }
    fake.SetFallback([rules, fallback](const RecordedRequest& request) {
      for (const auto& rule : rules) {
        if (Matches(rule, request)) return rule.reply;
      }
      return fallback;
    });
    std::cout << "listening on " << fake.base_url() << std::endl;
    if (max_seconds > 0) alarm(static_cast<unsigned>(max_seconds));
    int signal = 0;
    sigwait(&signals, &signal);
    std::cout << "served " << fake.request_count() << " requests" << std::endl;
    fake.SetFallback(nullptr);
  } catch (const std::exception& e) {
    std::cerr << "fake_openai: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
