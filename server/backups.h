// File: server/backups.h
//
// AdminService.Backup behind the method table: one backup at a time into
// loyaltyd's --backup-dir, run on the background thread (it flushes and
// links files for seconds on a large ledger, which must not hold a
// completion-queue thread), counted for GetServerStats. What a backup is
// and holds: ledger/backup/backup.h.
//
// Thread-safety: every method may be called from any thread.
#ifndef LOYALTY_SERVER_BACKUPS_H_
#define LOYALTY_SERVER_BACKUPS_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/engine/ledger.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

class Backups {
 public:
  // `ledger` must outlive this. An empty `backup_dir` means backups are not
  // configured: every Backup is refused.
  Backups(const Ledger* ledger, std::string backup_dir);

  // Claims the one backup slot for `request`, or says why not:
  // FailedPrecondition with BACKUP_NOT_CONFIGURED (no --backup-dir) or
  // BACKUP_IN_PROGRESS (another backup is admitted and not finished);
  // InvalidArgument naming "name". After OK, Run must follow.
  absl::Status Admit(const loyalty::v1::BackupRequest& request);

  // Makes the admitted backup and frees the slot. The outcomes are
  // WriteBackup's (ledger/backup/backup.h).
  absl::StatusOr<loyalty::v1::BackupResponse> Run(
      const loyalty::v1::BackupRequest& request);

  // Fills the backup figures of GetServerStats' answer.
  void AddStats(loyalty::v1::ServerStats& stats) const;

 private:
  const Ledger* const ledger_;
  const std::string backup_dir_;
  mutable absl::Mutex mutex_;
  bool running_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t backups_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t failures_ ABSL_GUARDED_BY(mutex_) = 0;
  loyalty::v1::BackupResponse last_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_BACKUPS_H_
