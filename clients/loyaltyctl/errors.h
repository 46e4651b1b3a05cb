// File: clients/loyaltyctl/errors.h
//
// Every failure of loyaltyctl ends here: one line on stderr that starts with
// "loyaltyctl: ", and the exit code that tells a script what to do next.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_ERRORS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_ERRORS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/exit_code.h"

namespace loyalty::ctl {

// Reports flags or values refused before anything was sent. The message of
// `status` names the flag. Returns kBadInput.
ExitCode ReportBadInput(const absl::Status& status);

// Reports a failed RPC as "loyaltyctl: <CODE_NAME>: <message>", followed by
// the server's machine-readable reason when it sent one in the
// "loyalty-reason" trailing metadata. For a transient failure of a write,
// `retry_request_id` is appended so the operator can retry it at most once;
// reads pass "". Returns kTransient for UNAVAILABLE, DEADLINE_EXCEEDED and
// RESOURCE_EXHAUSTED, kRejected for every other code.
ExitCode ReportRpcFailure(const grpc::Status& status,
                          const grpc::ClientContext& context,
                          absl::string_view retry_request_id);

// Reports an OK answer the CLI cannot use (e.g. one that breaks the contract).
// Returns kRejected, as a retry would get the same answer.
ExitCode ReportBadResponse(absl::string_view problem);

// Whether a retry of the same call may succeed.
bool IsTransient(grpc::StatusCode code);

// The canonical name of `code`, e.g. "FAILED_PRECONDITION".
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_ERRORS_H_
