// The C interface of the phone module (omni_phone.so, built from
// core/common/phone_module/). libphonenumber and the libraries it pulls in
// (protobuf, ICU, abseil: a dozen, with many symbol relocations) live only
// in that module, which phone.cpp loads with dlopen on the first phone
// number: every other omni and omnid start skips mapping and relocating
// them. A C interface, because no C++ objects or exceptions cross it.
#pragma once

#include <cstddef>

extern "C" {

// How libphonenumber read a number (OmniPhoneParse).
enum OmniPhoneParseError {
  kOmniPhoneParsed = 0,
  kOmniPhoneUnknownCountryCode = 1,
  kOmniPhoneTooLong = 2,
  kOmniPhoneTooShort = 3,  // and every other parse failure
};
enum OmniPhonePossibility {
  kOmniPhonePossible = 0,
  kOmniPhoneLocalOnly = 1,
  kOmniPhonePossibleUnknownCountryCode = 2,
  kOmniPhonePossibleTooShort = 3,
  kOmniPhonePossibleTooLong = 4,
  kOmniPhoneWrongLength = 5,
};

struct OmniPhoneParsed {
  int error;             // OmniPhoneParseError; the fields below are set only when parsed
  int possibility;       // OmniPhonePossibility
  int valid;             // 1 when the number is in a valid range of its country
  char owner[8];         // the region owning its country code ("US", "GB"), "" or "001" for none
  char e164[24];
};

// Reads `text` (digits, a leading '+' for a country code) as a number of
// `region` ("ZZ" for international input). Never throws.
typedef void (*OmniPhoneParseFn)(const char* text, const char* region, OmniPhoneParsed* out);
#define OMNI_PHONE_PARSE_SYMBOL "OmniPhoneParse"

// Writes the E.164 number `stored` as read in `region` (national for the
// region's own numbers, international otherwise) to out[0, size), NUL
// ended; returns 0 when `stored` does not parse. Never throws.
typedef int (*OmniPhoneFormatFn)(const char* stored, const char* region, char* out, std::size_t size);
#define OMNI_PHONE_FORMAT_SYMBOL "OmniPhoneFormat"

// Writes a national example number of `region` to out; returns 0 when
// there is none. Never throws.
typedef int (*OmniPhoneExampleFn)(const char* region, char* out, std::size_t size);
#define OMNI_PHONE_EXAMPLE_SYMBOL "OmniPhoneExample"

// Returns 1 when libphonenumber knows `region`'s numbering plan. Never throws.
typedef int (*OmniPhoneKnownRegionFn)(const char* region);
#define OMNI_PHONE_KNOWN_REGION_SYMBOL "OmniPhoneKnownRegion"

}  // extern "C"
