// Text helpers shared by every module: checks on text where it enters omni,
// and the small normalisations and formats that must agree everywhere
// (lower-casing, trimming, UUIDs, digits, money).
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omni {

// Throws InvalidInput "FIELD: contains a NUL character (\u0000)" when `text`
// holds one. PostgreSQL text cannot store NUL, and cutting the text there
// would store something other than what was sent.
void RejectNul(std::string_view field, std::string_view text);

// `text` with ASCII letters lower-cased; other bytes (UTF-8 included) kept.
// The positive whole number `text` names (a job or delivery id). Throws
// InvalidInput "invalid WHAT \"TEXT\": expected a positive number", with
// `hint` saying where the ids are listed.
std::int64_t ParsePositiveId(std::string_view what, const std::string& text, const std::string& hint);

std::string Lower(std::string_view text);

// `text` without leading and trailing spaces, tabs, CRs and LFs.
std::string Trim(std::string_view text);

// True for a canonical 8-4-4-4-12 hexadecimal UUID, in either case.
bool IsUuid(std::string_view text);

// The ASCII digits of `text`, in order: "(555) 010-2030" is "5550102030".
std::string Digits(std::string_view text);

// The optimal string alignment distance between `a` and `b` in bytes:
// Levenshtein plus adjacent transpositions, so "databse" is one edit from
// "database".
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word` ignoring ASCII case, when it is within
// max(2, size/3) edits, so that a typo finds its word and an unrelated word
// finds none; on a tie the first candidate wins. "" when none is near.
std::string ClosestWord(std::string_view word, const std::vector<std::string>& candidates);

// An amount in cents as "12.50", "-0.05": two decimals, no currency sign.
std::string FormatCents(std::int64_t cents);

}  // namespace omni
