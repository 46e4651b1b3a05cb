// File: ledger/backup/backup.cc
//
// WriteBackup: checkpoint into ROOT/.NAME.partial/data, read the copy's
// head, list its files, write the manifest last, rename to ROOT/NAME.
// ReadBackupManifest: the same layout, checked before a restore copies.
#include "ledger/backup/backup.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "ledger/backup/files.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/text_format_errors.h"
#include "ledger/engine/ledger.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::BackupManifest;
using loyalty::storage::v1::LedgerHead;

bool IsNameCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '-';
}

// The head the copy's entries end at: the stored head, or the genesis head
// of a ledger that has no entry yet.
absl::StatusOr<LedgerHead> ReadCopyHead(const StoreReader& copy) {
  absl::StatusOr<std::string> bytes =
      copy.Get(Family::kMeta, std::string(kHeadKey));
  LedgerHead head;
  if (absl::IsNotFound(bytes.status())) {
    head.set_last_sequence(0);
    head.set_last_hash(GenesisHash());
    head.set_schema_version(kLedgerSchemaVersion);
    return head;
  }
  if (!bytes.ok()) return bytes.status();
  if (!head.ParseFromString(*bytes)) {
    return absl::DataLossError("the backup's ledger head cannot be decoded");
  }
  return head;
}

// Writes `text` to `path` so that a reader sees all of it or no file:
// a temporary file beside it, synced, renamed, and the directory synced.
absl::Status WriteFileAtomically(const std::filesystem::path& path,
                                 const std::string& text) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", temporary.string()));
    }
  }
  LEDGER_RETURN_IF_ERROR(SyncPath(temporary.string()));
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        "cannot rename ", temporary.string(), ": ", error.message()));
  }
  return SyncPath(path.parent_path().string());
}

// Fills the manifest's file list from data/ and syncs every file and the
// directory (the checkpoint's links and copies).
absl::Status RecordFiles(const std::filesystem::path& data,
                         BackupManifest& manifest) {
  LEDGER_ASSIGN_OR_RETURN(auto files, ListFlatDirectory(data.string()));
  uint64_t size_bytes = 0;
  for (const auto& [name, size] : files) {
    LEDGER_RETURN_IF_ERROR(SyncPath((data / name).string()));
    loyalty::storage::v1::BackupFile* file = manifest.add_files();
    file->set_name(name);
    file->set_size_bytes(size);
    size_bytes += size;
  }
  manifest.set_size_bytes(size_bytes);
  return SyncPath(data.string());
}

// Makes the backup in `partial` (which does not exist yet) and returns its
// manifest, written last.
absl::StatusOr<BackupManifest> BuildBackup(
    const LedgerStore& store, const std::filesystem::path& partial,
    const std::string& identifier_key_check, int64_t created_at_ms,
    std::chrono::steady_clock::time_point started) {
  std::error_code error;
  std::filesystem::create_directory(partial, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create ", partial.string(), ": ", error.message()));
  }
  const std::filesystem::path data = partial / kBackupDataDirName;
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<StoreReader> copy,
                          store.Checkpoint(data.string()));
  LEDGER_ASSIGN_OR_RETURN(LedgerHead head, ReadCopyHead(*copy));
  copy.reset();  // Closed before its files are listed and synced.

  BackupManifest manifest;
  manifest.set_format_version(kBackupFormatVersion);
  manifest.set_schema_version(head.schema_version());
  manifest.set_program_id(head.program_id());
  manifest.set_last_sequence(head.last_sequence());
  manifest.set_last_hash_hex(HexEncode(head.last_hash()));
  manifest.set_identifier_key_check_hex(HexEncode(identifier_key_check));
  manifest.set_created_at_ms(created_at_ms);
  LEDGER_RETURN_IF_ERROR(RecordFiles(data, manifest));
  manifest.set_duration_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started)
          .count());
  std::string text;
  google::protobuf::TextFormat::PrintToString(manifest, &text);
  LEDGER_RETURN_IF_ERROR(WriteFileAtomically(
      partial / kBackupManifestFileName,
      absl::StrCat("# Loyalty Ledger backup manifest (loyalty.storage.v1."
                   "BackupManifest). Written last: a backup without it is "
                   "not whole.\n",
                   text)));
  return manifest;
}

}  // namespace

absl::Status ValidateBackupName(absl::string_view name,
                                absl::string_view field) {
  if (name.empty() || name.size() > kBackupNameLengthMax) {
    return InvalidField(
        field,
        absl::StrCat("must have 1 to ", kBackupNameLengthMax, " characters"));
  }
  if (!absl::ascii_isalnum(static_cast<unsigned char>(name.front()))) {
    return InvalidField(field, "must start with a letter or a digit");
  }
  for (char c : name) {
    if (!IsNameCharacter(c)) {
      return InvalidField(
          field,
          "may hold only letters, digits, '.', '_' and '-' (it names "
          "a directory under --backup-dir, never a path)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BackupManifest> WriteBackup(
    const LedgerStore& store, const std::string& root, const std::string& name,
    const std::string& identifier_key_check, const Clock& clock) {
  LEDGER_RETURN_IF_ERROR(ValidateBackupName(name, "name"));
  const auto started = std::chrono::steady_clock::now();
  const int64_t created_at_ms = clock.NowMs();
  const std::filesystem::path final_path = std::filesystem::path(root) / name;
  const std::filesystem::path partial =
      std::filesystem::path(root) / absl::StrCat(".", name, ".partial");
  std::error_code error;
  if (std::filesystem::symlink_status(final_path, error).type() !=
      std::filesystem::file_type::not_found) {
    return WithReason(absl::AlreadyExistsError(absl::StrCat(
                          "name: a backup named \"", name, "\" exists in ",
                          root, "; choose another name")),
                      loyalty::v1::ERROR_REASON_BACKUP_EXISTS);
  }
  // What a backup of this name cut short by a crash left; never a whole
  // backup (that would be at final_path).
  std::filesystem::remove_all(partial, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot remove the unfinished ",
                                               partial.string(), ": ",
                                               error.message()));
  }
  absl::StatusOr<BackupManifest> manifest =
      BuildBackup(store, partial, identifier_key_check, created_at_ms, started);
  if (manifest.ok()) {
    std::filesystem::rename(partial, final_path, error);
    if (error) {
      manifest = absl::UnavailableError(absl::StrCat(
          "cannot rename ", partial.string(), ": ", error.message()));
    } else {
      absl::Status synced = SyncPath(root);
      if (!synced.ok()) {
        // Not known to be durable: take it back rather than answer OK.
        std::filesystem::remove_all(final_path, error);
        manifest = synced;
      }
    }
  }
  if (!manifest.ok()) std::filesystem::remove_all(partial, error);
  return manifest;
}

absl::StatusOr<BackupManifest> ReadBackupManifest(const std::string& path) {
  const std::filesystem::path backup(path);
  const std::filesystem::path manifest_path = backup / kBackupManifestFileName;
  std::error_code error;
  if (!std::filesystem::is_directory(backup, error)) {
    return absl::NotFoundError(
        absl::StrCat(path,
                     " is not a directory (a backup is the directory "
                     "NAME under loyaltyd's --backup-dir)"));
  }
  std::ifstream in(manifest_path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, " has no ", kBackupManifestFileName,
                     ": it is no whole backup (the manifest is written last)"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  BackupManifest manifest;
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &manifest)) {
    return absl::DataLossError(
        absl::StrCat(manifest_path.string(), ": ", errors.first_error()));
  }
  if (manifest.format_version() != kBackupFormatVersion) {
    return absl::DataLossError(absl::StrCat(
        manifest_path.string(), ": format_version ", manifest.format_version(),
        "; this build reads ", kBackupFormatVersion));
  }
  const std::filesystem::path data = backup / kBackupDataDirName;
  LEDGER_ASSIGN_OR_RETURN(auto present, ListFlatDirectory(data.string()));
  uint64_t size_bytes = 0;
  for (const loyalty::storage::v1::BackupFile& file : manifest.files()) {
    auto it = present.find(file.name());
    if (it == present.end()) {
      return absl::DataLossError(
          absl::StrCat(data.string(), "/", file.name(),
                       ": listed in the manifest, missing"));
    }
    if (it->second != file.size_bytes()) {
      return absl::DataLossError(
          absl::StrCat(data.string(), "/", file.name(), ": has ", it->second,
                       " bytes; the manifest says ", file.size_bytes()));
    }
    size_bytes += it->second;
    present.erase(it);
  }
  if (!present.empty()) {
    return absl::DataLossError(absl::StrCat(
        data.string(), "/", present.begin()->first,
        ": not listed in the manifest (the backup was changed after it was "
        "made)"));
  }
  if (manifest.files().empty() || size_bytes != manifest.size_bytes()) {
    return absl::DataLossError(absl::StrCat(
        manifest_path.string(), ": size_bytes ", manifest.size_bytes(),
        " is not the sum of its ", manifest.files_size(), " files"));
  }
  return manifest;
}

}  // namespace loyalty
