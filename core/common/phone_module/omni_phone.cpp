// omni_phone.so: libphonenumber behind the C interface of
// core/common/detail/phone_module.hpp, loaded by core/common/phone.cpp.
#include <cstring>
#include <set>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "core/common/detail/phone_module.hpp"

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& Util() { return *PhoneNumberUtil::GetInstance(); }

void Copy(const std::string& text, char* out, std::size_t size) {
  if (size == 0) return;
  const std::size_t n = std::min(text.size(), size - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

int ParseErrorOf(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::NO_PARSING_ERROR: return kOmniPhoneParsed;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return kOmniPhoneUnknownCountryCode;
    case PhoneNumberUtil::TOO_LONG_NSN: return kOmniPhoneTooLong;
    default: return kOmniPhoneTooShort;
  }
}

int PossibilityOf(PhoneNumberUtil::ValidationResult result) {
  switch (result) {
    case PhoneNumberUtil::IS_POSSIBLE: return kOmniPhonePossible;
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY: return kOmniPhoneLocalOnly;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return kOmniPhonePossibleUnknownCountryCode;
    case PhoneNumberUtil::TOO_SHORT: return kOmniPhonePossibleTooShort;
    case PhoneNumberUtil::TOO_LONG: return kOmniPhonePossibleTooLong;
    default: return kOmniPhoneWrongLength;
  }
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void OmniPhoneParse(const char* text, const char* region,
                                                           OmniPhoneParsed* out) {
  *out = OmniPhoneParsed{};
  try {
    PhoneNumber number;
    out->error = ParseErrorOf(Util().Parse(text, region, &number));
    if (out->error != kOmniPhoneParsed) return;
    std::string owner;
    Util().GetRegionCodeForCountryCode(number.country_code(), &owner);
    Copy(owner, out->owner, sizeof out->owner);
    out->possibility = PossibilityOf(Util().IsPossibleNumberWithReason(number));
    out->valid = Util().IsValidNumber(number) ? 1 : 0;
    std::string e164;
    Util().Format(number, PhoneNumberUtil::E164, &e164);
    Copy(e164, out->e164, sizeof out->e164);
  } catch (...) {
    out->error = kOmniPhoneTooShort;
  }
}

__attribute__((visibility("default"))) int OmniPhoneFormat(const char* stored, const char* region, char* out,
                                                           std::size_t size) {
  try {
    PhoneNumber number;
    if (Util().Parse(stored, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) return 0;
    // Countries share calling codes (+1: US, CA and the Caribbean): a number
    // reads as national only when it is the business's own country's, or
    // when the metadata places it nowhere else.
    const std::string home(region);
    std::string number_region;
    Util().GetRegionCodeForNumber(number, &number_region);
    const bool national = !home.empty() && number.country_code() == Util().GetCountryCodeForRegion(home) &&
                          (number_region == home || number_region == "ZZ" || number_region.empty());
    std::string text;
    Util().Format(number, national ? PhoneNumberUtil::NATIONAL : PhoneNumberUtil::INTERNATIONAL, &text);
    Copy(text, out, size);
    return 1;
  } catch (...) {
    return 0;
  }
}

__attribute__((visibility("default"))) int OmniPhoneExample(const char* region, char* out, std::size_t size) {
  try {
    PhoneNumber example;
    if (!Util().GetExampleNumber(region, &example)) return 0;
    std::string national;
    Util().Format(example, PhoneNumberUtil::NATIONAL, &national);
    Copy(national, out, size);
    return 1;
  } catch (...) {
    return 0;
  }
}

__attribute__((visibility("default"))) int OmniPhoneKnownRegion(const char* region) {
  try {
    static const std::set<std::string> regions = [] {
      std::set<std::string> supported;
      Util().GetSupportedRegions(&supported);
      return supported;
    }();
    return regions.count(region) != 0 ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

}  // extern "C"
