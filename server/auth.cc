#include "server/auth.h"

#include "absl/strings/match.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::v1::Channel;

constexpr absl::string_view kBearerPrefix = "Bearer ";

absl::Status Denied(const Principal& principal, absl::string_view what) {
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat(
          principal.name, " (", RoleName(principal.role), ") ", what)),
      loyalty::v1::ERROR_REASON_PERMISSION_DENIED);
}

bool SpeaksFor(loyalty::v1::Role role, Channel channel) {
  switch (role) {
    case loyalty::v1::ROLE_POS:
      return channel == loyalty::v1::CHANNEL_POS;
    case loyalty::v1::ROLE_APP:
      return channel == loyalty::v1::CHANNEL_APP ||
             channel == loyalty::v1::CHANNEL_WEB;
    case loyalty::v1::ROLE_PARTNER:
      return channel == loyalty::v1::CHANNEL_PARTNER;
    case loyalty::v1::ROLE_ADMIN:
      return true;
    default:
      return false;
  }
}

// The context's channel and store against the role's.
absl::Status PermitContext(const Principal& principal,
                           const loyalty::v1::RequestContext& context) {
  if (!SpeaksFor(principal.role, context.channel())) {
    return Denied(principal,
                  absl::StrCat("may not speak for ",
                               loyalty::v1::Channel_Name(context.channel()),
                               " (context.channel)"));
  }
  if (principal.role == loyalty::v1::ROLE_POS && !principal.all_stores &&
      !principal.store_ids.contains(context.store_id())) {
    return Denied(principal,
                  absl::StrCat("may not act for store \"", context.store_id(),
                               "\" (context.store_id): not one of its stores"));
  }
  return absl::OkStatus();
}

// Whether `value` is one of the partner's accounts ("<partner_id>:...").
bool IsPartnerAccount(const Principal& principal, absl::string_view value) {
  return absl::StartsWith(value, absl::StrCat(principal.partner_id, ":"));
}

// A partner key's member scope: it looks up only its own partner accounts,
// and acts only on members that carry one. A member it cannot read is
// refused the same way, so a partner learns nothing of members not its own.
absl::Status PermitPartnerMember(const Principal& principal,
                                 const CallScope& scope,
                                 const MemberReader& members) {
  if (scope.identifier != nullptr &&
      (scope.identifier->kind() !=
           loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT ||
       !IsPartnerAccount(principal, scope.identifier->value()))) {
    return Denied(principal,
                  absl::StrCat("looks up only its own partner accounts "
                               "(IDENTIFIER_KIND_PARTNER_ACCOUNT \"",
                               principal.partner_id, ":...\")"));
  }
  // An empty member id is the request's own mistake: validation names it.
  if (scope.member_id.empty()) return absl::OkStatus();
  absl::StatusOr<loyalty::v1::Member> member = members(scope.member_id);
  if (member.ok()) {
    for (const loyalty::v1::MemberIdentifier& identifier :
         member->identifiers()) {
      if (identifier.kind() == loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT &&
          IsPartnerAccount(principal, identifier.value())) {
        return absl::OkStatus();
      }
    }
  }
  return Denied(principal,
                absl::StrCat("may act only for members with a \"",
                             principal.partner_id,
                             ":...\" partner account; member \"",
                             scope.member_id, "\" is not one of them"));
}

}  // namespace

Authenticator::Authenticator(KeyRing keys, const Clock* clock)
    : keys_(std::make_shared<const KeyRing>(std::move(keys))),
      rate_limiter_(clock) {}

void Authenticator::ReplaceKeys(KeyRing keys) {
  auto replacement = std::make_shared<const KeyRing>(std::move(keys));
  absl::MutexLock lock(&mutex_);
  keys_.swap(replacement);
  // The old ring is freed outside the lock (replacement's destructor);
  // principals handed out before stay alive with their calls.
}

int Authenticator::key_count() const {
  absl::ReaderMutexLock lock(&mutex_);
  return static_cast<int>(keys_->principals_by_key_hash.size());
}

absl::StatusOr<std::shared_ptr<const Principal>> Authenticator::Authenticate(
    const grpc::ServerContext& context) const {
  std::shared_ptr<const KeyRing> keys;
  {
    absl::ReaderMutexLock lock(&mutex_);
    keys = keys_;
  }
  // A client certificate is there only when loyaltyd required and verified
  // one (--tls-client-ca): gRPC fails the handshake of any other. Looked at
  // only when the keys file names subjects (the auth context is built on
  // first use, per call).
  std::shared_ptr<const Principal> by_certificate;
  std::string subject;
  std::shared_ptr<const grpc::AuthContext> auth;
  if (!keys->principals_by_cert_subject.empty()) auth = context.auth_context();
  if (auth != nullptr) {
    for (const grpc::string_ref& value :
         auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) {
      subject.assign(value.data(), value.size());
      if (auto found = keys->principals_by_cert_subject.find(subject);
          found != keys->principals_by_cert_subject.end()) {
        by_certificate = found->second;
      }
    }
  }
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    if (by_certificate != nullptr) return by_certificate;
    return WithReason(
        absl::UnauthenticatedError(
            subject.empty()
                ? "missing \"authorization: Bearer <api key>\" metadata"
                : absl::StrCat("missing \"authorization: Bearer <api key>\" "
                               "metadata (the client certificate \"",
                               subject, "\" names no principal)")),
        loyalty::v1::ERROR_REASON_UNAUTHENTICATED);
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWith(value, kBearerPrefix)) {
    return WithReason(absl::UnauthenticatedError(
                          "authorization must be \"Bearer <api key>\""),
                      loyalty::v1::ERROR_REASON_UNAUTHENTICATED);
  }
  const std::string hash = HexEncode(Sha256(value.substr(kBearerPrefix.size())));
  auto found = keys->principals_by_key_hash.find(hash);
  if (found == keys->principals_by_key_hash.end()) {
    return WithReason(absl::UnauthenticatedError("unknown API key"),
                      loyalty::v1::ERROR_REASON_UNAUTHENTICATED);
  }
  // One caller, one principal: a key of another principal on a certificate
  // connection is a misconfigured client, or a stolen key.
  if (by_certificate != nullptr && by_certificate != found->second) {
    return WithReason(
        absl::UnauthenticatedError(absl::StrCat(
            "the API key is principal \"", found->second->name,
            "\"'s but the client certificate \"", subject, "\" is \"",
            by_certificate->name,
            "\"'s: present one principal's credentials only")),
        loyalty::v1::ERROR_REASON_UNAUTHENTICATED);
  }
  return found->second;
}

absl::Status Authenticator::Permit(const Principal& principal, RoleSet roles,
                                   absl::string_view method,
                                   const CallScope& scope,
                                   const MemberReader& members) {
  if (!roles.Contains(principal.role)) {
    return Denied(principal, absl::StrCat("may not call ", method));
  }
  if (scope.context != nullptr) {
    LEDGER_RETURN_IF_ERROR(PermitContext(principal, *scope.context));
  }
  if (principal.role == loyalty::v1::ROLE_PARTNER) {
    return PermitPartnerMember(principal, scope, members);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Principal>> Authenticator::Authorize(
    const grpc::ServerContext& context, RoleSet roles,
    absl::string_view method, const CallScope& scope,
    const MemberReader& members) const {
  LEDGER_ASSIGN_OR_RETURN(std::shared_ptr<const Principal> principal,
                          Authenticate(context));
  if (observer_ != nullptr) {
    observer_->OnAuthenticated(
        context, *principal,
        scope.context != nullptr ? scope.context->request_id() : "");
  }
  if (principal->rate_limit.has_value()) {
    LEDGER_RETURN_IF_ERROR(
        rate_limiter_.Admit(principal->name, *principal->rate_limit));
  }
  LEDGER_RETURN_IF_ERROR(Permit(*principal, roles, method, scope, members));
  return principal;
}

}  // namespace loyalty
