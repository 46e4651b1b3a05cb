// File: ledger/read/entry_stream.h
//
// What the change stream (AdminService.WatchEntries) reads: stored entries
// from a sequence on, each as the bytes its hash covers, and the filters a
// consumer may set. The server's session (server/watch_entries.h) pages
// through these from its own cursor; nothing here is held per consumer.
#ifndef LOYALTY_LEDGER_READ_ENTRY_STREAM_H_
#define LOYALTY_LEDGER_READ_ENTRY_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// At most this many members, kinds and channels in one stream's filters.
inline constexpr int kWatchFilterValuesMax = 100;

// A consumer's filters: an entry passes when every set that is not empty
// holds its member id, kind and channel.
class EntryFilter {
 public:
  // InvalidArgument naming the field for a member id that is not an id, an
  // unknown or unspecified kind or channel, or more than
  // kWatchFilterValuesMax values.
  static absl::StatusOr<EntryFilter> FromRequest(
      const loyalty::v1::WatchEntriesRequest& request);

  bool empty() const {
    return members_.empty() && kinds_.empty() && channels_.empty();
  }
  bool Matches(const loyalty::v1::LedgerEntry& entry) const;

 private:
  absl::flat_hash_set<std::string> members_;
  absl::flat_hash_set<int> kinds_;
  absl::flat_hash_set<int> channels_;
};

// The stored entries with sequences in [from_sequence, through_sequence],
// at most `count_max` of them, in order, each with its body (the bytes its
// hash covers) and hash. DataLoss for a stored entry that does not decode.
absl::StatusOr<std::vector<loyalty::v1::StreamedEntry>> ReadStreamedEntries(
    const StoreReader& store, uint64_t from_sequence,
    uint64_t through_sequence, size_t count_max);

// The entry a streamed body holds (the fields only the ledger reads
// dropped); false when the body does not decode.
bool ParseStreamedBody(absl::string_view body,
                       loyalty::v1::LedgerEntry* entry);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_READ_ENTRY_STREAM_H_
