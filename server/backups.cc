// File: server/backups.cc
//
// The Backup RPC's admission, run and figures (backups.h).
#include "server/backups.h"

#include <utility>

#include "ledger/backup/backup.h"
#include "ledger/common/status_util.h"

namespace loyalty {

using loyalty::v1::BackupRequest;
using loyalty::v1::BackupResponse;

Backups::Backups(const Ledger* ledger, std::string backup_dir)
    : ledger_(ledger), backup_dir_(std::move(backup_dir)) {}

absl::Status Backups::Admit(const BackupRequest& request) {
  if (backup_dir_.empty()) {
    return WithReason(
        absl::FailedPreconditionError(
            "backups are not configured: start loyaltyd with --backup-dir "
            "DIR to name where they go"),
        loyalty::v1::ERROR_REASON_BACKUP_NOT_CONFIGURED);
  }
  LEDGER_RETURN_IF_ERROR(ValidateBackupName(request.name(), "name"));
  absl::MutexLock lock(&mutex_);
  if (running_) {
    return WithReason(
        absl::FailedPreconditionError(
            "another backup is running; call again once it has finished"),
        loyalty::v1::ERROR_REASON_BACKUP_IN_PROGRESS);
  }
  running_ = true;
  return absl::OkStatus();
}

absl::StatusOr<BackupResponse> Backups::Run(const BackupRequest& request) {
  absl::StatusOr<loyalty::storage::v1::BackupManifest> manifest =
      ledger_->Backup(backup_dir_, request.name());
  absl::MutexLock lock(&mutex_);
  running_ = false;
  if (!manifest.ok()) {
    // A name taken is the caller's mistake, not a backup that failed.
    if (!absl::IsAlreadyExists(manifest.status())) ++failures_;
    return manifest.status();
  }
  BackupResponse response;
  response.set_name(request.name());
  response.set_last_sequence(manifest->last_sequence());
  response.set_last_hash_hex(manifest->last_hash_hex());
  response.set_files(static_cast<uint64_t>(manifest->files_size()));
  response.set_size_bytes(manifest->size_bytes());
  response.set_created_at_ms(manifest->created_at_ms());
  response.set_duration_ms(manifest->duration_ms());
  response.set_identifier_key_check_hex(manifest->identifier_key_check_hex());
  ++backups_;
  last_ = response;
  return response;
}

void Backups::AddStats(loyalty::v1::ServerStats& stats) const {
  absl::MutexLock lock(&mutex_);
  stats.set_backups(backups_);
  stats.set_backup_failures(failures_);
  stats.set_last_backup_name(last_.name());
  stats.set_last_backup_sequence(last_.last_sequence());
  stats.set_last_backup_created_at_ms(last_.created_at_ms());
  stats.set_last_backup_duration_ms(last_.duration_ms());
}

}  // namespace loyalty
