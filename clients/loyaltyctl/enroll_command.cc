// File: clients/loyaltyctl/enroll_command.cc
//
// `loyaltyctl enroll`: creates a member, optionally with a card number and an
// app user id attached (LoyaltyService.EnrollMember).

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::EnrollMemberRequest;
using loyalty::v1::EnrollMemberResponse;
using loyalty::v1::LoyaltyService;

struct EnrollFlags {
  ContextFlags context;
  // Empty: the server assigns the member id.
  std::string member_id;
  // Empty: no such identifier is attached.
  std::string card_number;
  std::string app_user_id;
};

void AddIdentifier(loyalty::v1::IdentifierKind kind, const std::string& value,
                   EnrollMemberRequest* request) {
  if (value.empty()) return;
  loyalty::v1::MemberIdentifier* identifier = request->add_identifiers();
  identifier->set_kind(kind);
  identifier->set_value(value);
}

absl::StatusOr<EnrollMemberRequest> BuildEnrollRequest(
    const EnrollFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return context.status();
  EnrollMemberRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  AddIdentifier(loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER, flags.card_number,
                &request);
  AddIdentifier(loyalty::v1::IDENTIFIER_KIND_APP_USER_ID, flags.app_user_id,
                &request);
  return request;
}

void PrintEnrolled(const EnrollMemberResponse& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::Member& member = response.member();
  std::vector<std::string> identifiers;
  for (const loyalty::v1::MemberIdentifier& identifier : member.identifiers()) {
    identifiers.push_back(IdentifierLabel(identifier));
  }
  PrintFields(std::cout,
              {
                  {"member", member.member_id()},
                  {"identifiers", OrDash(absl::StrJoin(identifiers, ", "))},
                  {"enrolled", FormatTimeUtc(member.enrolled_at_ms())},
                  {"entry", FormatEntryPlace(response.entry())},
              });
}

ExitCode RunEnroll(const GlobalFlags& global, const EnrollFlags& flags) {
  absl::StatusOr<EnrollMemberRequest> request = BuildEnrollRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  EnrollMemberResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::EnrollMember,
                                        *request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintEnrolled);
}

}  // namespace

Command DefineEnrollCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<EnrollFlags>();
  CLI::App* command = app->add_subcommand(
      "enroll", "Create a member (LoyaltyService.EnrollMember)");
  command
      ->add_option("--member", flags->member_id,
                   "Member id to create (default: the server assigns one)")
      ->type_name("ID")
      ->check(NotEmptyCheck());
  command
      ->add_option("--card", flags->card_number, "Store card number to attach")
      ->type_name("NUMBER")
      ->check(NotEmptyCheck());
  command->add_option("--app-user", flags->app_user_id, "App user id to attach")
      ->type_name("ID")
      ->check(NotEmptyCheck());
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunEnroll(*global, *flags); }};
}

}  // namespace loyalty::ctl
