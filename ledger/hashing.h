// File: ledger/hashing.h
//
// SHA-256 (OpenSSL) for the entry hash chain, request fingerprints and page
// token tags.
//
// The chain: hash(entry) = SHA-256(prev_hash || CanonicalEntryBytes(entry)),
// where the canonical bytes are the entry's deterministic protobuf encoding
// with `hash` cleared (prev_hash stays in). The first entry's prev_hash is
// kGenesisHash, 32 zero bytes. Tampering with any stored entry breaks the
// chain from that entry on, which VerifyLedger reports.
#ifndef LOYALTY_LEDGER_HASHING_H_
#define LOYALTY_LEDGER_HASHING_H_

#include <string>

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
std::string CanonicalEntryBytes(const loyalty::v1::LedgerEntry& entry);
// SHA-256(prev_hash || canonical bytes); uses entry.prev_hash().
std::string ComputeEntryHash(const loyalty::v1::LedgerEntry& entry);
std::string HexEncode(absl::string_view bytes);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_HASHING_H_
