// Phone numbers: what people type, turned into E.164 ("+14155550132"), the
// one form omni stores, and a stored number formatted for reading. Parsing
// and formatting follow Google's libphonenumber, loaded from the module
// omni_phone.so on the first use (core/common/detail/phone_module.hpp). A business's region (ISO 3166 alpha-2, "US") decides how a number
// written without its country code is read and which numbers read as
// national ones.
// Thread-safe: pure functions (libphonenumber's PhoneNumberUtil is a
// thread-safe singleton). Every function but RegionForTimeZone and IsE164
// throws Unavailable when the module is not installed.
#pragma once

#include <string>
#include <string_view>

namespace omni::phone {

// The one country the IANA zone name is listed for in tzdata's zone.tab
// ("America/Chicago" -> "US", "Pacific/Auckland" -> "NZ"); "" for a zone
// listed for none ("UTC", "Etc/GMT+5", "EST5EDT") and for a link's old name
// ("US/Pacific"): some of those span countries, so none is guessed.
std::string RegionForTimeZone(std::string_view zone);

// True for an upper-case region code whose numbering plan libphonenumber
// knows ("US", "GB", "NZ", "DE"); false for "uk", "XX" or "".
bool IsKnownRegion(std::string_view region);

// E.164 of `input` as a person typed it: digits with spaces, dashes, dots,
// slashes and parentheses, and either a country code after a leading '+'
// or "00", or a national number of `region` ("" when the business has
// none: a country code is then required). "(415) 555-0132", "+1 415-555-0132"
// and "415.555.0132" in "US" are all "+14155550132".
// The number must be valid in libphonenumber's metadata (Debian's
// libphonenumber, updated with the distribution): an area code or range
// that does not exist, such as 555 in the US, is refused.
// Throws InvalidInput naming the input: an unexpected character (letters,
// an extension), no country code and no region, an unknown country code,
// too few or too many digits, a local number without its area code, or a
// number in no valid range.
std::string ToE164(std::string_view input, std::string_view region);

// True when `stored` is E.164: '+' and 7 to 15 digits, no leading zero.
bool IsE164(std::string_view stored);

// `stored` as a person reads it: the national format when it is a number of
// `region` ("(415) 555-0132" in "US"), the international one otherwise
// ("+44 20 7946 0018"). A value that is not E.164 (kept from before omni
// stored E.164, see migration 28) is returned unchanged; "" stays "".
std::string Format(std::string_view stored, std::string_view region);

}  // namespace omni::phone
