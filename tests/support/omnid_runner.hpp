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

class OmnidRunner {
 public:
  // `extra_yaml`: whole top-level sections, e.g. "stripe:\n  api_key: x\n".
  // REQUIREs that omnid starts listening within 60 s.
  OmnidRunner(const std::string& database_url, const std::string& extra_yaml);
  std::uint16_t port() const { return port_; }
  Process& process() { return *process_; }
  // The JSON log lines written so far.
  std::vector<nlohmann::json> LogLines() const;

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::uint16_t port_ = 0;
};

}  // namespace omni::test
