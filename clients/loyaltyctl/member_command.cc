// File: clients/loyaltyctl/member_command.cc
//
// `loyaltyctl member`: one member's record.
//   member show --member ID        the member, its balance and identifiers
//                                  (LoyaltyService.GetMember)
//   member lookup --card N | ...   the same, found by one identifier
//                                  (LoyaltyService.LookupMember)
//   member history --member ID     the newest --limit entries
//                                  (LoyaltyService.ListEntries)
//   member link | unlink           see link_command.cc
//   member close                   see close_command.cc

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/identifier_flags.h"
#include "clients/loyaltyctl/member_commands.h"
#include "clients/loyaltyctl/member_view.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/statement.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LoyaltyService;
using loyalty::v1::Member;

// Entries `member history` shows unless --limit says otherwise: one default
// page of the server.
constexpr int64_t kMemberHistoryLimitDefault = 50;
// Far above any one member's statement; keeps a typo from asking for
// billions of entries.
constexpr int64_t kMemberHistoryLimitMax = 1000000;

struct MemberShowFlags {
  std::string member_id;
};

struct MemberLookupFlags {
  IdentifierFlags identifier;
};

struct MemberHistoryFlags {
  std::string member_id;
  int64_t limit = kMemberHistoryLimitDefault;
};

void AddMemberIdFlag(CLI::App* command, std::string* member_id) {
  command->add_option("--member", *member_id, "Member id")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
}

ExitCode RunMemberShow(const GlobalFlags& global,
                       const MemberShowFlags& flags) {
  loyalty::v1::GetMemberRequest request;
  request.set_member_id(flags.member_id);
  const Connection connection(global);
  Member member;
  const ExitCode sent =
      connection.Call(&LoyaltyService::Stub::GetMember, request, &member,
                      /*retry_request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, member, &PrintMember);
}

ExitCode RunMemberLookup(const GlobalFlags& global,
                         const MemberLookupFlags& flags) {
  absl::StatusOr<loyalty::v1::MemberIdentifier> identifier =
      BuildIdentifier(flags.identifier);
  if (!identifier.ok()) return ReportBadInput(identifier.status());
  loyalty::v1::LookupMemberRequest request;
  *request.mutable_identifier() = *std::move(identifier);
  const Connection connection(global);
  Member member;
  const ExitCode sent =
      connection.Call(&LoyaltyService::Stub::LookupMember, request, &member,
                      /*retry_request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, member, &PrintMember);
}

ExitCode RunMemberHistory(const GlobalFlags& global,
                          const MemberHistoryFlags& flags) {
  StatementQuery query;
  query.member_id = flags.member_id;
  query.follow_pages = true;
  query.entries_max = flags.limit;
  const Connection connection(global);
  loyalty::v1::ListEntriesResponse history;
  const ExitCode fetched = FetchStatement(connection, query, &history);
  if (fetched != ExitCode::kOk) return fetched;
  return PrintResponse(global, history, &PrintStatement);
}

Command DefineMemberShowCommand(CLI::App* member, const GlobalFlags* global) {
  auto flags = std::make_shared<MemberShowFlags>();
  CLI::App* command = member->add_subcommand(
      "show",
      "Show a member: status, tier, balance and identifiers "
      "(LoyaltyService.GetMember)");
  AddMemberIdFlag(command, &flags->member_id);
  return {command, [global, flags] { return RunMemberShow(*global, *flags); }};
}

Command DefineMemberLookupCommand(CLI::App* member, const GlobalFlags* global) {
  auto flags = std::make_shared<MemberLookupFlags>();
  CLI::App* command = member->add_subcommand(
      "lookup",
      "Find the member that has an identifier and show it, as member show "
      "does; give exactly one identifier flag (LoyaltyService.LookupMember)");
  AddIdentifierFlags(command, &flags->identifier);
  return {command,
          [global, flags] { return RunMemberLookup(*global, *flags); }};
}

Command DefineMemberHistoryCommand(CLI::App* member,
                                   const GlobalFlags* global) {
  auto flags = std::make_shared<MemberHistoryFlags>();
  CLI::App* command =
      member->add_subcommand("history",
                             "List a member's newest entries, newest first "
                             "(LoyaltyService.ListEntries)");
  AddMemberIdFlag(command, &flags->member_id);
  command
      ->add_option("--limit", flags->limit,
                   "Show at most this many entries, fetching as many pages "
                   "as that takes")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(1, kMemberHistoryLimitMax))
      ->capture_default_str();
  return {command,
          [global, flags] { return RunMemberHistory(*global, *flags); }};
}

}  // namespace

Command DefineMemberCommand(CLI::App* app, const GlobalFlags* global) {
  CLI::App* command = app->add_subcommand(
      "member",
      "Show, find, link and close members: show, lookup, history, link, "
      "unlink, close (see loyaltyctl member SUBCOMMAND --help)");
  command->require_subcommand(1);
  std::vector<Command> subcommands = {
      DefineMemberShowCommand(command, global),
      DefineMemberLookupCommand(command, global),
      DefineMemberHistoryCommand(command, global),
      DefineMemberLinkCommand(command, global),
      DefineMemberUnlinkCommand(command, global),
      DefineMemberCloseCommand(command, global),
  };
  return {command, [subcommands = std::move(subcommands)] {
            return RunParsedSubcommand("member", subcommands);
          }};
}

}  // namespace loyalty::ctl
