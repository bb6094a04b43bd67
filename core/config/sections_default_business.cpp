// The top-level `default_business` key of omni.yaml: the business `omni`
// acts on when neither -b nor $OMNI_BUSINESS names one.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

void ParseDefaultBusiness(const Parser& parser, const Entry& entry, Config& config) {
  config.default_business = parser.Scalar(entry, "a business slug, e.g. demo-salon");
}

void ShowDefaultBusiness(const Config& config, const Json&, Json& out) {
  out["default_business"] = config.default_business;
}

}  // namespace

SectionSpec DefaultBusinessSection() { return {"default_business", {}, ParseDefaultBusiness, ShowDefaultBusiness}; }

}  // namespace omni::config::detail
