// File: clients/loyaltyctl/event_command.cc
//
// `loyaltyctl event`: records an engagement event (a survey answered, the
// app installed) for its points (LoyaltyService.RecordEvent).

#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LoyaltyService;
using loyalty::v1::RecordEventRequest;
using loyalty::v1::RecordEventResponse;

struct EventFlags {
  ContextFlags context;
  std::string member_id;
  std::string event_id;
  std::string reference;
};

absl::StatusOr<RecordEventRequest> BuildEventRequest(const EventFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return context.status();
  RecordEventRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_event_id(flags.event_id);
  request.set_reference(flags.reference);
  return request;
}

void PrintRecorded(const RecordEventResponse& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::LedgerEntry& entry = response.entry();
  PrintFields(
      std::cout,
      {
          {"member", entry.member_id()},
          {"event", entry.event_id()},
          {"earned", FormatPoints(response.points_earned())},
          {"available", FormatPoints(response.balance().available_points())},
          {"entry", FormatEntryPlace(entry)},
      });
}

ExitCode RunEvent(const GlobalFlags& global, const EventFlags& flags) {
  absl::StatusOr<RecordEventRequest> request = BuildEventRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  RecordEventResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::RecordEvent,
                                        *request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintRecorded);
}

}  // namespace

Command DefineEventCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<EventFlags>();
  CLI::App* command = app->add_subcommand(
      "event",
      "Record an engagement event for its points (LoyaltyService.RecordEvent)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command->add_option("--event", flags->event_id,
                      "Event id of the program, e.g. survey")
      ->type_name("ID")
      ->required();
  command->add_option("--reference", flags->reference,
                      "The channel's own id of it, e.g. a survey response")
      ->type_name("TEXT");
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunEvent(*global, *flags); }};
}

}  // namespace loyalty::ctl
