// UTF-8 helpers shared by the kb analyzer, chunker and extractors.
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace omni::kb::detail {

// Decodes the code point at text[pos]. Returns its byte length (1 to 4) and
// stores it in `cp`; returns 0 for an invalid or truncated sequence
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::size_t DecodeUtf8(std::string_view text, std::size_t pos, char32_t& cp);

// Appends `cp` encoded as UTF-8.
void AppendUtf8(char32_t cp, std::string& out);

// True when all of `text` is valid UTF-8.
bool IsValidUtf8(std::string_view text);

// Number of code points in `text` (each invalid byte counts as one).
std::size_t CountChars(std::string_view text);

// True for Unicode letters, digits and combining marks, approximated by
// excluding the punctuation, symbol and space blocks.
bool IsWordChar(char32_t cp);

// The simple lower-case mapping for ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic; other code points are returned as they are.
char32_t ToLower(char32_t cp);

}  // namespace omni::kb::detail
