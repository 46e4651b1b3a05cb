// File: clients/loyaltyctl/atomic_file.h
//
// A file that appears whole or not at all: its contents go to a temporary
// file in the same directory, which is synced and then renamed over the
// target. A reader never sees half a file, and a failure (or a run that
// ends before Commit) leaves the target as it was and no temporary behind.
//
//   absl::StatusOr<std::unique_ptr<AtomicFile>> file =
//       AtomicFile::Create("statement.csv");
//   if (!file.ok()) return ...;
//   absl::Status written = (*file)->Commit(csv);

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_ATOMIC_FILE_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_ATOMIC_FILE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::ctl {

class AtomicFile {
 public:
  // Creates the temporary file "<path>.tmp-XXXXXX" (mode 0600: what is
  // written is often personal data). Returns an error naming the path, with
  // the system's reason, when the directory does not allow it.
  static absl::StatusOr<std::unique_ptr<AtomicFile>> Create(std::string path);

  // Removes the temporary file unless Commit succeeded.
  ~AtomicFile();

  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Writes `contents`, syncs, and renames the temporary file to the path.
  // Call at most once. On error the target is unchanged.
  absl::Status Commit(absl::string_view contents);

 private:
  AtomicFile(std::string path, std::string temp_path, int fd);

  // The error for a failed system call, naming `what` and errno's reason.
  absl::Status SystemError(absl::string_view what) const;

  const std::string path_;
  const std::string temp_path_;
  // Open until Commit closes it; -1 after.
  int fd_;
  bool committed_ = false;
};

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_ATOMIC_FILE_H_
