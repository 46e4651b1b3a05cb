// File: clients/loyaltyctl/link_command.cc
//
// `loyaltyctl member link` and `member unlink`: give a member one more
// identifier, or take one away (LoyaltyService.LinkIdentifier and
// UnlinkIdentifier), then show the member's identifiers after the change.
// Both take the member, exactly one identifier flag, and the context flags
// of a write.

#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/identifier_flags.h"
#include "clients/loyaltyctl/member_commands.h"
#include "clients/loyaltyctl/member_view.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LinkIdentifierRequest;
using loyalty::v1::LinkIdentifierResponse;
using loyalty::v1::LoyaltyService;
using loyalty::v1::UnlinkIdentifierRequest;
using loyalty::v1::UnlinkIdentifierResponse;

struct LinkFlags {
  ContextFlags context;
  std::string member_id;
  IdentifierFlags identifier;
};

template <typename Request, typename Response>
using StubMethod = grpc::Status (LoyaltyService::Stub::*)(grpc::ClientContext*,
                                                          const Request&,
                                                          Response*);

// Link and unlink requests have the same fields.
template <typename Request>
absl::StatusOr<Request> BuildLinkRequest(const LinkFlags& flags) {
  absl::StatusOr<loyalty::v1::MemberIdentifier> identifier =
      BuildIdentifier(flags.identifier);
  if (!identifier.ok()) return identifier.status();
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return context.status();
  Request request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  *request.mutable_identifier() = *std::move(identifier);
  return request;
}

// The label of the changed identifier's line.
std::string ChangeLabel(loyalty::v1::EntryKind kind) {
  switch (kind) {
    case loyalty::v1::ENTRY_KIND_LINK:
      return "linked";
    case loyalty::v1::ENTRY_KIND_UNLINK:
      return "unlinked";
    default:
      return EntryKindLabel(kind);
  }
}

// Link and unlink responses have the same fields.
template <typename Response>
void PrintIdentifierChange(const Response& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::LedgerEntry& entry = response.entry();
  PrintFields(std::cout, {
                             {"member", entry.member_id()},
                             {ChangeLabel(entry.kind()),
                              IdentifiersLabel(entry.identifiers())},
                             {"entry", FormatEntryPlace(entry)},
                         });
  std::cout << '\n';
  PrintIdentifiers(std::cout, response.identifiers());
}

template <typename Request, typename Response>
ExitCode RunIdentifierChange(const GlobalFlags& global, const LinkFlags& flags,
                             StubMethod<Request, Response> method) {
  absl::StatusOr<Request> request = BuildLinkRequest<Request>(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  Response response;
  const ExitCode sent =
      connection.Call(method, *request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintIdentifierChange<Response>);
}

CLI::App* DefineLinkFlags(CLI::App* command, LinkFlags* flags) {
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  AddIdentifierFlags(command, &flags->identifier);
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return command;
}

}  // namespace

Command DefineMemberLinkCommand(CLI::App* member, const GlobalFlags* global) {
  auto flags = std::make_shared<LinkFlags>();
  CLI::App* command = DefineLinkFlags(
      member->add_subcommand(
          "link",
          "Give a member one more identifier; exactly one identifier flag "
          "(LoyaltyService.LinkIdentifier)"),
      flags.get());
  return {command, [global, flags] {
            return RunIdentifierChange<LinkIdentifierRequest,
                                       LinkIdentifierResponse>(
                *global, *flags, &LoyaltyService::Stub::LinkIdentifier);
          }};
}

Command DefineMemberUnlinkCommand(CLI::App* member, const GlobalFlags* global) {
  auto flags = std::make_shared<LinkFlags>();
  CLI::App* command = DefineLinkFlags(
      member->add_subcommand(
          "unlink",
          "Take an identifier away from a member, freeing it for others; "
          "exactly one identifier flag (LoyaltyService.UnlinkIdentifier)"),
      flags.get());
  return {command, [global, flags] {
            return RunIdentifierChange<UnlinkIdentifierRequest,
                                       UnlinkIdentifierResponse>(
                *global, *flags, &LoyaltyService::Stub::UnlinkIdentifier);
          }};
}

}  // namespace loyalty::ctl
