// File: clients/loyaltyctl/context_flags.h
//
// Flags of every mutating command that fill its RequestContext: the request
// id that makes a retry safe, and where the request came from.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_CONTEXT_FLAGS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_CONTEXT_FLAGS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::ctl {

struct ContextFlags {
  // Empty when --request-id was not given: a fresh id is generated.
  std::string request_id;
  // A name accepted by ParseChannelName.
  std::string channel_name = "app";
  std::string store_id;
  std::string terminal_id;
  // 0 means "now" to the server.
  int64_t occurred_at_ms = 0;
};

// Adds --request-id, --store, --terminal and --occurred-at-ms to `command`.
// CLI11 writes into *flags, which must outlive `command`.
void AddContextFlags(CLI::App* command, ContextFlags* flags);

// Adds --channel to `command`. Admin commands leave it out: they always act
// as CHANNEL_ADMIN.
void AddChannelFlag(CLI::App* command, ContextFlags* flags);

// Maps a --channel value ("pos", "app", "web", "partner"; any case) to its
// Channel. Returns kInvalidArgument, naming the flag, for anything else.
absl::StatusOr<loyalty::v1::Channel> ParseChannelName(absl::string_view name);

// Builds the context of a LoyaltyService request from the flags, with the
// channel from --channel and a generated request id when none was given.
// Returns kInvalidArgument for an unknown channel, or kUnavailable when no
// request id can be generated.
absl::StatusOr<loyalty::v1::RequestContext> BuildRequestContext(
    const ContextFlags& flags);

// Like BuildRequestContext, for AdminService: the channel is CHANNEL_ADMIN
// whatever flags.channel_name says.
absl::StatusOr<loyalty::v1::RequestContext> BuildAdminRequestContext(
    const ContextFlags& flags);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_CONTEXT_FLAGS_H_
