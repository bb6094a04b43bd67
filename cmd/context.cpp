// Lazily loaded config and database for a running command.
#include "cmd/context.hpp"

#include <unistd.h>

#include <cstdlib>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
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

const std::string& Context::RequireBusiness() {
  if (!business_.empty()) return business_;
  if (!global_.business.empty()) return business_ = global_.business;
  if (auto from_env = Env()("OMNI_BUSINESS"); from_env && !from_env->empty()) return business_ = *from_env;
  if (!Config().default_business.empty()) return business_ = Config().default_business;
  const std::vector<business::Business> all = business::List(Database());
  if (all.size() == 1) {
    out_.Status("using business " + all[0].spec.slug + ", the only one (choose with -b or $OMNI_BUSINESS)");
    return business_ = all[0].spec.slug;
  }
  if (all.empty()) {
    throw InvalidInput("no business selected, and none exists yet",
                       "Create one with `omni business apply -f FILE` (see config/demo-salon.yaml).");
  }
  throw InvalidInput("no business selected among " + std::to_string(all.size()) + " businesses",
                     "Pass -b SLUG, set OMNI_BUSINESS, or set default_business in omni.yaml (see `omni business list`).");
}

}  // namespace omni::cli
