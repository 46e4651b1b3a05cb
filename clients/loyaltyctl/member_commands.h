// File: clients/loyaltyctl/member_commands.h
//
// The subcommands of `loyaltyctl member` that live in their own files. Each
// adds itself to the `member` command and returns how to run it, like the
// top-level commands in commands.h.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_MEMBER_COMMANDS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_MEMBER_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/global_flags.h"

namespace loyalty::ctl {

// `member link` and `member unlink` (LoyaltyService.LinkIdentifier and
// UnlinkIdentifier). `global` must outlive the returned commands.
Command DefineMemberLinkCommand(CLI::App* member, const GlobalFlags* global);
Command DefineMemberUnlinkCommand(CLI::App* member, const GlobalFlags* global);

// `member close` (AdminService.CloseMember), in close_command.cc. `global`
// must outlive the returned command.
Command DefineMemberCloseCommand(CLI::App* member, const GlobalFlags* global);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_MEMBER_COMMANDS_H_
