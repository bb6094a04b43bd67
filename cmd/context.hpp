// What a running `omni` command gets: the global flags, the loaded config,
// an output renderer, and the database opened on first use.
#pragma once

#include <memory>
#include <string>

#include "cmd/output.hpp"
#include "core/config/config.hpp"

namespace omni::db {
class Pool;
}

namespace omni::cli {

struct GlobalOptions {
  std::string config_path;  // --config
  std::string business;     // -b/--business
  std::string output = "table";  // -o table|json|csv
  bool quiet = false;       // -q: no status lines on stderr
  int verbose = 0;          // -v: more detail; stack of causes on errors
};

class Context {
 public:
  explicit Context(GlobalOptions global);
  ~Context();

  const GlobalOptions& global() const { return global_; }
  // Loads the config on first call (flag, $OMNI_CONFIG, ./omni.yaml, /etc).
  const config::Config& Config();
  Output& out() { return out_; }

  // Opens the database on first call: the embedded cluster is started on
  // demand and migrations are applied.
  db::Pool& Database();
  // The business slug to act on: -b, then $OMNI_BUSINESS, then the config's
  // default_business, then the only business when exactly one exists (said
  // on stderr). Throws InvalidInput when none of them gives one.
  const std::string& RequireBusiness();

  // The environment, for config expansion and paths.
  static config::EnvLookup Env();
  std::string EmbeddedDataDir();

 private:
  GlobalOptions global_;
  Output out_;
  std::unique_ptr<config::Config> config_;
  std::unique_ptr<db::Pool> pool_;
  std::string business_;  // resolved by RequireBusiness
};

}  // namespace omni::cli
