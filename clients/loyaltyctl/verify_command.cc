// File: clients/loyaltyctl/verify_command.cc
//
// `loyaltyctl verify`: has the server replay the whole ledger and check the
// sequence, the hash chain and every stored balance
// (AdminService.VerifyLedger). Exits 1 when the ledger fails, so cron jobs
// and scripts can alert on it.

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
using loyalty::v1::VerifyLedgerResponse;

void PrintVerification(const VerifyLedgerResponse& response) {
  const std::string problem_count =
      response.problems().empty() ? "none"
                                  : absl::StrCat(response.problems_size());
  PrintFields(std::cout,
              {
                  {"ledger", response.ok() ? "ok" : "NOT OK"},
                  {"entries checked", absl::StrCat(response.entries_checked())},
                  {"members checked", absl::StrCat(response.members_checked())},
                  {"last sequence", absl::StrCat(response.last_sequence())},
                  {"last hash", OrDash(response.last_hash_hex())},
                  {"problems", problem_count},
              });
  for (const std::string& problem : response.problems()) {
    std::cout << "  " << problem << '\n';
  }
}

ExitCode RunVerify(const GlobalFlags& global) {
  const Connection connection(global);
  VerifyLedgerResponse response;
  const ExitCode sent = connection.Call(&AdminService::Stub::VerifyLedger,
                                        loyalty::v1::VerifyLedgerRequest(),
                                        &response, /*retry_request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  const ExitCode printed = PrintResponse(global, response, &PrintVerification);
  if (printed != ExitCode::kOk) return printed;
  return response.ok() ? ExitCode::kOk : ExitCode::kLedgerNotOk;
}

}  // namespace

Command DefineVerifyCommand(CLI::App* app, const GlobalFlags* global) {
  CLI::App* command = app->add_subcommand(
      "verify",
      "Check the whole ledger on the server (AdminService.VerifyLedger); "
      "large ledgers need a larger --timeout-ms");
  return {command, [global] { return RunVerify(*global); }};
}

}  // namespace loyalty::ctl
