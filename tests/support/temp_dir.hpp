// A fresh private directory under the system temp dir for one test, removed
// with everything in it when the object goes.
//
//   omni::test::TempDir dir;
//   const std::string file = dir.Write("docs/faq.md", "# FAQ\n...");
#pragma once

#include <filesystem>
#include <string>

namespace omni::test {

class TempDir {
 public:
  // Makes /tmp/omni-tmp-XXXXXX (under $TMPDIR when set). Throws
  // std::runtime_error when it cannot.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to `name` below the directory, making its parent
  // directories, and returns the file's full path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace omni::test
