// Phone numbers through libphonenumber; see phone.hpp.
#include "core/common/phone.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

#include "core/common/detail/phone_module.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"

namespace omni::phone {
namespace {

struct ZoneRegion {
  const char* zone;
  const char* region;
};

constexpr ZoneRegion kZoneRegions[] = {
#include "core/common/detail/zone_regions.inc"
};

struct Module {
  OmniPhoneParseFn parse = nullptr;
  OmniPhoneFormatFn format = nullptr;
  OmniPhoneExampleFn example = nullptr;
  OmniPhoneKnownRegionFn known_region = nullptr;
};

// The directory of the running binary, where an installed omni_phone.so is
// found (OMNI_PHONE_MODULE_FROM_BINDIR: bin/ to lib/omni/).
std::string BinaryDir() {
  char path[4096];
  const ssize_t size = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (size <= 0) return {};
  const std::string binary(path, static_cast<std::size_t>(size));
  return binary.substr(0, binary.rfind('/'));
}

// The module's entry points, loaded once: installed next to the binary,
// else from the build tree (omni run from its build directory, and the
// tests).
const Module& Phones() {
  static const Module module = [] {
    Module loaded;
    for (const std::string& path : {BinaryDir() + "/" OMNI_PHONE_MODULE_FROM_BINDIR "/omni_phone.so",
                                    std::string(OMNI_PHONE_MODULE_BUILD_PATH)}) {
      if (void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        loaded.parse = reinterpret_cast<OmniPhoneParseFn>(::dlsym(handle, OMNI_PHONE_PARSE_SYMBOL));
        loaded.format = reinterpret_cast<OmniPhoneFormatFn>(::dlsym(handle, OMNI_PHONE_FORMAT_SYMBOL));
        loaded.example = reinterpret_cast<OmniPhoneExampleFn>(::dlsym(handle, OMNI_PHONE_EXAMPLE_SYMBOL));
        loaded.known_region =
            reinterpret_cast<OmniPhoneKnownRegionFn>(::dlsym(handle, OMNI_PHONE_KNOWN_REGION_SYMBOL));
        break;
      }
    }
    return loaded;
  }();
  if (module.parse == nullptr || module.format == nullptr || module.example == nullptr ||
      module.known_region == nullptr) {
    throw Unavailable("cannot read phone numbers: the phone module omni_phone.so is not installed",
                      "Reinstall omni with its lib/omni/omni_phone.so.");
  }
  return module;
}

// What a number of `region` looks like, for hints: "(201) 555-0123".
std::string Example(const std::string& region) {
  char national[64];
  if (region.empty() || Phones().example(region.c_str(), national, sizeof national) == 0) return "+1 201-555-0123";
  return national;
}

InvalidInput Invalid(std::string_view input, const std::string& problem, const std::string& region) {
  const std::string hint =
      region.empty() ? "Write it with its country code, such as +44 20 7946 0018."
                     : "A " + region + " number reads like " + Example(region) +
                           "; write another country's with its code, such as +44 20 7946 0018.";
  return InvalidInput("invalid phone number \"" + std::string(input) + "\": " + problem, hint);
}

}  // namespace

std::string RegionForTimeZone(std::string_view zone) {
  const auto* end = std::end(kZoneRegions);
  const auto* found = std::lower_bound(std::begin(kZoneRegions), end, zone, [](const ZoneRegion& z, std::string_view name) {
    return std::string_view(z.zone) < name;
  });
  if (found == end || std::string_view(found->zone) != zone) return "";
  return found->region;
}

bool IsKnownRegion(std::string_view region) { return Phones().known_region(std::string(region).c_str()) == 1; }

std::string ToE164(std::string_view input, std::string_view region_view) {
  const std::string region(region_view);
  const std::string trimmed = Trim(input);
  std::string cleaned;
  for (std::size_t i = 0; i < trimmed.size(); ++i) {
    const char c = trimmed[i];
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '+' && i == 0)) {
      cleaned += c;
    } else if (std::strchr(" -().//", c) == nullptr || c == '\0') {
      throw InvalidInput("invalid phone number \"" + std::string(input) + "\": unexpected character '" +
                             std::string(1, c) + "'",
                         "Write the number with digits, an optional leading + and country code, and spaces, "
                         "dashes, dots or parentheses.");
    }
  }
  if (Digits(cleaned).empty()) throw Invalid(input, "no digits", region);
  if (cleaned.rfind("00", 0) == 0) cleaned = "+" + cleaned.substr(2);
  const bool international = cleaned[0] == '+';
  if (!international && region.empty()) {
    throw InvalidInput("invalid phone number \"" + std::string(input) + "\": no country code",
                       "Write it with its country code, such as +1 415 555 0132; a business file's country: "
                       "lets its customers write national numbers.");
  }
  OmniPhoneParsed parsed;
  Phones().parse(cleaned.c_str(), international ? "ZZ" : region.c_str(), &parsed);
  switch (parsed.error) {
    case kOmniPhoneParsed:
      break;
    case kOmniPhoneUnknownCountryCode:
      throw Invalid(input, "unknown country code", "");
    case kOmniPhoneTooLong:
      throw Invalid(input, "too many digits", region);
    default:
      throw Invalid(input, "too few digits", region);
  }
  const std::string owner = parsed.owner;
  const std::string whose = owner.empty() || owner == "001" ? "its country" : "a " + owner + " number";
  switch (parsed.possibility) {
    case kOmniPhonePossible:
      break;
    case kOmniPhoneLocalOnly:
      throw Invalid(input, "too few digits: no area code", owner);
    case kOmniPhonePossibleUnknownCountryCode:
      throw Invalid(input, "unknown country code", "");
    case kOmniPhonePossibleTooShort:
      throw Invalid(input, "too few digits for " + whose, owner);
    case kOmniPhonePossibleTooLong:
      throw Invalid(input, "too many digits for " + whose, owner);
    default:
      throw Invalid(input, "the wrong number of digits for " + whose, owner);
  }
  if (parsed.valid == 0) {
    throw Invalid(input, owner.empty() || owner == "001" ? "not a valid number" : "not a valid " + owner + " number",
                  owner);
  }
  return parsed.e164;
}

bool IsE164(std::string_view stored) {
  if (stored.size() < 8 || stored.size() > 16 || stored[0] != '+' || stored[1] == '0') return false;
  return std::all_of(stored.begin() + 1, stored.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string Format(std::string_view stored, std::string_view region) {
  if (!IsE164(stored)) return std::string(stored);
  char out[64];
  if (Phones().format(std::string(stored).c_str(), std::string(region).c_str(), out, sizeof out) == 0) {
    return std::string(stored);
  }
  return out;
}

}  // namespace omni::phone
