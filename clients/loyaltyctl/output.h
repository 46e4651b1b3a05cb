// File: clients/loyaltyctl/output.h
//
// Where a successful answer goes: one JSON object on stdout for scripts
// (--json), or text for people, printed by each command.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_OUTPUT_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_OUTPUT_H_

#include <google/protobuf/message.h>

#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/exit_code.h"
#include "clients/loyaltyctl/global_flags.h"

namespace loyalty::ctl {

// Prints `message` on stdout as one line of JSON. Every field is present, even
// at its default (so a script reads "ok": false rather than a missing key),
// under its .proto name; int64 values are strings, as proto3 JSON says.
// Returns kOk, or reports the failure and returns kRejected when the message
// cannot be converted (e.g. a string that is not UTF-8).
ExitCode PrintJson(const google::protobuf::Message& message);

// For people: prints "request id: <id>" before a write is sent, so the
// operator has the id to retry with even if the call fails or hangs. Prints
// nothing with --json, whose stdout holds only the response.
void AnnounceRequestId(const GlobalFlags& global, absl::string_view request_id);

// For people: says so when a write's answer was replayed.
void PrintReplayedNote(bool replayed);

// Prints a successful response: JSON with --json, else via print_human.
template <typename Response>
ExitCode PrintResponse(const GlobalFlags& global, const Response& response,
                       void (*print_human)(const Response&)) {
  if (global.json) return PrintJson(response);
  print_human(response);
  return ExitCode::kOk;
}

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_OUTPUT_H_
