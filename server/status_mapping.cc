#include "server/status_mapping.h"

#include <string>

#include "ledger/common/status_util.h"

namespace loyalty {

bool IsTransient(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kAborted ||
         code == absl::StatusCode::kDeadlineExceeded;
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
      kReasonMetadataKey, loyalty::v1::ErrorReason_Name(ReasonOf(status)));
  if (IsTransient(status.code())) {
    context->AddTrailingMetadata(kTransientMetadataKey, "true");
  }
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace loyalty
