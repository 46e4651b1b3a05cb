// File: clients/loyaltyctl/watch_command.cc
//
// `loyaltyctl watch`: the change stream (AdminService.WatchEntries) as JSON
// lines, one entry each, for piping into other tools. Every entry is
// checked against its hash, and, without filters, against the chain (the
// client library's EntryChainVerifier): an entry that does not check stops
// the command with exit 3. It runs until interrupted, or with --stop-at-head
// until it has caught up with the ledger's head.
//   watch [--from-sequence N] [--prev-hash HEX] [--member ID]... [--kind K]...
//         [--channel C]... [--heartbeat-ms N] [--heartbeats] [--stop-at-head]

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/output.h"
#include "loyalty/client/entry_chain.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::WatchEntriesRequest;
using loyalty::v1::WatchEntriesResponse;

struct WatchFlags {
  uint64_t from_sequence = 1;
  std::string prev_hash_hex;
  std::vector<std::string> members;
  std::vector<std::string> kinds;
  std::vector<std::string> channels;
  int64_t heartbeat_ms = 0;
  bool heartbeats = false;
  bool stop_at_head = false;
};

// "earn" or "ENTRY_KIND_EARN" -> ENTRY_KIND_EARN.
absl::StatusOr<loyalty::v1::EntryKind> ParseKind(const std::string& name) {
  std::string upper = absl::AsciiStrToUpper(name);
  if (!absl::StartsWith(upper, "ENTRY_KIND_")) upper = "ENTRY_KIND_" + upper;
  loyalty::v1::EntryKind kind;
  if (!loyalty::v1::EntryKind_Parse(upper, &kind) ||
      kind == loyalty::v1::ENTRY_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--kind: \"", name, "\" is not an entry kind (e.g. earn, redeem)"));
  }
  return kind;
}

// "pos" or "CHANNEL_POS" -> CHANNEL_POS; admin too (operators' entries).
absl::StatusOr<loyalty::v1::Channel> ParseChannel(const std::string& name) {
  std::string upper = absl::AsciiStrToUpper(name);
  if (!absl::StartsWith(upper, "CHANNEL_")) upper = "CHANNEL_" + upper;
  loyalty::v1::Channel channel;
  if (!loyalty::v1::Channel_Parse(upper, &channel) ||
      channel == loyalty::v1::CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channel: \"", name,
                     "\" is not a channel; use pos, app, web, partner or "
                     "admin"));
  }
  return channel;
}

absl::StatusOr<WatchEntriesRequest> BuildRequest(const WatchFlags& flags) {
  WatchEntriesRequest request;
  request.set_from_sequence(flags.from_sequence);
  request.set_heartbeat_interval_ms(flags.heartbeat_ms);
  for (const std::string& member : flags.members) {
    request.add_member_ids(member);
  }
  for (const std::string& name : flags.kinds) {
    absl::StatusOr<loyalty::v1::EntryKind> kind = ParseKind(name);
    if (!kind.ok()) return kind.status();
    request.add_kinds(*kind);
  }
  for (const std::string& name : flags.channels) {
    absl::StatusOr<loyalty::v1::Channel> channel = ParseChannel(name);
    if (!channel.ok()) return channel.status();
    request.add_channels(*channel);
  }
  return request;
}

ExitCode RunWatch(const GlobalFlags& global, const WatchFlags& flags) {
  absl::StatusOr<WatchEntriesRequest> request = BuildRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  std::string prev_hash;
  if (!flags.prev_hash_hex.empty()) {
    if (flags.prev_hash_hex.size() != 64 ||
        !absl::c_all_of(flags.prev_hash_hex, absl::ascii_isxdigit)) {
      return ReportBadInput(absl::InvalidArgumentError(
          "--prev-hash: must be 64 hex digits (the hash of the entry before "
          "--from-sequence)"));
    }
    prev_hash = absl::HexStringToBytes(flags.prev_hash_hex);
  }
  const Connection connection(global);
  if (!connection.status().ok()) return ReportBadInput(connection.status());
  // Filters leave gaps in the chain: each entry is then checked alone.
  const bool contiguous = request->member_ids().empty() &&
                          request->kinds().empty() &&
                          request->channels().empty();
  loyalty::client::EntryChainVerifier chain(flags.from_sequence - 1,
                                            std::move(prev_hash));
  uint64_t next_sequence = flags.from_sequence;
  bool caught_up = false;
  absl::Status broken;
  const absl::Status ended = connection.client().WatchEntries(
      *request, [&](const WatchEntriesResponse& response) -> absl::Status {
        for (const loyalty::v1::StreamedEntry& streamed : response.entries()) {
          absl::StatusOr<loyalty::v1::LedgerEntry> entry =
              chain.Accept(streamed, contiguous);
          if (!entry.ok()) {
            broken = entry.status();
            return broken;
          }
          if (PrintJson(*entry) != ExitCode::kOk) {
            broken = absl::DataLossError(absl::StrCat(
                "entry ", streamed.sequence(), " cannot be printed as JSON"));
            return broken;
          }
        }
        next_sequence = response.next_sequence();
        if (flags.heartbeats && response.entries().empty()) {
          std::cout << "{\"heartbeat\":{\"next_sequence\":\""
                    << response.next_sequence() << "\",\"head_sequence\":\""
                    << response.head_sequence() << "\",\"server_time_ms\":\""
                    << response.server_time_ms() << "\"}}\n";
        }
        std::cout.flush();
        if (flags.stop_at_head &&
            response.next_sequence() > response.head_sequence()) {
          caught_up = true;
          return absl::CancelledError("caught up");
        }
        return absl::OkStatus();
      });
  if (caught_up) return ExitCode::kOk;
  if (!broken.ok()) {
    return ReportBadResponse(absl::StrCat(
        "watch: ", broken.message(), "; stopped at sequence ",
        next_sequence));
  }
  std::cerr << "loyaltyctl: watch: the stream ended; resume with "
               "--from-sequence "
            << next_sequence;
  if (contiguous && !chain.last_hash().empty()) {
    std::cerr << " --prev-hash " << absl::BytesToHexString(chain.last_hash());
  }
  std::cerr << "\n";
  return ReportRpcFailure(ended, /*retry_request_id=*/"");
}

}  // namespace

Command DefineWatchCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<WatchFlags>();
  CLI::App* command = app->add_subcommand(
      "watch",
      "Print the change stream as JSON lines, each entry checked against "
      "its hash and the chain (AdminService.WatchEntries)");
  command
      ->add_option("--from-sequence", flags->from_sequence,
                   "First sequence to print (default 1: the whole ledger)")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(1, INT64_MAX));
  command
      ->add_option("--prev-hash", flags->prev_hash_hex,
                   "Hex hash of the entry before --from-sequence, to check "
                   "the chain across a resume")
      ->type_name("HEX");
  command->add_option("--member", flags->members, "Only this member's entries")
      ->type_name("ID");
  command->add_option("--kind", flags->kinds, "Only entries of this kind")
      ->type_name("KIND");
  command
      ->add_option("--channel", flags->channels, "Only entries of this channel")
      ->type_name("NAME");
  command
      ->add_option("--heartbeat-ms", flags->heartbeat_ms,
                   "Heartbeat interval (default 0: the server's, 5000)")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(0, 60'000));
  command->add_flag("--heartbeats", flags->heartbeats,
                    "Also print heartbeats as {\"heartbeat\": ...} lines");
  command->add_flag("--stop-at-head", flags->stop_at_head,
                    "Exit 0 once caught up with the ledger's head");
  return {command, [global, flags] { return RunWatch(*global, *flags); }};
}

}  // namespace loyalty::ctl
