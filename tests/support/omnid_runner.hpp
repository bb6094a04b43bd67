// The omnid binary as an operator runs it, for suites that need it beside a
// fake: its own omni.yaml (database url, listen 127.0.0.1:0, and any extra
// sections), started and waited for, its port read from stdout, killed when
// the object goes.
// Thread-safety: construct from the test's main thread (see process.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace omni::test {

// omnid's logging section: JSON at info unless a case reads the text an
// operator sees, or wants only warnings.
struct OmnidLogging {
  std::string level = "info";
  std::string format = "json";
};

class OmnidRunner {
 public:
  // `extra_yaml`: whole top-level sections, e.g. "stripe:\n  api_key: x\n";
  // `server_yaml`: more lines of the server section, indented, e.g.
  // "  sse_keepalive_ms: 2000\n". REQUIREs that omnid starts listening
  // within 60 s.
  OmnidRunner(const std::string& database_url, const std::string& extra_yaml, const std::string& server_yaml = "",
              const OmnidLogging& logging = {});
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The omni.yaml it runs on, for the omni CLI to share.
  const std::string& config_path() const { return config_path_; }
  Process& process() { return *process_; }
  // The log lines written so far, each parsed as JSON (so a line that is not
  // throws): complete lines only, as the last may still be being written.
  std::vector<nlohmann::json> LogLines() const;

 private:
  TempDir dir_;
  std::string config_path_;
  std::unique_ptr<Process> process_;
  std::uint16_t port_ = 0;
};

}  // namespace omni::test
