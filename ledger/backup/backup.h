// File: ledger/backup/backup.h
//
// Consistent online backups of the ledger, and the checks a restore makes
// of one before it copies anything (ledger/backup/restore.h restores).
//
// A backup is a directory NAME under a backup root (loyaltyd --backup-dir):
//   NAME/data/
//       a copy of the store: one consistent cut (LedgerStore::Checkpoint),
//       taken while writes go on;
//   NAME/backup_manifest.textproto
//       BackupManifest (records.proto): the head at the cut, the identifier
//       key's check value, every file of data/ with its size.
//
// It is built as ROOT/.NAME.partial and becomes NAME only by a rename, after
// the manifest was written (to a temporary name, synced, renamed) and every
// file synced. So a directory NAME is a whole backup, and a backup cut short
// by a crash leaves only .NAME.partial, which the next backup of that name
// removes. The manifest is checked against data/ before a restore trusts it
// (ReadBackupManifest), and the restored ledger against the manifest.
//
// Thread-safety: WriteBackup may run beside every other call of the store;
// two WriteBackups of one name at once are the caller's to prevent.
#ifndef LOYALTY_LEDGER_BACKUP_BACKUP_H_
#define LOYALTY_LEDGER_BACKUP_BACKUP_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/common/clock.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

inline constexpr char kBackupManifestFileName[] = "backup_manifest.textproto";
inline constexpr char kBackupDataDirName[] = "data";
// BackupManifest.format_version this build writes and reads.
inline constexpr uint32_t kBackupFormatVersion = 1;
inline constexpr size_t kBackupNameLengthMax = 64;

// OK when `name` may name a backup: 1..kBackupNameLengthMax characters of
// [A-Za-z0-9._-], the first a letter or digit (so never ".", "..", a hidden
// or partial directory, or a path). InvalidArgument naming `field`
// otherwise.
absl::Status ValidateBackupName(absl::string_view name,
                                absl::string_view field);

// Backs `store` up into ROOT/NAME (layout above) and returns its manifest.
// `identifier_key_check` is the check value of the key the ledger hashes
// identifiers with (IdentifierCodec::KeyCheck; empty without a key).
// Outcomes:
//   OK                  ROOT/NAME is a whole backup.
//   INVALID_ARGUMENT    `name` is no backup name (names the field "name").
//   ALREADY_EXISTS      ROOT/NAME exists (reason BACKUP_EXISTS); untouched.
//   FAILED_PRECONDITION the store cannot be backed up (an in-memory store).
//   UNAVAILABLE         ROOT cannot be written (missing, full, read-only);
//                       nothing is left behind.
//   DATA_LOSS           the copy's head does not decode.
absl::StatusOr<loyalty::storage::v1::BackupManifest> WriteBackup(
    const LedgerStore& store, const std::string& root, const std::string& name,
    const std::string& identifier_key_check, const Clock& clock);

// Reads the manifest of the backup directory `path` (ROOT/NAME) and checks
// it against data/: its format version is this build's, and data/ holds
// exactly the files it lists, each of the listed size. NotFound when `path`
// or its manifest is missing (then it is no whole backup); DataLoss naming
// the file for a manifest that does not parse or a file missing, extra or
// of another size.
absl::StatusOr<loyalty::storage::v1::BackupManifest> ReadBackupManifest(
    const std::string& path);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_BACKUP_BACKUP_H_
