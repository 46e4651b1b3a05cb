// File: clients/loyaltyctl/main.cc
//
// loyaltyctl: the admin and demo command line client of Loyalty Ledger.
//
//   loyaltyctl [--server ADDR] [--api-key KEY] [--timeout-ms MS] [--json]
//              COMMAND [flags]
//
// Commands (each one's --help lists its flags):
//   enroll                       a new member, with its identifiers
//   earn, quote, event           points for a purchase (quote: computed,
//                                not written) or an engagement event
//   redeem, return               spend points; a return of bought goods
//   balance, history             a member's points; its statement
//   member show|lookup|history   one member, by id or by an identifier
//   member link|unlink           give a member an identifier, or take it away
//   member close                 close a member for good
//   transfer                     give points to another member
//   merge                        two members who are one person
//   export                       a member's statement as CSV
//   import                       legacy balances from a CSV file
//   adjust                       an operator's credit or debit
//   coupon issue|show|validate|redeem|reserve|commit|release
//                                a member's coupons (earn and quote take
//                                --coupon for the codes used on an order)
//   voucher issue|show|redeem|transfer|gift|claim|refund
//                                prepaid vouchers: bought online, picked up
//                                in parts, given away, refunded
//   reward list|redeem|cancel    the rewards catalog: points for coupons
//                                and vouchers, cancelled for points back
//   verify                       replay the whole ledger and check it
//   reconciliations              offline redemptions taken into debt,
//                                written off or refused
// Text output is for people; --json prints the response as one JSON object
// on stdout, for scripts. Errors are one line on stderr, "loyaltyctl: ...".
//
// Exit codes (also at the end of every --help; see exit_code.h):
//   0  success.
//   1  verify: the ledger failed its checks (the answer has ok = false).
//   2  bad flags or values (missing flag, unparseable --line, unknown
//      channel, ...). Nothing was sent.
//   3  the server rejected the request: INVALID_ARGUMENT, NOT_FOUND,
//      FAILED_PRECONDITION, ALREADY_EXISTS, UNAUTHENTICATED,
//      PERMISSION_DENIED, INTERNAL and every other non-transient code, or an
//      answer the CLI cannot use. Retrying it unchanged won't help.
//   4  transient: UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED. A
//      retry may work; retry a write with the same --request-id, so that it
//      applies at most once.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/exit_code.h"
#include "clients/loyaltyctl/global_flags.h"

namespace loyalty::ctl {
namespace {

// --help arrives as a ParseError too, with a success exit code; CLI11 prints
// the help. Every other one is bad input, reported on one line (CLI11's own
// report takes two and uses its own exit codes).
ExitCode ReportParseError(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    app.exit(error);
    return ExitCode::kOk;
  }
  return ReportBadInput(absl::InvalidArgumentError(error.what()));
}

ExitCode ReportMissingCommand(const std::vector<Command>& commands) {
  std::vector<std::string> names;
  for (const Command& command : commands) {
    names.push_back(command.app->get_name());
  }
  return ReportBadInput(absl::InvalidArgumentError(
      absl::StrCat("a command is required: ", absl::StrJoin(names, ", "),
                   " (see loyaltyctl --help)")));
}

ExitCode Run(int argc, char** argv) {
  CLI::App app("loyaltyctl: admin and demo client of Loyalty Ledger",
               "loyaltyctl");
  // Set before the commands are added, which inherit it: global flags may
  // then follow the command, as in `loyaltyctl balance --member m-1 --json`.
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.footer(kExitCodeHelp);
  GlobalFlags global;
  AddGlobalFlags(&app, &global);
  const std::vector<Command> commands = DefineCommands(&app, &global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return ReportParseError(app, error);
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return ReportMissingCommand(commands);
}

}  // namespace
}  // namespace loyalty::ctl

int main(int argc, char** argv) {
  return static_cast<int>(loyalty::ctl::Run(argc, argv));
}
