// File: clients/loyaltyctl/errors.cc

#include "clients/loyaltyctl/errors.h"

#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/contract.h"

namespace loyalty::ctl {
namespace {

constexpr absl::string_view kReasonEnumPrefix = "ERROR_REASON_";

// Keeps the report on one line: transport errors can span several.
std::string OneLine(absl::string_view text) {
  if (text.empty()) return "(no message)";
  return absl::StrReplaceAll(text, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
}

// The reason's enum name without its prefix, e.g. "INSUFFICIENT_POINTS". The
// contract does not say whether the metadata carries the enum's name or its
// number, so both are understood; anything else is shown as sent.
std::string ReasonLabel(absl::string_view value) {
  int number = 0;
  loyalty::v1::ErrorReason reason = loyalty::v1::ERROR_REASON_UNSPECIFIED;
  std::string name;
  if (absl::SimpleAtoi(value, &number) &&
      loyalty::v1::ErrorReason_IsValid(number)) {
    name = loyalty::v1::ErrorReason_Name(number);
  } else if (loyalty::v1::ErrorReason_Parse(std::string(value), &reason)) {
    name = loyalty::v1::ErrorReason_Name(reason);
  } else {
    return OneLine(value);
  }
  return std::string(absl::StripPrefix(name, kReasonEnumPrefix));
}

// The "loyalty-reason" trailing metadata of a failed call, or "" without one.
std::string ReasonOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto found = trailers.find(contract::kReasonMetadataKey);
  if (found == trailers.end()) return "";
  return ReasonLabel(
      absl::string_view(found->second.data(), found->second.size()));
}

}  // namespace

ExitCode ReportBadInput(const absl::Status& status) {
  std::cerr << "loyaltyctl: " << OneLine(status.message()) << '\n';
  return ExitCode::kBadInput;
}

ExitCode ReportRpcFailure(const grpc::Status& status,
                          const grpc::ClientContext& context,
                          absl::string_view retry_request_id) {
  const bool transient = IsTransient(status.error_code());
  std::string line =
      absl::StrCat("loyaltyctl: ", StatusCodeName(status.error_code()), ": ",
                   OneLine(status.error_message()));
  const std::string reason = ReasonOf(context);
  if (!reason.empty()) absl::StrAppend(&line, " (reason: ", reason, ")");
  if (transient && !retry_request_id.empty()) {
    absl::StrAppend(&line, "; retry with --request-id ", retry_request_id);
  }
  std::cerr << line << '\n';
  return transient ? ExitCode::kTransient : ExitCode::kRejected;
}

ExitCode ReportBadResponse(absl::string_view problem) {
  std::cerr << "loyaltyctl: " << OneLine(problem) << '\n';
  return ExitCode::kRejected;
}

bool IsTransient(grpc::StatusCode code) {
  return contract::IsTransientCode(static_cast<int>(code));
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::DO_NOT_USE:
      break;
  }
  // A code from a newer gRPC than this client knows.
  return absl::StrCat("CODE_", static_cast<int>(code));
}

}  // namespace loyalty::ctl
