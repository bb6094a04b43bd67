// The shared text helpers of core/common/text.hpp: the one Lower, Trim,
// IsUuid, Digits and money format every module uses.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "core/common/error.hpp"
#include "core/common/text.hpp"

TEST_CASE("lower-casing touches ASCII letters only", "[unit][text]") {
  CHECK(omni::Lower("Ann.LEE@Example.COM") == "ann.lee@example.com");
  CHECK(omni::Lower("CAFÉ") == "cafÉ");  // UTF-8 bytes are kept as they are
  CHECK(omni::Lower("").empty());
}

TEST_CASE("trimming removes spaces, tabs and line breaks at both ends", "[unit][text]") {
  CHECK(omni::Trim("  \t ann@example.com\r\n") == "ann@example.com");
  CHECK(omni::Trim("a b") == "a b");
  CHECK(omni::Trim(" \n\t ").empty());
}

TEST_CASE("only canonical UUIDs are UUIDs", "[unit][text]") {
  CHECK(omni::IsUuid("0b7e3c7a-1f2d-4c5e-9a8b-7c6d5e4f3a2b"));
  CHECK(omni::IsUuid("0B7E3C7A-1F2D-4C5E-9A8B-7C6D5E4F3A2B"));
  CHECK_FALSE(omni::IsUuid("0b7e3c7a1f2d4c5e9a8b7c6d5e4f3a2b"));
  CHECK_FALSE(omni::IsUuid("0b7e3c7a-1f2d-4c5e-9a8b-7c6d5e4f3a2"));
  CHECK_FALSE(omni::IsUuid("0b7e3c7a-1f2d-4c5e-9a8b-7c6d5e4f3a2g"));
  CHECK_FALSE(omni::IsUuid(" 0b7e3c7a-1f2d-4c5e-9a8b-7c6d5e4f3a2b"));
}

TEST_CASE("digits keep the digits of a phone number in order", "[unit][text]") {
  CHECK(omni::Digits("+1 (555) 010-2030") == "15550102030");
  CHECK(omni::Digits("no digits").empty());
}

TEST_CASE("amounts in cents format with two decimals, negative ones too", "[unit][text]") {
  CHECK(omni::FormatCents(6500) == "65.00");
  CHECK(omni::FormatCents(5) == "0.05");
  CHECK(omni::FormatCents(0) == "0.00");
  CHECK(omni::FormatCents(-150) == "-1.50");
  CHECK(omni::FormatCents(-5) == "-0.05");
  CHECK(omni::FormatCents(std::numeric_limits<std::int64_t>::min()) == "-92233720368547758.08");
}

TEST_CASE("a NUL is refused with the field named", "[unit][text]") {
  CHECK_NOTHROW(omni::RejectNul("message", "hello"));
  CHECK_THROWS_WITH(omni::RejectNul("message", std::string("a\0b", 3)),
                    "message: contains a NUL character (\\u0000)");
  CHECK_THROWS_AS(omni::RejectNul("message", std::string(1, '\0')), omni::InvalidInput);
}
