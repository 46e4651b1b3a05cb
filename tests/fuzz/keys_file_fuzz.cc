// File: tests/fuzz/keys_file_fuzz.cc
//
// Fuzzes the API keys file parser (server/keys_file.h), which loyaltyd runs
// at start and on every reload. Input: any bytes, as the file's content.
//
// Oracles: a refusal is INVALID_ARGUMENT starting with the source name; an
// accepted file parses as loyalty.v1.KeysFile on its own too, and every key
// in it is found by its hash with its principal and a grant that obeys the
// role's rules (written here from keys.proto's comments, not from
// keys_file.cc): POS keys have stores or all_stores, never both; partner
// keys, and only they, have a partner id; no other role has a scope; rate
// limits are within their bounds, one per role, carried by its principals.
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "google/protobuf/text_format.h"
#include "ledger/common/status_util.h"
#include "server/keys_file.h"

namespace loyalty {
namespace {

void CheckGrant(const Principal& principal) {
  LEDGER_CHECK(!principal.name.empty());
  switch (principal.role) {
    case loyalty::v1::ROLE_POS:
      LEDGER_CHECK(principal.all_stores != !principal.store_ids.empty());
      LEDGER_CHECK(principal.partner_id.empty());
      break;
    case loyalty::v1::ROLE_PARTNER:
      LEDGER_CHECK(!principal.partner_id.empty());
      LEDGER_CHECK(principal.store_ids.empty() && !principal.all_stores);
      break;
    case loyalty::v1::ROLE_APP:
    case loyalty::v1::ROLE_ADMIN:
    case loyalty::v1::ROLE_AUDITOR:
      LEDGER_CHECK(principal.partner_id.empty());
      LEDGER_CHECK(principal.store_ids.empty() && !principal.all_stores);
      break;
    default:
      LEDGER_CHECK(false);  // No other role may load.
  }
}

}  // namespace
}  // namespace loyalty

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loyalty;  // NOLINT: a fuzz entry point.
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<KeyRing> ring = ParseKeysFile(text, "fuzz");
  if (!ring.ok()) {
    LEDGER_CHECK(ring.status().code() == absl::StatusCode::kInvalidArgument);
    LEDGER_CHECK(absl::StartsWith(ring.status().message(), "fuzz: "));
    return 0;
  }
  loyalty::v1::KeysFile file;
  LEDGER_CHECK(google::protobuf::TextFormat::ParseFromString(text, &file));
  LEDGER_CHECK(file.keys_size() > 0);
  LEDGER_CHECK(ring->principals_by_key_hash.size() +
                   ring->principals_by_cert_subject.size() ==
               static_cast<size_t>(file.keys_size()));
  for (const loyalty::v1::ApiKey& key : file.keys()) {
    // Every entry is found by exactly one credential.
    const auto& by_credential = key.has_client_cert_subject()
                                    ? ring->principals_by_cert_subject
                                    : ring->principals_by_key_hash;
    auto found = by_credential.find(key.has_client_cert_subject()
                                        ? key.client_cert_subject()
                                        : key.key_sha256_hex());
    LEDGER_CHECK(found != by_credential.end());
    LEDGER_CHECK(found->second->name == key.principal());
    LEDGER_CHECK(found->second->role == key.role());
    CheckGrant(*found->second);
    // A principal carries its role's limit, or none when the role has none.
    auto limit = ring->rate_limits_by_role.find(key.role());
    LEDGER_CHECK(found->second->rate_limit.has_value() ==
                 (limit != ring->rate_limits_by_role.end()));
  }
  LEDGER_CHECK(ring->rate_limits_by_role.size() ==
               static_cast<size_t>(file.rate_limits_size()));
  for (const auto& [role, limit] : ring->rate_limits_by_role) {
    LEDGER_CHECK(limit.calls_per_second >= 1 &&
                 limit.calls_per_second <= RateLimitSpec::kCallsPerSecondMax);
    LEDGER_CHECK(limit.burst_calls >= limit.calls_per_second &&
                 limit.burst_calls <= RateLimitSpec::kBurstCallsMax);
  }
  return 0;
}
