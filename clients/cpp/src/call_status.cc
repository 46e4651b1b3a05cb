// File: clients/cpp/src/call_status.cc

#include "loyalty/client/call_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "loyalty/v1/contract.h"

namespace loyalty::client {

loyalty::v1::ErrorReason ReasonOf(const absl::Status& status) {
  const std::optional<std::string> text = ReasonTextOf(status);
  if (!text.has_value()) return loyalty::v1::ERROR_REASON_UNSPECIFIED;
  // The contract sends the value's name; a number is understood too.
  loyalty::v1::ErrorReason reason = loyalty::v1::ERROR_REASON_UNSPECIFIED;
  int number = 0;
  if (absl::SimpleAtoi(*text, &number)) {
    return loyalty::v1::ErrorReason_IsValid(number)
               ? static_cast<loyalty::v1::ErrorReason>(number)
               : loyalty::v1::ERROR_REASON_UNSPECIFIED;
  }
  if (loyalty::v1::ErrorReason_Parse(*text, &reason)) return reason;
  return loyalty::v1::ERROR_REASON_UNSPECIFIED;
}

std::optional<std::string> ReasonTextOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kReasonPayloadTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

bool IsOutcomeUnknown(const absl::Status& status) {
  return status.GetPayload(kOutcomeUnknownPayloadTypeUrl).has_value();
}

std::string OutcomeUnknownRequestId(const absl::Status& status) {
  const auto payload = status.GetPayload(kOutcomeUnknownPayloadTypeUrl);
  if (!payload.has_value()) return "";
  return std::string(*payload);
}

bool IsTransientFailure(const absl::Status& status) {
  if (status.ok()) return false;
  return contract::IsTransientCode(static_cast<int>(status.code())) ||
         status.GetPayload(kTransientPayloadTypeUrl).has_value();
}

std::string StatusCodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return "OK";
    case absl::StatusCode::kCancelled:
      return "CANCELLED";
    case absl::StatusCode::kUnknown:
      return "UNKNOWN";
    case absl::StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case absl::StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case absl::StatusCode::kNotFound:
      return "NOT_FOUND";
    case absl::StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case absl::StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case absl::StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case absl::StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case absl::StatusCode::kAborted:
      return "ABORTED";
    case absl::StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case absl::StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case absl::StatusCode::kInternal:
      return "INTERNAL";
    case absl::StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case absl::StatusCode::kDataLoss:
      return "DATA_LOSS";
    case absl::StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    default:
      break;
  }
  // A code from a newer gRPC than this client knows.
  return absl::StrCat("CODE_", static_cast<int>(code));
}

}  // namespace loyalty::client
