#include "ledger/common/status_util.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace loyalty {
namespace {
constexpr absl::string_view kReasonPayloadUrl = "loyalty.v1.ErrorReason";
}  // namespace

absl::Status WithReason(absl::Status status, loyalty::v1::ErrorReason reason) {
  LEDGER_CHECK(!status.ok());
  status.SetPayload(kReasonPayloadUrl,
                    absl::Cord(loyalty::v1::ErrorReason_Name(reason)));
  return status;
}

loyalty::v1::ErrorReason ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayloadUrl);
  loyalty::v1::ErrorReason reason = loyalty::v1::ERROR_REASON_UNSPECIFIED;
  if (payload.has_value() &&
      loyalty::v1::ErrorReason_Parse(std::string(*payload), &reason)) {
    return reason;
  }
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return loyalty::v1::ERROR_REASON_UNSPECIFIED;
    case absl::StatusCode::kInvalidArgument:
      return loyalty::v1::ERROR_REASON_INVALID_FIELD;
    case absl::StatusCode::kResourceExhausted:
      return loyalty::v1::ERROR_REASON_OVERLOADED;
    case absl::StatusCode::kUnavailable:
      return loyalty::v1::ERROR_REASON_UNAVAILABLE;
    case absl::StatusCode::kUnauthenticated:
      return loyalty::v1::ERROR_REASON_UNAUTHENTICATED;
    case absl::StatusCode::kPermissionDenied:
      return loyalty::v1::ERROR_REASON_PERMISSION_DENIED;
    default:
      return loyalty::v1::ERROR_REASON_INTERNAL;
  }
}

absl::Status InvalidField(absl::string_view field, absl::string_view problem) {
  return WithReason(
      absl::InvalidArgumentError(absl::StrCat(field, ": ", problem)),
      loyalty::v1::ERROR_REASON_INVALID_FIELD);
}

}  // namespace loyalty
