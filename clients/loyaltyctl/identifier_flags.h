// File: clients/loyaltyctl/identifier_flags.h
//
// The identifier flags of `member lookup`, `member link` and `member unlink`:
// --card, --phone, --email, --app-user and --partner, of which a command
// takes exactly one. Values go to the server as typed; it normalises phones
// (E.164) and emails (trimmed, lower case) and keeps only their hash.
//
//   IdentifierFlags flags;
//   AddIdentifierFlags(command, &flags);
//   ... after parsing:
//   absl::StatusOr<loyalty::v1::MemberIdentifier> identifier =
//       BuildIdentifier(flags);

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_IDENTIFIER_FLAGS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_IDENTIFIER_FLAGS_H_

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::ctl {

// Each flag is unset (nullopt) unless given; a given flag is never empty.
struct IdentifierFlags {
  std::optional<std::string> card_number;
  std::optional<std::string> phone;
  std::optional<std::string> email;
  std::optional<std::string> app_user_id;
  std::optional<std::string> partner_account;
};

// Adds the five identifier flags to `command`. CLI11 writes into *flags,
// which must outlive `command`.
void AddIdentifierFlags(CLI::App* command, IdentifierFlags* flags);

// The one identifier the flags name. Returns kInvalidArgument, naming the
// flags, when none or more than one was given.
absl::StatusOr<loyalty::v1::MemberIdentifier> BuildIdentifier(
    const IdentifierFlags& flags);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_IDENTIFIER_FLAGS_H_
