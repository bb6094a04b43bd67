// UTF-8 decoding and validation, for every module that checks text from
// outside: the kb's extractors and analyzer, and the config files.
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace omni {

// Decodes the code point at text[pos]. Returns its byte length (1 to 4) and
// stores it in `cp`; returns 0 for an invalid or truncated sequence
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::size_t DecodeUtf8(std::string_view text, std::size_t pos, char32_t& cp);

// The offset of the first byte of `text` that does not start a valid
// UTF-8 sequence, or std::string_view::npos when all of it is valid.
std::size_t FindInvalidUtf8(std::string_view text);

// True when all of `text` is valid UTF-8.
bool IsValidUtf8(std::string_view text);

// Number of code points in `text` (each invalid byte counts as one).
std::size_t CountChars(std::string_view text);

}  // namespace omni
