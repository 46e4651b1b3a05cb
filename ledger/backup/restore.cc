// File: ledger/backup/restore.cc
//
// RestoreBackup: check, copy to DATA_DIR.restoring, open and verify there,
// rename into place (restore.h lists the steps and outcomes).
#include "ledger/backup/restore.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/backup/backup.h"
#include "ledger/backup/files.h"
#include "ledger/common/hashing.h"
#include "ledger/common/status_util.h"
#include "ledger/members/identifiers.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::BackupManifest;

// Refuses a backup this build or this key cannot restore.
absl::Status CheckManifest(const BackupManifest& manifest,
                           const std::string& identifier_key) {
  if (manifest.schema_version() != kLedgerSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("--restore-from: the backup has schema version ",
                     manifest.schema_version(), "; this build reads ",
                     kLedgerSchemaVersion));
  }
  LEDGER_ASSIGN_OR_RETURN(IdentifierCodec codec,
                          IdentifierCodec::Create(identifier_key, ""));
  const std::string check_hex = HexEncode(codec.KeyCheck());
  // A backup of a ledger that ran without a key holds no hashed identifier;
  // any key may take it over, as the ledger itself allows.
  if (!manifest.identifier_key_check_hex().empty() &&
      manifest.identifier_key_check_hex() != check_hex) {
    return absl::FailedPreconditionError(
        check_hex.empty()
            ? "--identifier-key-file: the backup's phone and email "
              "identifiers are hashed with an identifier key; restore with "
              "the same --identifier-key-file"
            : "--identifier-key-file: the key differs from the one the "
              "backup was made under (its check value differs); phone and "
              "email lookups would find nobody");
  }
  return absl::OkStatus();
}

// OK when `data_dir` does not exist or is an empty directory.
absl::Status CheckDataDirEmpty(const std::filesystem::path& data_dir) {
  std::error_code error;
  const auto status = std::filesystem::symlink_status(data_dir, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return absl::OkStatus();
  }
  if (!std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data-dir: ", data_dir.string(),
        " exists and is no directory; a restore needs an empty or new one"));
  }
  if (!std::filesystem::is_empty(data_dir, error) || error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data-dir: ", data_dir.string(),
        " is not empty; a restore writes only into an empty or new "
        "directory (nothing was changed)"));
  }
  return absl::OkStatus();
}

// Copies the manifest's files from the backup's data/ into `staging` (new)
// and syncs them; returns the bytes copied.
absl::StatusOr<uint64_t> CopyFiles(const BackupManifest& manifest,
                                   const std::filesystem::path& source,
                                   const std::filesystem::path& staging) {
  std::error_code error;
  std::filesystem::create_directories(staging, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create ", staging.string(), ": ", error.message()));
  }
  uint64_t copied_bytes = 0;
  for (const loyalty::storage::v1::BackupFile& file : manifest.files()) {
    const std::filesystem::path target = staging / file.name();
    std::filesystem::copy_file(source / file.name(), target, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot copy ", (source / file.name()).string(), " to ",
                       target.string(), ": ", error.message()));
    }
    LEDGER_RETURN_IF_ERROR(SyncPath(target.string()));
    copied_bytes += file.size_bytes();
  }
  LEDGER_RETURN_IF_ERROR(SyncPath(staging.string()));
  return copied_bytes;
}

// Opens the copy in `staging` as loyaltyd would and verifies the whole
// ledger; DataLoss unless it checks and its head is the manifest's.
absl::StatusOr<loyalty::v1::VerifyLedgerResponse> VerifyCopy(
    const RestoreOptions& options, const BackupManifest& manifest,
    const std::string& staging) {
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<LedgerStore> store,
                          options.open_store(staging));
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<Ledger> ledger,
                          Ledger::Open(store.get(), options.program,
                                       options.clock, options.ledger));
  absl::StatusOr<loyalty::v1::VerifyLedgerResponse> verify = ledger->Verify();
  ledger.reset();  // Before the store it reads.
  if (!verify.ok()) return verify.status();
  if (!verify->ok()) {
    return absl::DataLossError(absl::StrCat(
        "--restore-from: the restored ledger does not verify (",
        verify->problems_size(), " problems): ",
        absl::StrJoin(
            verify->problems().begin(),
            verify->problems().begin() + std::min(verify->problems_size(), 3),
            "; ")));
  }
  if (verify->last_sequence() != manifest.last_sequence() ||
      verify->last_hash_hex() != manifest.last_hash_hex()) {
    return absl::DataLossError(absl::StrCat(
        "--restore-from: the restored ledger ends at entry ",
        verify->last_sequence(), " (hash ", verify->last_hash_hex(),
        "); the manifest says entry ", manifest.last_sequence(), " (hash ",
        manifest.last_hash_hex(), ")"));
  }
  return verify;
}

}  // namespace

absl::StatusOr<RestoreReport> RestoreBackup(const RestoreOptions& options) {
  LEDGER_CHECK(options.open_store != nullptr);
  LEDGER_CHECK(options.clock != nullptr);
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data-dir: is required");
  }
  RestoreReport report;
  absl::StatusOr<BackupManifest> manifest =
      ReadBackupManifest(options.backup_path);
  if (!manifest.ok()) {
    return absl::Status(
        manifest.status().code(),
        absl::StrCat("--restore-from: ", manifest.status().message()));
  }
  report.manifest = *std::move(manifest);
  LEDGER_RETURN_IF_ERROR(
      CheckManifest(report.manifest, options.ledger.identifier_key));
  // Without a trailing slash, so that the staging directory is a sibling.
  const std::filesystem::path data_dir =
      std::filesystem::path(options.data_dir).lexically_normal();
  const std::filesystem::path data_path =
      data_dir.has_filename() ? data_dir : data_dir.parent_path();
  LEDGER_RETURN_IF_ERROR(CheckDataDirEmpty(data_path));
  const std::filesystem::path staging = data_path.string() + ".restoring";
  std::error_code error;
  if (std::filesystem::symlink_status(staging, error).type() !=
      std::filesystem::file_type::not_found) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--data-dir: ", staging.string(),
        " exists: an earlier restore was cut short; remove it and restore "
        "again"));
  }

  absl::Status restored = [&]() -> absl::Status {
    LEDGER_ASSIGN_OR_RETURN(
        report.copied_bytes,
        CopyFiles(
            report.manifest,
            std::filesystem::path(options.backup_path) / kBackupDataDirName,
            staging));
    LEDGER_ASSIGN_OR_RETURN(
        report.verify, VerifyCopy(options, report.manifest, staging.string()));
    // rename(2) replaces an empty data directory in one step.
    std::error_code rename_error;
    std::filesystem::rename(staging, data_path, rename_error);
    if (rename_error) {
      return absl::UnavailableError(
          absl::StrCat("cannot rename ", staging.string(), " to ",
                       data_path.string(), ": ", rename_error.message()));
    }
    const std::filesystem::path parent =
        data_path.has_parent_path() ? data_path.parent_path() : ".";
    return SyncPath(parent.string());
  }();
  if (!restored.ok()) {
    std::filesystem::remove_all(staging, error);
    return restored;
  }
  return report;
}

}  // namespace loyalty
