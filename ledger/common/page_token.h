// File: ledger/common/page_token.h
//
// Opaque page tokens of a member's lists (the statement, the wallet). A token
// holds the sequence to continue from and a tag binding it to the list and
// the member, base64url-encoded:
//   u8 version (1) | BE64 sequence |
//   first 8 bytes of SHA-256(list scope, member_id, seq)
// so a token cannot be edited or replayed against another member or list
// unnoticed.
#ifndef LOYALTY_LEDGER_COMMON_PAGE_TOKEN_H_
#define LOYALTY_LEDGER_COMMON_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty {

// The token for the page that continues with entries below `sequence`.
std::string EncodePageToken(absl::string_view member_id, uint64_t sequence);

// The sequence in `token`; InvalidArgument "page_token: ..." when it is not a
// token this server made for `member_id`.
absl::StatusOr<uint64_t> DecodePageToken(absl::string_view member_id,
                                         absl::string_view token);

// Wallet: the token for the page that continues with rows above `sequence`
// (the wallet lists oldest first), and its decoding, as above.
std::string EncodeWalletPageToken(absl::string_view member_id,
                                  uint64_t sequence);
absl::StatusOr<uint64_t> DecodeWalletPageToken(absl::string_view member_id,
                                               absl::string_view token);

// Offline reconciliations (one list for the whole ledger): the token for
// the page that continues with rows above `sequence`, and its decoding.
std::string EncodeReconciliationPageToken(uint64_t sequence);
absl::StatusOr<uint64_t> DecodeReconciliationPageToken(absl::string_view token);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_PAGE_TOKEN_H_
