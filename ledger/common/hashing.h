// File: ledger/common/hashing.h
//
// SHA-256 (OpenSSL) for the entry hash chain, request fingerprints and page
// token tags.
//
// The chain: an entry is stored as StoredEntry{body, hash} where body is the
// LedgerEntry's bytes with `hash` unset (prev_hash inside), followed by its
// EntryStorageFields when it has any (records.proto), and
// hash = SHA-256(prev_hash || body). The first entry's prev_hash is
// GenesisHash(), 32 zero bytes. Tampering with any stored entry breaks the
// chain from that entry on, which VerifyLedger reports.
#ifndef LOYALTY_LEDGER_COMMON_HASHING_H_
#define LOYALTY_LEDGER_COMMON_HASHING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "loyalty/storage/v1/records.pb.h"
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
// Sets entry->hash over its body (the entry, then `storage` when given) and
// returns the StoredEntry bytes to write. entry->prev_hash must be set and
// entry->hash empty.
std::string SealEntry(
    loyalty::v1::LedgerEntry* entry,
    const loyalty::storage::v1::EntryStorageFields* storage = nullptr);
// Decodes a StoredEntry's bytes into the public entry (hash included, the
// storage fields dropped) and, when `storage` is given, its storage fields.
// DataLoss if a layer does not decode. Does not check the hash (Verify
// does).
absl::StatusOr<loyalty::v1::LedgerEntry> UnsealEntry(
    absl::string_view stored,
    loyalty::storage::v1::EntryStorageFields* storage = nullptr);
// The public entry and the storage fields of a stored entry's body.
bool ParseEntryBody(absl::string_view body, loyalty::v1::LedgerEntry* entry,
                    loyalty::storage::v1::EntryStorageFields* storage);
std::string HexEncode(absl::string_view bytes);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_HASHING_H_
