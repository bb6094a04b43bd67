// Lazily loaded config and database for a running command.
#include "cmd/context.hpp"

#include <unistd.h>

#include <cstdlib>

#include "core/billing/plans.hpp"
#include "core/common/log.hpp"
#include "core/common/error.hpp"
#include "core/db/pool.hpp"

namespace omni::cli {

Context::Context(GlobalOptions global)
    : global_(std::move(global)), out_(ParseFormat(global_.output), global_.quiet) {}

Context::~Context() = default;

config::EnvLookup Context::Env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

const config::Config& Context::Config() {
  if (!config_) {
    auto loaded = std::make_unique<config::Config>(config::LoadConfig(global_.config_path, Env()));
    billing::CheckPlanSettings(*loaded);
    // Log lines (a plan's usage warning, ...) go to stderr: stdout is data.
    log::Setup(loaded->logging, "omni");
    config_ = std::move(loaded);
  }
  return *config_;
}

std::string Context::EmbeddedDataDir() {
  return config::ResolveEmbeddedDataDir(Config(), Env(), geteuid() == 0);
}

db::Pool& Context::Database() {
  if (!pool_) pool_ = db::Open(Config(), db::OpenOptions{EmbeddedDataDir(), /*migrate=*/true});
  return *pool_;
}

const std::string& Context::RequireBusiness() const {
  if (global_.business.empty()) {
    throw InvalidInput("no business selected",
                       "Pass -b SLUG (see `omni business list` for the slugs).");
  }
  return global_.business;
}

}  // namespace omni::cli
