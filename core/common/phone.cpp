// Phone numbers through libphonenumber; see phone.hpp.
#include "core/common/phone.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <set>
#include <string>
#include <utility>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "core/common/error.hpp"
#include "core/common/text.hpp"

namespace omni::phone {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

struct ZoneRegion {
  const char* zone;
  const char* region;
};

constexpr ZoneRegion kZoneRegions[] = {
#include "core/common/detail/zone_regions.inc"
};

const PhoneNumberUtil& Util() { return *PhoneNumberUtil::GetInstance(); }

// What a number of `region` looks like, for hints: "(201) 555-0123".
std::string Example(const std::string& region) {
  PhoneNumber example;
  if (region.empty() || !Util().GetExampleNumber(region, &example)) return "+1 201-555-0123";
  std::string national;
  Util().Format(example, PhoneNumberUtil::NATIONAL, &national);
  return national;
}

InvalidInput Invalid(std::string_view input, const std::string& problem, const std::string& region) {
  const std::string hint =
      region.empty() ? "Write it with its country code, such as +44 20 7946 0018."
                     : "A " + region + " number reads like " + Example(region) +
                           "; write another country's with its code, such as +44 20 7946 0018.";
  return InvalidInput("invalid phone number \"" + std::string(input) + "\": " + problem, hint);
}

// The region that owns a country calling code (+1: "US", +44: "GB").
std::string MainRegion(int country_code) {
  std::string region;
  Util().GetRegionCodeForCountryCode(country_code, &region);
  return region;
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

bool IsKnownRegion(std::string_view region) {
  static const std::set<std::string, std::less<>> regions = [] {
    std::set<std::string> supported;
    Util().GetSupportedRegions(&supported);
    return std::set<std::string, std::less<>>(supported.begin(), supported.end());
  }();
  return regions.count(region) != 0;
}

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
  PhoneNumber number;
  const auto parsed = Util().Parse(cleaned, international ? "ZZ" : region, &number);
  switch (parsed) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      throw Invalid(input, "unknown country code", "");
    case PhoneNumberUtil::TOO_LONG_NSN:
      throw Invalid(input, "too many digits", region);
    default:
      throw Invalid(input, "too few digits", region);
  }
  const std::string owner = MainRegion(number.country_code());
  const std::string whose = owner.empty() || owner == "001" ? "its country" : "a " + owner + " number";
  switch (Util().IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::IS_POSSIBLE:
      break;
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      throw Invalid(input, "too few digits: no area code", owner);
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      throw Invalid(input, "unknown country code", "");
    case PhoneNumberUtil::TOO_SHORT:
      throw Invalid(input, "too few digits for " + whose, owner);
    case PhoneNumberUtil::TOO_LONG:
      throw Invalid(input, "too many digits for " + whose, owner);
    default:
      throw Invalid(input, "the wrong number of digits for " + whose, owner);
  }
  if (!Util().IsValidNumber(number)) {
    throw Invalid(input, owner.empty() || owner == "001" ? "not a valid number" : "not a valid " + owner + " number",
                  owner);
  }
  std::string e164;
  Util().Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool IsE164(std::string_view stored) {
  if (stored.size() < 8 || stored.size() > 16 || stored[0] != '+' || stored[1] == '0') return false;
  return std::all_of(stored.begin() + 1, stored.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string Format(std::string_view stored, std::string_view region) {
  if (!IsE164(stored)) return std::string(stored);
  PhoneNumber number;
  if (Util().Parse(std::string(stored), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::string(stored);
  }
  // Countries share calling codes (+1: US, CA and the Caribbean): a number
  // reads as national only when it is the business's own country's, or
  // when the metadata places it nowhere else.
  std::string number_region;
  Util().GetRegionCodeForNumber(number, &number_region);
  const bool national = !region.empty() && number.country_code() == Util().GetCountryCodeForRegion(std::string(region)) &&
                        (number_region == region || number_region == "ZZ" || number_region.empty());
  std::string out;
  Util().Format(number, national ? PhoneNumberUtil::NATIONAL : PhoneNumberUtil::INTERNATIONAL, &out);
  return out;
}

}  // namespace omni::phone
