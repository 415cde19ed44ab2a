// TempDir: a fresh directory for one test, removed with everything in it at destruction.
//
//   edgetrace::testing::TempDir dir("edgetrace-queue");
//   auto queue = DurableQueue::open({.directory = (dir.path() / "queue").string()});
//   ...   // dir and its contents are gone when `dir` leaves scope
//
// The directory is made by mkdtemp(3) under std::filesystem::temp_directory_path() ($TMPDIR
// or /tmp), named "<prefix>-XXXXXX", so parallel tests never share one. If it cannot be
// made, the constructor fails the current test (ADD_FAILURE) and path() is empty.
// Thread-safety: like a std::filesystem::path value. Blocking: file-system calls only.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace edgetrace::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "edgetrace-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // path() / name, as a string (what most APIs under test take).
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace edgetrace::testing
