// File: ledger/backup/files.h
//
// The few file operations backups and restores share: syncing a file or a
// directory to disk, and listing a flat directory's files with their sizes.
// Errors name the path; none of them changes a file.
#ifndef LOYALTY_LEDGER_BACKUP_FILES_H_
#define LOYALTY_LEDGER_BACKUP_FILES_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace loyalty {

// fsync(2) of the file or directory at `path`: its content (a file) or its
// entries (a directory: a create, rename or link in it) are on disk once
// this returns OK. Unavailable naming the path otherwise.
absl::Status SyncPath(const std::string& path);

// The regular files directly in `directory`, by name, with their sizes.
// DataLoss naming the entry when it holds anything else (a subdirectory, a
// link to a directory); Unavailable when it cannot be read.
absl::StatusOr<std::map<std::string, uint64_t>> ListFlatDirectory(
    const std::string& directory);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_BACKUP_FILES_H_
