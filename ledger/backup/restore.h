// File: ledger/backup/restore.h
//
// Restores a backup (ledger/backup/backup.h) into a new data directory, and
// proves it before anything is served from it:
//
//   1. the manifest is read and checked against the backup's files
//      (ReadBackupManifest), its schema is this build's, and the identifier
//      key given is the one the backup was made under;
//   2. the data directory does not exist or is empty;
//   3. the files are copied into DATA_DIR.restoring (beside the data
//      directory) and synced;
//   4. that copy is opened (open_store: for RocksDB, every block's checksum
//      is checked), the ledger is opened on it as loyaltyd would, and the
//      whole ledger is verified exactly as AdminService.VerifyLedger does;
//      the head must be the manifest's;
//   5. only then DATA_DIR.restoring is renamed to the data directory.
//
// Any refusal or failure removes DATA_DIR.restoring and leaves the data
// directory as it was. Messages name the loyaltyd flag at fault
// (--restore-from, --data-dir, --identifier-key-file).
#ifndef LOYALTY_LEDGER_BACKUP_RESTORE_H_
#define LOYALTY_LEDGER_BACKUP_RESTORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/common/clock.h"
#include "ledger/engine/ledger.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

struct RestoreOptions {
  // The backup's directory (ROOT/NAME) and the data directory to create.
  std::string backup_path;
  std::string data_dir;
  // Opens the store in a directory and checks what the storage engine can
  // check of it (RocksDB: VerifyChecksums); DataLoss for a corrupt copy.
  std::function<absl::StatusOr<std::unique_ptr<LedgerStore>>(
      const std::string& path)>
      open_store;
  // What loyaltyd will open the ledger with: the program, the clock and
  // the ledger options (the identifier key among them).
  loyalty::v1::ProgramConfig program;
  const Clock* clock = nullptr;
  LedgerOptions ledger;
};

struct RestoreReport {
  loyalty::storage::v1::BackupManifest manifest;
  // The verification of the restored ledger (ok, its head).
  loyalty::v1::VerifyLedgerResponse verify;
  uint64_t copied_bytes = 0;
};

// Restores as above. Outcomes (nothing changed unless OK):
//   OK                   the data directory holds the verified ledger.
//   INVALID_ARGUMENT     the data directory exists and is not empty, or is
//                        no directory.
//   NOT_FOUND            the backup directory or its manifest is missing.
//   FAILED_PRECONDITION  another schema version, another identifier key, or
//                        DATA_DIR.restoring exists (a restore cut short).
//   DATA_LOSS            the manifest or a file is damaged, the verification
//                        found problems, or the head is not the manifest's.
//   UNAVAILABLE          the copy cannot be written (disk full, no access).
absl::StatusOr<RestoreReport> RestoreBackup(const RestoreOptions& options);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_BACKUP_RESTORE_H_
