#include "server/auth.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {
constexpr absl::string_view kBearerPrefix = "Bearer ";
}  // namespace

Authenticator::Authenticator(const loyalty::v1::ProgramConfig& program) {
  for (const loyalty::v1::ApiKey& key : program.api_keys()) {
    Principal principal;
    principal.name = key.principal();
    for (int role : key.roles()) {
      principal.channel_role |= role == loyalty::v1::ROLE_CHANNEL;
      principal.admin_role |= role == loyalty::v1::ROLE_ADMIN;
    }
    for (int channel : key.channels()) {
      principal.channels.push_back(static_cast<loyalty::v1::Channel>(channel));
    }
    principals_by_key_hash_[key.key_sha256_hex()] = std::move(principal);
  }
}

absl::StatusOr<const Principal*> Authenticator::Authenticate(
    const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return WithReason(
        absl::UnauthenticatedError(
            "missing \"authorization: Bearer <api key>\" metadata"),
        loyalty::v1::ERROR_REASON_UNAUTHENTICATED);
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWith(value, kBearerPrefix)) {
    return WithReason(absl::UnauthenticatedError(
                          "authorization must be \"Bearer <api key>\""),
                      loyalty::v1::ERROR_REASON_UNAUTHENTICATED);
  }
  std::string hash = HexEncode(Sha256(value.substr(kBearerPrefix.size())));
  auto found = principals_by_key_hash_.find(hash);
  if (found == principals_by_key_hash_.end()) {
    return WithReason(absl::UnauthenticatedError("unknown API key"),
                      loyalty::v1::ERROR_REASON_UNAUTHENTICATED);
  }
  return &found->second;
}

absl::Status Authenticator::AuthorizeChannel(const Principal& principal,
                                             loyalty::v1::Channel channel) {
  if (!principal.channel_role && !principal.admin_role) {
    return WithReason(absl::PermissionDeniedError(absl::StrCat(
                          principal.name, " may not call LoyaltyService")),
                      loyalty::v1::ERROR_REASON_PERMISSION_DENIED);
  }
  if (channel == loyalty::v1::CHANNEL_UNSPECIFIED) return absl::OkStatus();
  bool allowed =
      principal.channels.empty()
          ? channel != loyalty::v1::CHANNEL_ADMIN
          : std::find(principal.channels.begin(), principal.channels.end(),
                      channel) != principal.channels.end();
  if (!allowed) {
    return WithReason(
        absl::PermissionDeniedError(absl::StrCat(
            principal.name, " may not speak for ",
            loyalty::v1::Channel_Name(channel), " (context.channel)")),
        loyalty::v1::ERROR_REASON_PERMISSION_DENIED);
  }
  return absl::OkStatus();
}

absl::Status Authenticator::AuthorizeAdmin(const Principal& principal) {
  if (principal.admin_role) return absl::OkStatus();
  return WithReason(absl::PermissionDeniedError(absl::StrCat(
                        principal.name, " may not call AdminService")),
                    loyalty::v1::ERROR_REASON_PERMISSION_DENIED);
}

absl::StatusOr<const Principal*> Authenticator::Authorize(
    const grpc::ServerContext& context, Access access,
    loyalty::v1::Channel channel) const {
  LEDGER_ASSIGN_OR_RETURN(const Principal* principal, Authenticate(context));
  LEDGER_RETURN_IF_ERROR(Permit(*principal, access, channel));
  return principal;
}

absl::Status Authenticator::Permit(const Principal& principal, Access access,
                                   loyalty::v1::Channel channel) {
  return access == Access::kAdmin ? AuthorizeAdmin(principal)
                                  : AuthorizeChannel(principal, channel);
}

}  // namespace loyalty
