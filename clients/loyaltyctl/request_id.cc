// File: clients/loyaltyctl/request_id.cc

#include "clients/loyaltyctl/request_id.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "loyalty/client/request_id.h"

namespace loyalty::ctl {
namespace {

constexpr char kRequestIdPrefix[] = "ctl-";

}  // namespace

absl::StatusOr<std::string> GenerateRequestId() {
  absl::StatusOr<std::string> random_id = loyalty::client::GenerateRequestId();
  if (!random_id.ok()) {
    return absl::UnavailableError(
        absl::StrCat(random_id.status().message(), "; pass --request-id"));
  }
  return absl::StrCat(kRequestIdPrefix, *std::move(random_id));
}

}  // namespace loyalty::ctl
