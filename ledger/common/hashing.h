// File: ledger/common/hashing.h
//
// SHA-256 (OpenSSL) for the entry hash chain, request fingerprints and page
// token tags.
//
// The chain: an entry is stored as StoredEntry{body, hash} where body is the
// LedgerEntry's bytes with `hash` unset (prev_hash inside) and
// hash = SHA-256(prev_hash || body). The first entry's prev_hash is
// GenesisHash(), 32 zero bytes. Tampering with any stored entry breaks the
// chain from that entry on, which VerifyLedger reports.
#ifndef LOYALTY_LEDGER_COMMON_HASHING_H_
#define LOYALTY_LEDGER_COMMON_HASHING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

inline constexpr size_t kHashBytes = 32;

// 32 zero bytes.
const std::string& GenesisHash();

std::string Sha256(absl::string_view data);
// Deterministic protobuf bytes (map order fixed).
std::string DeterministicBytes(const google::protobuf::Message& message);
// SHA-256(prev_hash || body).
std::string ChainHash(absl::string_view prev_hash, absl::string_view body);
// Sets entry->hash over its body and returns the StoredEntry bytes to write.
// entry->prev_hash must be set and entry->hash empty.
std::string SealEntry(loyalty::v1::LedgerEntry* entry);
// Decodes a StoredEntry's bytes into the entry (hash included). DataLoss if
// either layer does not decode. Does not check the hash (Verify does).
absl::StatusOr<loyalty::v1::LedgerEntry> UnsealEntry(absl::string_view stored);
std::string HexEncode(absl::string_view bytes);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_HASHING_H_
