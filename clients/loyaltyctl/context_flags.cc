// File: clients/loyaltyctl/context_flags.cc

#include "clients/loyaltyctl/context_flags.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/request_id.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Channel;
using loyalty::v1::RequestContext;

struct ChannelName {
  absl::string_view name;
  Channel channel;
};

// The channels a LoyaltyService request may name. CHANNEL_ADMIN is left out:
// admin requests go through AdminService, which sets it.
constexpr ChannelName kChannelNames[] = {
    {"pos", loyalty::v1::CHANNEL_POS},
    {"app", loyalty::v1::CHANNEL_APP},
    {"web", loyalty::v1::CHANNEL_WEB},
    {"partner", loyalty::v1::CHANNEL_PARTNER},
};

absl::StatusOr<RequestContext> BuildContextFor(const ContextFlags& flags,
                                               Channel channel) {
  std::string request_id = flags.request_id;
  if (request_id.empty()) {
    absl::StatusOr<std::string> generated = GenerateRequestId();
    if (!generated.ok()) return generated.status();
    request_id = *std::move(generated);
  }
  RequestContext context;
  context.set_request_id(std::move(request_id));
  context.set_channel(channel);
  context.set_store_id(flags.store_id);
  context.set_terminal_id(flags.terminal_id);
  context.set_occurred_at_ms(flags.occurred_at_ms);
  return context;
}

}  // namespace

void AddContextFlags(CLI::App* command, ContextFlags* flags) {
  command
      ->add_option("--request-id", flags->request_id,
                   "Idempotency key; reuse it to retry safely "
                   "(default: a fresh ctl-<128-bit hex> id)")
      ->type_name("ID")
      ->check(NotEmptyCheck());
  command->add_option("--store", flags->store_id, "Store id")->type_name("ID");
  command->add_option("--terminal", flags->terminal_id, "Terminal id")
      ->type_name("ID");
  command
      ->add_option("--occurred-at-ms", flags->occurred_at_ms,
                   "When it happened at the channel, Unix epoch ms "
                   "(default 0: now)")
      ->type_name("MS")
      ->transform(DecimalIntegerCheck(INT64_MIN, INT64_MAX));
}

void AddChannelFlag(CLI::App* command, ContextFlags* flags) {
  command
      ->add_option("--channel", flags->channel_name,
                   "Channel the request speaks for: pos (needs --store), app, "
                   "web or partner")
      ->type_name("NAME")
      ->capture_default_str();
}

absl::StatusOr<Channel> ParseChannelName(absl::string_view name) {
  for (const ChannelName& entry : kChannelNames) {
    if (absl::EqualsIgnoreCase(name, entry.name)) return entry.channel;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--channel: \"", name,
                   "\" is not a channel; use pos, app, web or partner"));
}

absl::StatusOr<RequestContext> BuildRequestContext(const ContextFlags& flags) {
  absl::StatusOr<Channel> channel = ParseChannelName(flags.channel_name);
  if (!channel.ok()) return channel.status();
  return BuildContextFor(flags, *channel);
}

absl::StatusOr<RequestContext> BuildAdminRequestContext(
    const ContextFlags& flags) {
  return BuildContextFor(flags, loyalty::v1::CHANNEL_ADMIN);
}

}  // namespace loyalty::ctl
