// File: clients/loyaltyctl/errors.h
//
// Every failure of loyaltyctl ends here: one line on stderr that starts with
// "loyaltyctl: ", and the exit code that tells a script what to do next.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_ERRORS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/exit_code.h"

namespace loyalty::ctl {

// Reports flags or values refused before anything was sent. The message of
// `status` names the flag. Returns kBadInput.
ExitCode ReportBadInput(const absl::Status& status);

// Reports a failed RPC, as the client library returned it, as
// "loyaltyctl: <CODE_NAME>: <message>", followed by the server's
// machine-readable reason when it sent one (loyalty::client::ReasonTextOf).
// For a transient failure of a write (its outcome unknown),
// `retry_request_id` is appended so the operator can retry it at most once;
// reads pass "". Returns kTransient for a transient failure
// (loyalty::client::IsTransientFailure), kRejected for every other.
ExitCode ReportRpcFailure(const absl::Status& status,
                          absl::string_view retry_request_id);

// Reports an OK answer the CLI cannot use (e.g. one that breaks the contract).
// Returns kRejected, as a retry would get the same answer.
ExitCode ReportBadResponse(absl::string_view problem);

// The reason a failure carries, for people: the ErrorReason's name without
// its ERROR_REASON_ prefix (e.g. "INSUFFICIENT_POINTS"), or the trailer as
// sent when this build does not know it; "" without one.
std::string ReasonLabel(const absl::Status& status);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_ERRORS_H_
