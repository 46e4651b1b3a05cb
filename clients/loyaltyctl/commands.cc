// File: clients/loyaltyctl/commands.cc

#include "clients/loyaltyctl/commands.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/errors.h"

namespace loyalty::ctl {
namespace {

constexpr char kGlobalFlagsHint[] =
    "Global flags --server, --api-key, --timeout-ms, --retries and --json "
    "work here too;\nsee loyaltyctl --help.";

}  // namespace

ExitCode RunParsedSubcommand(absl::string_view parent,
                             const std::vector<Command>& subcommands) {
  std::vector<std::string> names;
  for (const Command& subcommand : subcommands) {
    if (subcommand.app->parsed()) return subcommand.run();
    names.push_back(subcommand.app->get_name());
  }
  // require_subcommand(1) makes the parse fail without one, so this is
  // reached only if that breaks.
  return ReportBadInput(absl::InvalidArgumentError(
      absl::StrCat(parent, ": a subcommand is required: ",
                   absl::StrJoin(names, ", "))));
}

std::vector<Command> DefineCommands(CLI::App* app, const GlobalFlags* global) {
  std::vector<Command> commands = {
      DefineEnrollCommand(app, global),   DefineEarnCommand(app, global),
      DefineQuoteCommand(app, global),    DefineEventCommand(app, global),
      DefineRedeemCommand(app, global),   DefineReturnCommand(app, global),
      DefineBalanceCommand(app, global),  DefineMemberCommand(app, global),
      DefineTransferCommand(app, global), DefineMergeCommand(app, global),
      DefineCouponCommand(app, global),   DefineVoucherCommand(app, global),
      DefineRewardCommand(app, global),   DefineWalletCommand(app, global),
      DefineExportCommand(app, global),   DefineImportCommand(app, global),
      DefineHistoryCommand(app, global),  DefineAdjustCommand(app, global),
      DefineVerifyCommand(app, global),
      DefineReconciliationsCommand(app, global),
      DefineWatchCommand(app, global),
      DefineBackupCommand(app, global),
  };
  // A command's --help lists only its own flags and is the help operators
  // read most, so it points to the global flags and repeats the exit codes.
  const std::string footer =
      absl::StrCat(kGlobalFlagsHint, "\n\n", kExitCodeHelp);
  for (Command& command : commands) {
    command.app->footer(footer);
    // Subcommands of a command (member show, ...) are commands too.
    for (CLI::App* subcommand : command.app->get_subcommands({})) {
      subcommand->footer(footer);
    }
  }
  return commands;
}

}  // namespace loyalty::ctl
