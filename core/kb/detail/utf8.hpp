// The kb's own UTF-8 helpers: encoding, and the case and word-character
// tables of the analyzer (decoding and validation are in common/utf8.hpp).
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace omni::kb::detail {

// Appends `cp` encoded as UTF-8.
void AppendUtf8(char32_t cp, std::string& out);

// True for Unicode letters, digits and combining marks, approximated by
// excluding the punctuation, symbol and space blocks.
bool IsWordChar(char32_t cp);

// The simple lower-case mapping for ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic; other code points are returned as they are.
char32_t ToLower(char32_t cp);

}  // namespace omni::kb::detail
