#include "edgetrace/core/posix.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace edgetrace::core {
namespace {

TEST(ErrnoTextTest, GivesTheSystemMessage) {
  EXPECT_EQ(errno_text(ENOENT), std::string(std::strerror(ENOENT)));
  EXPECT_EQ(errno_text(EACCES), std::string(std::strerror(EACCES)));
  EXPECT_FALSE(errno_text(123456).empty());
}

TEST(WriteAllTest, WritesEverythingThroughAPipeSmallerThanTheData) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // More than a pipe holds (64 KiB), so write(2) returns partial counts and blocks.
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 31);
  std::string received;
  std::thread reader([&] {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
      received.append(buffer, static_cast<std::size_t>(n));
  });
  EXPECT_EQ(write_all(fds[1], data), 0);
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_EQ(received, data);
}

TEST(WriteAllTest, ReturnsTheErrnoOfAFailedWrite) {
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(write_all(fd, std::string_view("x")), EBADF);
  ::close(fd);
  EXPECT_EQ(write_all(-1, std::string_view("")), 0);  // nothing to write: no call
}

}  // namespace
}  // namespace edgetrace::core
