// File: clients/loyaltyctl/commands.h
//
// The subcommands of loyaltyctl. Each Define*Command adds one subcommand and
// its flags to the CLI11 app and returns how to run it once parsing is done.
// A command's run() goes parse → send → print: it turns its flags into a
// request (bad input: exit 2, nothing sent), sends it, and prints the answer.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_COMMANDS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

#include "absl/strings/string_view.h"

#include "clients/loyaltyctl/exit_code.h"
#include "clients/loyaltyctl/global_flags.h"

namespace loyalty::ctl {

struct Command {
  // The subcommand; owned by the parent CLI::App.
  CLI::App* app;
  // Runs the command with the parsed flags. Call only after a successful
  // parse that selected `app`.
  std::function<ExitCode()> run;
};

// `global` must outlive the returned commands.
Command DefineEnrollCommand(CLI::App* app, const GlobalFlags* global);
Command DefineEarnCommand(CLI::App* app, const GlobalFlags* global);
Command DefineQuoteCommand(CLI::App* app, const GlobalFlags* global);
Command DefineRedeemCommand(CLI::App* app, const GlobalFlags* global);
Command DefineReturnCommand(CLI::App* app, const GlobalFlags* global);
Command DefineEventCommand(CLI::App* app, const GlobalFlags* global);
Command DefineBalanceCommand(CLI::App* app, const GlobalFlags* global);
Command DefineHistoryCommand(CLI::App* app, const GlobalFlags* global);
Command DefineAdjustCommand(CLI::App* app, const GlobalFlags* global);
Command DefineVerifyCommand(CLI::App* app, const GlobalFlags* global);
Command DefineMemberCommand(CLI::App* app, const GlobalFlags* global);
Command DefineTransferCommand(CLI::App* app, const GlobalFlags* global);
Command DefineMergeCommand(CLI::App* app, const GlobalFlags* global);
Command DefineExportCommand(CLI::App* app, const GlobalFlags* global);
Command DefineImportCommand(CLI::App* app, const GlobalFlags* global);

Command DefineCouponCommand(CLI::App* app, const GlobalFlags* global);
Command DefineVoucherCommand(CLI::App* app, const GlobalFlags* global);
Command DefineRewardCommand(CLI::App* app, const GlobalFlags* global);
Command DefineWalletCommand(CLI::App* app, const GlobalFlags* global);
Command DefineReconciliationsCommand(CLI::App* app, const GlobalFlags* global);
Command DefineWatchCommand(CLI::App* app, const GlobalFlags* global);
Command DefineBackupCommand(CLI::App* app, const GlobalFlags* global);

// Runs the one subcommand of `parent` that CLI11 parsed (the parent
// requires exactly one).
ExitCode RunParsedSubcommand(absl::string_view parent,
                             const std::vector<Command>& subcommands);

// Defines every command above, in the order --help lists them.
std::vector<Command> DefineCommands(CLI::App* app, const GlobalFlags* global);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_COMMANDS_H_
