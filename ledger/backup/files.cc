// File: ledger/backup/files.cc
//
// POSIX fsync and std::filesystem listing for backups and restores.
#include "ledger/backup/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace loyalty {

absl::Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open ", path, " to sync it: ", std::strerror(errno)));
  }
  const int synced = ::fsync(fd);
  const int sync_errno = errno;
  ::close(fd);
  if (synced != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot sync ", path, ": ", std::strerror(sync_errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, uint64_t>> ListFlatDirectory(
    const std::string& directory) {
  std::map<std::string, uint64_t> files;
  std::error_code error;
  std::filesystem::directory_iterator it(directory, error);
  for (; !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    std::error_code kind_error;
    if (!it->is_regular_file(kind_error)) {
      return absl::DataLossError(
          absl::StrCat(directory, "/", name,
                       ": is not a regular file; a store copy holds "
                       "files only"));
    }
    const uint64_t size = it->file_size(kind_error);
    if (kind_error) {
      return absl::UnavailableError(absl::StrCat("cannot read the size of ",
                                                 directory, "/", name, ": ",
                                                 kind_error.message()));
    }
    files[name] = size;
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", directory, ": ", error.message()));
  }
  return files;
}

}  // namespace loyalty
