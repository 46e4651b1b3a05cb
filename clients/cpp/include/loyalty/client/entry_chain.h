// File: loyalty/client/entry_chain.h
//
// Checks the change stream's entries (AdminService.WatchEntries) the way the
// ledger chains them: hash = SHA-256(prev_hash || body), where prev_hash is
// the body's own prev_hash field and, along the chain, the hash of the
// entry before. A consumer that checks every entry of an unfiltered stream
// proves it missed none (each sequence follows the last, each prev_hash is
// the last hash) and that none was altered. With filters, each entry's own
// hash still proves its content; the chain between them cannot be seen.
//
//   EntryChainVerifier chain(/*last_sequence=*/0, /*last_hash=*/"");
//   for (const v1::StreamedEntry& streamed : response.entries()) {
//     absl::StatusOr<v1::LedgerEntry> entry = chain.Accept(streamed);
//     if (!entry.ok()) ...  // DataLoss: what is wrong, and at which sequence
//   }
#ifndef LOYALTY_CLIENT_ENTRY_CHAIN_H_
#define LOYALTY_CLIENT_ENTRY_CHAIN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::client {

class EntryChainVerifier {
 public:
  // Starts after `last_sequence` (0: before the first entry), whose hash
  // was `last_hash` (empty when not known: the first entry accepted is then
  // checked on its own hash only). A consumer that resumes passes what it
  // stored last.
  EntryChainVerifier(uint64_t last_sequence, std::string last_hash)
      : last_sequence_(last_sequence), last_hash_(std::move(last_hash)) {}

  // Checks `streamed` against its own hash and, when `contiguous` (an
  // unfiltered stream), against the chain: its sequence is the last one's
  // next and its prev_hash the last hash. Returns its entry. DataLoss
  // naming the sequence and the problem otherwise; nothing is accepted then.
  absl::StatusOr<v1::LedgerEntry> Accept(const v1::StreamedEntry& streamed,
                                         bool contiguous = true);

  uint64_t last_sequence() const { return last_sequence_; }
  const std::string& last_hash() const { return last_hash_; }

 private:
  uint64_t last_sequence_;
  std::string last_hash_;
};

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_ENTRY_CHAIN_H_
