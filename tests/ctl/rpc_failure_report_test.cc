// Tests of how loyaltyctl reports a failed call the client library returned
// (clients/loyaltyctl/errors.h, ReportRpcFailure): the line on stderr, the
// reason in any spelling the server may send, the request id to retry a
// write under, and the exit code.
#include <iostream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "catch2/catch.hpp"
#include "clients/loyaltyctl/errors.h"
#include "loyalty/client/call_status.h"

namespace loyalty::ctl {
namespace {

struct Report {
  ExitCode exit_code;
  std::string line;
};

// What ReportRpcFailure prints on stderr for `status`, and returns.
Report ReportOf(const absl::Status& status, const std::string& request_id) {
  std::ostringstream captured;
  std::streambuf* stderr_buffer = std::cerr.rdbuf(captured.rdbuf());
  const ExitCode exit_code = ReportRpcFailure(status, request_id);
  std::cerr.rdbuf(stderr_buffer);
  return Report{exit_code, captured.str()};
}

absl::Status WithReason(absl::Status status, const std::string& reason) {
  status.SetPayload(loyalty::client::kReasonPayloadTypeUrl, absl::Cord(reason));
  return status;
}

TEST_CASE("a refusal prints its code, message and reason, and exits rejected",
          "[ctl][errors]") {
  const Report report = ReportOf(
      WithReason(absl::FailedPreconditionError("available 0, asked 20"),
                 "ERROR_REASON_INSUFFICIENT_POINTS"),
      "ctl-1");
  CHECK(report.line ==
        "loyaltyctl: FAILED_PRECONDITION: available 0, asked 20 (reason: "
        "INSUFFICIENT_POINTS)\n");
  CHECK(report.exit_code == ExitCode::kRejected);
}

TEST_CASE(
    "a reason sent as its number reads by its name; an unknown one as "
    "sent",
    "[ctl][errors]") {
  CHECK(ReportOf(WithReason(absl::NotFoundError("no alice"), "2"), "").line ==
        "loyaltyctl: NOT_FOUND: no alice (reason: MEMBER_NOT_FOUND)\n");
  CHECK(
      ReportOf(WithReason(absl::NotFoundError("no alice"), "SOMETHING_NEW"), "")
          .line == "loyaltyctl: NOT_FOUND: no alice (reason: SOMETHING_NEW)\n");
}

TEST_CASE(
    "a transient failure of a write names the request id to retry "
    "under; of a read it does not",
    "[ctl][errors]") {
  const Report write =
      ReportOf(absl::UnavailableError("failed to connect\nto all addresses"),
               "ctl-0123");
  CHECK(write.line ==
        "loyaltyctl: UNAVAILABLE: failed to connect to all addresses; retry "
        "with --request-id ctl-0123\n");
  CHECK(write.exit_code == ExitCode::kTransient);

  const Report read = ReportOf(absl::DeadlineExceededError(""), "");
  CHECK(read.line == "loyaltyctl: DEADLINE_EXCEEDED: (no message)\n");
  CHECK(read.exit_code == ExitCode::kTransient);
}

TEST_CASE(
    "a failure the server marks transient exits transient whatever its "
    "code",
    "[ctl][errors]") {
  absl::Status marked = absl::InternalError("storage hiccup");
  marked.SetPayload(loyalty::client::kTransientPayloadTypeUrl,
                    absl::Cord("true"));
  CHECK(ReportOf(marked, "ctl-9").exit_code == ExitCode::kTransient);
  CHECK(ReportOf(absl::InternalError("broken"), "ctl-9").exit_code ==
        ExitCode::kRejected);
}

}  // namespace
}  // namespace loyalty::ctl
