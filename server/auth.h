// File: server/auth.h
//
// API-key authentication and role checks. Keys come from the program config
// as SHA-256 hashes; a call presents "authorization: Bearer <key>". The
// principal of the matching key is what every entry records (promise 8).
//
//   ROLE_CHANNEL  LoyaltyService, for the key's channels (all but ADMIN when
//                 the key lists none).
//   ROLE_ADMIN    AdminService and LoyaltyService; its writes on
//                 AdminService are recorded with CHANNEL_ADMIN.
#ifndef LOYALTY_SERVER_AUTH_H_
#define LOYALTY_SERVER_AUTH_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

struct Principal {
  std::string name;
  bool channel_role = false;
  bool admin_role = false;
  // Empty: every channel except ADMIN.
  std::vector<loyalty::v1::Channel> channels;
};

class Authenticator {
 public:
  explicit Authenticator(const loyalty::v1::ProgramConfig& program);

  // The caller's principal; Unauthenticated when the key is missing or
  // unknown (the message never echoes the key).
  absl::StatusOr<const Principal*> Authenticate(
      const grpc::ServerContext& context) const;

  // PermissionDenied unless `principal` may call LoyaltyService for
  // `channel`. CHANNEL_UNSPECIFIED (reads) needs only the role.
  static absl::Status AuthorizeChannel(const Principal& principal,
                                       loyalty::v1::Channel channel);
  // PermissionDenied unless `principal` has ROLE_ADMIN.
  static absl::Status AuthorizeAdmin(const Principal& principal);

  // PermissionDenied unless `principal` may make a call of `access` for
  // `channel` (see Authorize).
  static absl::Status Permit(const Principal& principal, Access access,
                             loyalty::v1::Channel channel);

  // The one authorization step of every call: the caller's principal when
  // its key may make a call of `access` for `channel` (a command table
  // row's access and its request's context.channel; CHANNEL_UNSPECIFIED for
  // reads). Unauthenticated or PermissionDenied otherwise.
  absl::StatusOr<const Principal*> Authorize(
      const grpc::ServerContext& context, Access access,
      loyalty::v1::Channel channel) const;

 private:
  // Keyed by the hex SHA-256 of the API key.
  absl::flat_hash_map<std::string, Principal> principals_by_key_hash_;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_AUTH_H_
