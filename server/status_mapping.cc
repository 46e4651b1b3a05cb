#include "server/status_mapping.h"

#include <string>

#include "absl/strings/cord.h"
#include "ledger/common/status_util.h"
#include "loyalty/v1/contract.h"

namespace loyalty {

static_assert(contract::kCodeUnavailable ==
              static_cast<int>(absl::StatusCode::kUnavailable));
static_assert(contract::kCodeDeadlineExceeded ==
              static_cast<int>(absl::StatusCode::kDeadlineExceeded));
static_assert(contract::kCodeResourceExhausted ==
              static_cast<int>(absl::StatusCode::kResourceExhausted));
static_assert(contract::kCodeAborted ==
              static_cast<int>(absl::StatusCode::kAborted));

namespace {
constexpr absl::string_view kRetryAfterPayloadUrl = "loyalty.retry_after_ms";
}  // namespace

absl::Status WithRetryAfterMs(absl::Status status, int64_t retry_after_ms) {
  status.SetPayload(kRetryAfterPayloadUrl,
                    absl::Cord(std::to_string(retry_after_ms)));
  return status;
}

bool IsTransient(absl::StatusCode code) {
  return contract::IsTransientCode(static_cast<int>(code));
}

grpc::Status ToGrpcStatus(const absl::Status& status,
                          grpc::ServerContext* context) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering by design.
  static_assert(static_cast<int>(absl::StatusCode::kFailedPrecondition) ==
                static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  static_assert(static_cast<int>(absl::StatusCode::kUnauthenticated) ==
                static_cast<int>(grpc::StatusCode::UNAUTHENTICATED));
  auto code = static_cast<grpc::StatusCode>(status.code());
  context->AddTrailingMetadata(
      contract::kReasonMetadataKey, loyalty::v1::ErrorReason_Name(ReasonOf(status)));
  if (IsTransient(status.code())) {
    context->AddTrailingMetadata(contract::kTransientMetadataKey,
                                 contract::kTransientMetadataValue);
  }
  if (auto retry_after = status.GetPayload(kRetryAfterPayloadUrl)) {
    context->AddTrailingMetadata(contract::kRetryAfterMsMetadataKey,
                                 std::string(*retry_after));
  }
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace loyalty
