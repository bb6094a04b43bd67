// Phone numbers: what people type in the US, GB, NZ and Germany becomes one
// E.164 number, which reads back in the national format at home and the
// international one elsewhere; what is no phone number is refused by name.
#include <string>

#include <catch2/catch.hpp>

#include "core/common/error.hpp"
#include "core/common/phone.hpp"

namespace omni {

TEST_CASE("phone: typed numbers become E.164 in the business's region", "[unit][phone]") {
  struct Row {
    const char* typed;
    const char* region;
    const char* e164;
    const char* home;    // Format(e164, region)
    const char* abroad;  // Format(e164, a region of another country)
  };
  const Row rows[] = {
      {"(415) 555-0132", "US", "+14155550132", "(415) 555-0132", "+1 415-555-0132"},
      {"+1 415-555-0132", "US", "+14155550132", "(415) 555-0132", "+1 415-555-0132"},
      {"415.555.0132", "US", "+14155550132", "(415) 555-0132", "+1 415-555-0132"},
      {"1 415 555 0132", "US", "+14155550132", "(415) 555-0132", "+1 415-555-0132"},
      {"212 555 0199", "US", "+12125550199", "(212) 555-0199", "+1 212-555-0199"},
      {"020 7946 0018", "GB", "+442079460018", "020 7946 0018", "+44 20 7946 0018"},
      {"+44 (0)20 7946 0018", "US", "+442079460018", "020 7946 0018", "+44 20 7946 0018"},
      {"0044 20 7946 0018", "DE", "+442079460018", "020 7946 0018", "+44 20 7946 0018"},
      {"07400 123456", "GB", "+447400123456", "07400 123456", "+44 7400 123456"},
      {"021 123 4567", "NZ", "+64211234567", "021 123 4567", "+64 21 123 4567"},
      {"+64 9 379 0000", "GB", "+6493790000", "09 379 0000", "+64 9 379 0000"},
      {"030 12345678", "DE", "+493012345678", "030 12345678", "+49 30 12345678"},
      {"0151 23456789", "DE", "+4915123456789", "01512 3456789", "+49 1512 3456789"},
      {"+49 30/12345678", "", "+493012345678", "030 12345678", "+49 30 12345678"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.typed, row.region);
    const std::string e164 = phone::ToE164(row.typed, row.region);
    CHECK(e164 == row.e164);
    CHECK(phone::IsE164(e164));
    const std::string home = std::string(row.e164).rfind("+1", 0) == 0    ? "US"
                             : std::string(row.e164).rfind("+44", 0) == 0 ? "GB"
                             : std::string(row.e164).rfind("+64", 0) == 0 ? "NZ"
                                                                          : "DE";
    CHECK(phone::Format(e164, home) == row.home);
    CHECK(phone::Format(e164, home == "GB" ? "NZ" : "GB") == row.abroad);
  }
}

TEST_CASE("phone: a number of another country sharing the calling code reads internationally", "[unit][phone]") {
  const std::string toronto = phone::ToE164("416 555 0132", "CA");
  CHECK(toronto == "+14165550132");
  CHECK(phone::Format(toronto, "CA") == "(416) 555-0132");
  CHECK(phone::Format(toronto, "US") == "+1 416-555-0132");
  CHECK(phone::Format(toronto, "") == "+1 416-555-0132");
}

TEST_CASE("phone: what is not a phone number is refused, naming the input", "[unit][phone]") {
  struct Row {
    const char* typed;
    const char* region;
    const char* message;
  };
  const Row rows[] = {
      {"555-CALL-NOW", "US", "invalid phone number \"555-CALL-NOW\": unexpected character 'C'"},
      {"415 555 0132 ext 12", "US", "invalid phone number \"415 555 0132 ext 12\": unexpected character 'e'"},
      {"1+555 010 2030", "US", "invalid phone number \"1+555 010 2030\": unexpected character '+'"},
      {"--", "US", "invalid phone number \"--\": no digits"},
      {"415 555 013", "US", "invalid phone number \"415 555 013\": too few digits for a US number"},
      {"415 555 01322", "US", "invalid phone number \"415 555 01322\": too many digits for a US number"},
      {"555-0132", "US", "invalid phone number \"555-0132\": too few digits: no area code"},
      {"555 010 2030", "US", "invalid phone number \"555 010 2030\": not a valid US number"},
      {"0207 946", "GB", "invalid phone number \"0207 946\": not a valid GB number"},
      {"07700 900123", "GB", "invalid phone number \"07700 900123\": not a valid GB number"},
      {"0151 234567890123", "DE", "invalid phone number \"0151 234567890123\": not a valid DE number"},
      {"12 34", "NZ", "invalid phone number \"12 34\": too few digits for a NZ number"},
      {"+999 1234 5678", "US", "invalid phone number \"+999 1234 5678\": unknown country code"},
      {"030 12345678", "", "invalid phone number \"030 12345678\": no country code"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.typed, row.region);
    CHECK_THROWS_AS(phone::ToE164(row.typed, row.region), InvalidInput);
    CHECK_THROWS_WITH(phone::ToE164(row.typed, row.region), row.message);
  }
}

TEST_CASE("phone: a stored value that is not E.164 reads as it was stored", "[unit][phone]") {
  CHECK(phone::Format("5550102030", "US") == "5550102030");
  CHECK(phone::Format("+15550102030", "US") == "(555) 010-2030");
  CHECK(phone::Format("", "US").empty());
  CHECK_FALSE(phone::IsE164("+0123456789"));
  CHECK_FALSE(phone::IsE164("+1234"));
  CHECK_FALSE(phone::IsE164("14155550132"));
}

TEST_CASE("phone: a time zone names its country only where zone.tab lists one", "[unit][phone]") {
  CHECK(phone::RegionForTimeZone("America/Chicago") == "US");
  CHECK(phone::RegionForTimeZone("Europe/London") == "GB");
  CHECK(phone::RegionForTimeZone("Pacific/Auckland") == "NZ");
  CHECK(phone::RegionForTimeZone("Europe/Berlin") == "DE");
  CHECK(phone::RegionForTimeZone("America/Toronto") == "CA");
  CHECK(phone::RegionForTimeZone("US/Pacific").empty());
  CHECK(phone::RegionForTimeZone("UTC").empty());
  CHECK(phone::RegionForTimeZone("Mars/Olympus").empty());
  CHECK(phone::RegionForTimeZone("Etc/GMT+5").empty());
  CHECK(phone::RegionForTimeZone("").empty());
  CHECK(phone::IsKnownRegion("NZ"));
  CHECK_FALSE(phone::IsKnownRegion("UK"));
  CHECK_FALSE(phone::IsKnownRegion("us"));
}

}  // namespace omni
