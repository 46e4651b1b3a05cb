// File: clients/loyaltyctl/commands.cc

#include "clients/loyaltyctl/commands.h"

namespace loyalty::ctl {

std::vector<Command> DefineCommands(CLI::App* app, const GlobalFlags* global) {
  std::vector<Command> commands = {
      DefineEnrollCommand(app, global),  DefineEarnCommand(app, global),
      DefineRedeemCommand(app, global),  DefineBalanceCommand(app, global),
      DefineHistoryCommand(app, global), DefineAdjustCommand(app, global),
      DefineVerifyCommand(app, global),
  };
  // Operators read a command's own --help most, so it repeats the codes.
  for (Command& command : commands) command.app->footer(kExitCodeHelp);
  return commands;
}

}  // namespace loyalty::ctl
