// File: clients/loyaltyctl/atomic_file.cc

#include "clients/loyaltyctl/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/check.h"

namespace loyalty::ctl {
namespace {

// The directory holding `path`, for syncing the rename.
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes all of `contents` to `fd`, resuming after short writes and signals.
bool WriteAll(int fd, absl::string_view contents) {
  while (!contents.empty()) {
    const ssize_t written = ::write(fd, contents.data(), contents.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    contents.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AtomicFile>> AtomicFile::Create(
    std::string path) {
  std::string temp_template = absl::StrCat(path, ".tmp-XXXXXX");
  // mkstemp fills in the X's of its writable, NUL-terminated argument.
  std::vector<char> buffer(temp_template.begin(), temp_template.end());
  buffer.push_back('\0');
  const int fd = ::mkstemp(buffer.data());
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": cannot create a file beside it: ", std::strerror(errno)));
  }
  return std::unique_ptr<AtomicFile>(
      new AtomicFile(std::move(path), std::string(buffer.data()), fd));
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

absl::Status AtomicFile::SystemError(absl::string_view what) const {
  return absl::FailedPreconditionError(
      absl::StrCat(path_, ": ", what, ": ", std::strerror(errno)));
}

absl::Status AtomicFile::Commit(absl::string_view contents) {
  LOYALTYCTL_CHECK(fd_ >= 0);
  LOYALTYCTL_CHECK(!committed_);
  if (!WriteAll(fd_, contents)) return SystemError("cannot write");
  // Synced before the rename: after a crash the path holds the old file or
  // the whole new one, never a renamed but empty one.
  if (::fsync(fd_) != 0) return SystemError("cannot sync");
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) return SystemError("cannot close");
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return SystemError("cannot rename the finished file into place");
  }
  committed_ = true;
  // The rename is done; syncing its directory only makes it durable
  // sooner, so a directory that cannot be opened is no failure.
  const int directory =
      ::open(DirectoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY);
  if (directory >= 0) {
    ::fsync(directory);
    ::close(directory);
  }
  return absl::OkStatus();
}

}  // namespace loyalty::ctl
