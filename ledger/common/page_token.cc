#include "ledger/common/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

constexpr char kTokenVersion = 1;
constexpr size_t kTagBytes = 8;
constexpr size_t kTokenBytes = 1 + 8 + kTagBytes;

// The tag's material starts with the list's scope, so a token of one list
// (a statement) does not decode as another's (a wallet).
constexpr absl::string_view kStatementScope = "page-token";
constexpr absl::string_view kWalletScope = "wallet-page-token";
constexpr absl::string_view kReconciliationScope =
    "offline-reconciliation-page-token";

std::string Tag(absl::string_view scope, absl::string_view member_id,
                uint64_t sequence) {
  std::string material = absl::StrCat(scope, "\x1f", member_id, "\x1f",
                                      EncodeBigEndian64(sequence));
  return Sha256(material).substr(0, kTagBytes);
}

std::string Encode(absl::string_view scope, absl::string_view member_id,
                   uint64_t sequence) {
  std::string raw(1, kTokenVersion);
  raw += EncodeBigEndian64(sequence);
  raw += Tag(scope, member_id, sequence);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<uint64_t> Decode(absl::string_view scope,
                                absl::string_view member_id,
                                absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() != kTokenBytes ||
      raw[0] != kTokenVersion) {
    return InvalidField("page_token", "is not a page token of this service");
  }
  std::optional<uint64_t> sequence = DecodeBigEndian64(raw.substr(1, 8));
  LEDGER_CHECK(sequence.has_value());
  if (raw.substr(9) != Tag(scope, member_id, *sequence)) {
    return InvalidField("page_token",
                        "was not issued for this member or was altered");
  }
  return *sequence;
}

}  // namespace

std::string EncodePageToken(absl::string_view member_id, uint64_t sequence) {
  return Encode(kStatementScope, member_id, sequence);
}

absl::StatusOr<uint64_t> DecodePageToken(absl::string_view member_id,
                                         absl::string_view token) {
  return Decode(kStatementScope, member_id, token);
}

std::string EncodeWalletPageToken(absl::string_view member_id,
                                  uint64_t sequence) {
  return Encode(kWalletScope, member_id, sequence);
}

absl::StatusOr<uint64_t> DecodeWalletPageToken(absl::string_view member_id,
                                               absl::string_view token) {
  return Decode(kWalletScope, member_id, token);
}

std::string EncodeReconciliationPageToken(uint64_t sequence) {
  return Encode(kReconciliationScope, "", sequence);
}

absl::StatusOr<uint64_t> DecodeReconciliationPageToken(
    absl::string_view token) {
  return Decode(kReconciliationScope, "", token);
}

}  // namespace loyalty
