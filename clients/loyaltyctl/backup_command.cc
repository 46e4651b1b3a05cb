// File: clients/loyaltyctl/backup_command.cc
//
// `loyaltyctl backup NAME`: has the server make a consistent backup of the
// whole ledger into its --backup-dir under NAME while it keeps serving
// (AdminService.Backup), and prints what the backup holds: the head it
// ends at (what a restore checks), files, bytes and the time it took.
// loyaltyd --restore-from restores it (README, "Backup and restore").

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::AdminService;
using loyalty::v1::BackupRequest;
using loyalty::v1::BackupResponse;

// A backup flushes and links (or copies) every file of the ledger: its
// deadline is at least this, whatever --timeout-ms says, so a deadline
// cannot cut a backup that is still being made (a retry would then find it
// running, BACKUP_IN_PROGRESS).
constexpr int64_t kBackupTimeoutMsMin = 10 * 60 * 1000;

void PrintBackup(const BackupResponse& response) {
  PrintFields(
      std::cout,
      {
          {"backup", response.name()},
          {"last sequence", absl::StrCat(response.last_sequence())},
          {"last hash", OrDash(response.last_hash_hex())},
          {"files", absl::StrCat(response.files())},
          {"size bytes", absl::StrCat(response.size_bytes())},
          {"made at", FormatTimeUtc(response.created_at_ms())},
          {"took ms", absl::StrCat(response.duration_ms())},
          {"identifier key check", OrDash(response.identifier_key_check_hex())},
      });
}

ExitCode RunBackup(const GlobalFlags& global, const std::string& name) {
  GlobalFlags flags = global;
  flags.timeout_ms = std::max(flags.timeout_ms, kBackupTimeoutMsMin);
  const Connection connection(flags);
  BackupRequest request;
  request.set_name(name);
  BackupResponse response;
  const ExitCode sent = connection.Call(&AdminService::Stub::Backup, request,
                                        &response, /*retry_request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintBackup);
}

}  // namespace

Command DefineBackupCommand(CLI::App* app, const GlobalFlags* global) {
  auto name = std::make_shared<std::string>();
  CLI::App* command = app->add_subcommand(
      "backup",
      "Back the whole ledger up on the server, while it serves, into its "
      "--backup-dir under NAME (AdminService.Backup); restore with loyaltyd "
      "--restore-from BACKUP_DIR/NAME");
  command
      ->add_option("NAME", *name,
                   "The backup's name: 1..64 of A-Z, a-z, 0-9, '.', '_' and "
                   "'-', starting with a letter or digit (e.g. "
                   "2026-12-07T0300)")
      ->required();
  return {command, [global, name] { return RunBackup(*global, *name); }};
}

}  // namespace loyalty::ctl
