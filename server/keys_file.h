// File: server/keys_file.h
//
// The API keys file (loyaltyd --keys-file; proto/loyalty/v1/keys.proto):
// parsed, validated, and turned into the principals the authenticator looks
// keys up in. A file that does not validate is refused as a whole, naming
// the first problem's field, so a reload never half-applies.
#ifndef LOYALTY_SERVER_KEYS_FILE_H_
#define LOYALTY_SERVER_KEYS_FILE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/keys.pb.h"

namespace loyalty {

// A role's call rate limit (keys.proto, RateLimit; rate_limiter.h).
struct RateLimitSpec {
  static constexpr int64_t kCallsPerSecondMax = 100'000;
  static constexpr int64_t kBurstCallsMax = 1'000'000;
  int64_t calls_per_second = 0;  // 1..kCallsPerSecondMax.
  int64_t burst_calls = 0;       // calls_per_second..kBurstCallsMax.
};

// Who a key speaks as: what every entry it writes records, its role and its
// scope. Immutable once loaded; calls in flight keep theirs alive through a
// reload.
struct Principal {
  std::string name;
  loyalty::v1::Role role = loyalty::v1::ROLE_UNSPECIFIED;
  // ROLE_POS: the stores it may write for, unless all_stores.
  absl::flat_hash_set<std::string> store_ids;
  bool all_stores = false;
  // ROLE_PARTNER: its members carry a partner account "<partner_id>:...".
  std::string partner_id;
  // Its role's rate limit, if the file sets one.
  std::optional<RateLimitSpec> rate_limit;
};

// The loaded keys: each principal by the hex SHA-256 of its key or by its
// client certificate's subject, and the rate limits of the roles that have
// one. Entries of one principal share one Principal.
struct KeyRing {
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>>
      principals_by_key_hash;
  // RFC 2253 subject ("CN=till-12,O=Retailer") -> principal.
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>>
      principals_by_cert_subject;
  absl::flat_hash_map<loyalty::v1::Role, RateLimitSpec> rate_limits_by_role;
};

// Parses a keys file's text-format content. InvalidArgument
// "<source_name>: keys[i].<field>: <problem>" for the first problem: no key,
// a bad principal, hash or certificate subject, an entry with neither or
// both, a key or subject listed twice, a role without its scope or
// with another role's, two keys of one principal that disagree, a rate limit
// out of bounds or two for one role.
absl::StatusOr<KeyRing> ParseKeysFile(absl::string_view text,
                                      absl::string_view source_name);

// The file's bytes; NotFound naming the path when it cannot be read.
absl::StatusOr<std::string> ReadKeysFileBytes(const std::string& path);

// The longest client_cert_subject accepted.
inline constexpr size_t kCertSubjectLengthMax = 1024;

// Reads and parses the file at `path` (NotFound when it cannot be read).
absl::StatusOr<KeyRing> LoadKeysFile(const std::string& path);

// "ROLE_POS" for people and errors.
absl::string_view RoleName(loyalty::v1::Role role);

}  // namespace loyalty

#endif  // LOYALTY_SERVER_KEYS_FILE_H_
