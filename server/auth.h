// File: server/auth.h
//
// API-key authentication and the one authorization step of every call. A
// call presents "authorization: Bearer <key>"; the keys file (keys_file.h)
// says whose key it is. The principal of the matching key is what every
// entry records (promise 8).
//
// With mutual TLS (loyaltyd --tls-client-ca), a call on a connection whose
// verified client certificate has a subject the keys file names
// (client_cert_subject) is that principal without a key. A key of another
// principal on such a connection is UNAUTHENTICATED; a certificate whose
// subject the file does not name only opened the port, and the call needs
// an API key as without one.
//
// A principal whose role has a rate limit (keys file, rate_limits) spends a
// token of its bucket on every call first (rate_limiter.h), so a key that
// floods loyaltyd is held back before anything else is looked at.
//
// Authorization has three parts, all decided before the ledger is touched:
//   1. the role: the row's RoleSet (command table, ledger/engine/command.h)
//      must contain the key's role;
//   2. the channel and store: a request's context.channel must be one the
//      role speaks for (POS: CHANNEL_POS; APP: CHANNEL_APP or CHANNEL_WEB;
//      PARTNER: CHANNEL_PARTNER; ADMIN: any), and a POS key's
//      context.store_id one of its stores;
//   3. the partner's members: a partner key acts only on members that carry
//      one of its own partner accounts, and looks up only those accounts.
// A missing or unknown key is UNAUTHENTICATED; everything else
// PERMISSION_DENIED naming the principal and what it may not do.
//
// Keys are replaced whole (ReplaceKeys) on a reload; calls already
// authorized keep the principal they were authorized as.
#ifndef LOYALTY_SERVER_AUTH_H_
#define LOYALTY_SERVER_AUTH_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server_context.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "server/keys_file.h"
#include "server/rate_limiter.h"

namespace loyalty {

// What one request (or one item of a batch) speaks for, as its fields say.
// Pointers and views point into the request, which outlives the check.
struct CallScope {
  // The request's context; null for requests that have none (reads).
  const loyalty::v1::RequestContext* context = nullptr;
  // The member the request names; empty when it names none.
  absl::string_view member_id;
  // The identifier a lookup names; null when none.
  const loyalty::v1::MemberIdentifier* identifier = nullptr;
};

// Reads a member (its identifiers), for partner keys' scope.
using MemberReader =
    std::function<absl::StatusOr<loyalty::v1::Member>(absl::string_view)>;

// Told of a call's principal as soon as its key is known, before the rate
// limit and the permission checks (the request log and metrics,
// server/metrics.h). Called on the call's thread; must be cheap.
class AuthObserver {
 public:
  virtual ~AuthObserver() = default;
  // `request_id` is the request's context.request_id; empty when it has
  // none.
  virtual void OnAuthenticated(const grpc::ServerContextBase& context,
                               const Principal& principal,
                               absl::string_view request_id) = 0;
};

class Authenticator {
 public:
  // `clock` (for the rate limits) outlives the authenticator.
  Authenticator(KeyRing keys, const Clock* clock);

  // Every call from now on is checked against `keys` only.
  void ReplaceKeys(KeyRing keys);
  int key_count() const;

  // The caller's principal, by its client certificate or its API key;
  // Unauthenticated when neither names one, or they name two (the message
  // never echoes the key).
  absl::StatusOr<std::shared_ptr<const Principal>> Authenticate(
      const grpc::ServerContext& context) const;

  // OK when `principal` may call `method` (a row allowing `roles`) for what
  // `scope` names; PermissionDenied saying why otherwise. `members` is
  // read only for partner keys naming a member.
  static absl::Status Permit(const Principal& principal, RoleSet roles,
                             absl::string_view method, const CallScope& scope,
                             const MemberReader& members);

  // Set once, before any call; null: nobody is told.
  void set_observer(AuthObserver* observer) { observer_ = observer; }

  // Authenticate, the principal's rate limit, then Permit: the one
  // authorization step of every call.
  absl::StatusOr<std::shared_ptr<const Principal>> Authorize(
      const grpc::ServerContext& context, RoleSet roles,
      absl::string_view method, const CallScope& scope,
      const MemberReader& members) const;

 private:
  mutable absl::Mutex mutex_;
  std::shared_ptr<const KeyRing> keys_ ABSL_GUARDED_BY(mutex_);
  mutable RateLimiter rate_limiter_;
  AuthObserver* observer_ = nullptr;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_AUTH_H_
