// Reading the config module's files (omni.yaml, business files): at most
// 1 MiB, whatever the path names (a regular file, a pipe, /dev/zero), and
// only UTF-8, so that what passes a check is what the database will take.
// Private to core/config and the business file reader next to it
// (core/business/business_file.cpp). Thread-safe: plain functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace omni::config::detail {

// Config and business files are a few kilobytes; this is far beyond any.
constexpr std::size_t kMaxFileBytes = 1024 * 1024;

// The text of the file at `path`, reading no more than kMaxFileBytes + 1
// bytes. `label` names it in errors ("config file omni.yaml"). Throws
// ConfigError "could not read <label>: <reason>" (with `unreadable_hint`)
// or "<label> is larger than the limit of 1 MiB".
std::string ReadTextFile(const std::string& path, const std::string& label, const std::string& unreadable_hint);

// Throws ConfigError "<source>:<line>:<column>: byte 0xE9 is not valid
// UTF-8" at the first invalid byte of `text` (line and column from 1, the
// column in characters).
void CheckUtf8(std::string_view text, const std::string& source);

}  // namespace omni::config::detail
