#include "loyalty/client/entry_chain.h"

#include <openssl/sha.h>

#include "absl/strings/str_cat.h"

namespace loyalty::client {
namespace {

std::string Sha256Of(const std::string& prev_hash, const std::string& body) {
  const std::string input = prev_hash + body;
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

absl::Status Broken(uint64_t sequence, absl::string_view problem) {
  return absl::DataLossError(
      absl::StrCat("change stream entry ", sequence, ": ", problem));
}

}  // namespace

absl::StatusOr<v1::LedgerEntry> EntryChainVerifier::Accept(
    const v1::StreamedEntry& streamed, bool contiguous) {
  const uint64_t sequence = streamed.sequence();
  v1::LedgerEntry entry;
  if (!entry.ParseFromString(streamed.body())) {
    return Broken(sequence, "the body is not a LedgerEntry");
  }
  // The ledger's own fields ride along in the body; a consumer never needs
  // them.
  entry.DiscardUnknownFields();
  if (entry.sequence() != sequence) {
    return Broken(sequence, absl::StrCat("the body says sequence ",
                                         entry.sequence()));
  }
  if (Sha256Of(entry.prev_hash(), streamed.body()) != streamed.hash()) {
    return Broken(sequence,
                  "the hash is not SHA-256(prev_hash || body): altered");
  }
  if (contiguous) {
    if (sequence != last_sequence_ + 1) {
      return Broken(sequence, absl::StrCat("expected sequence ",
                                           last_sequence_ + 1,
                                           ": entries are missing"));
    }
    if (!last_hash_.empty() && entry.prev_hash() != last_hash_) {
      return Broken(sequence,
                    "its prev_hash is not the hash of the entry before");
    }
  } else if (sequence <= last_sequence_) {
    return Broken(sequence, absl::StrCat("not after ", last_sequence_,
                                         ": sent twice or out of order"));
  }
  entry.set_hash(streamed.hash());
  last_sequence_ = sequence;
  last_hash_ = streamed.hash();
  return entry;
}

}  // namespace loyalty::client
