#include "ledger/read/entry_stream.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

absl::StatusOr<EntryFilter> EntryFilter::FromRequest(
    const loyalty::v1::WatchEntriesRequest& request) {
  EntryFilter filter;
  if (request.member_ids_size() > kWatchFilterValuesMax) {
    return InvalidField("member_ids", absl::StrCat("at most ",
                                                   kWatchFilterValuesMax));
  }
  for (int i = 0; i < request.member_ids_size(); ++i) {
    LEDGER_RETURN_IF_ERROR(ValidateId(request.member_ids(i),
                                      absl::StrCat("member_ids[", i, "]")));
    filter.members_.insert(request.member_ids(i));
  }
  if (request.kinds_size() > kWatchFilterValuesMax) {
    return InvalidField("kinds",
                        absl::StrCat("at most ", kWatchFilterValuesMax));
  }
  for (int i = 0; i < request.kinds_size(); ++i) {
    const int kind = request.kinds(i);
    if (kind == loyalty::v1::ENTRY_KIND_UNSPECIFIED ||
        !loyalty::v1::EntryKind_IsValid(kind)) {
      return InvalidField(absl::StrCat("kinds[", i, "]"),
                          absl::StrCat("no entry kind ", kind));
    }
    filter.kinds_.insert(kind);
  }
  if (request.channels_size() > kWatchFilterValuesMax) {
    return InvalidField("channels",
                        absl::StrCat("at most ", kWatchFilterValuesMax));
  }
  for (int i = 0; i < request.channels_size(); ++i) {
    const int channel = request.channels(i);
    if (channel == loyalty::v1::CHANNEL_UNSPECIFIED ||
        !loyalty::v1::Channel_IsValid(channel)) {
      return InvalidField(absl::StrCat("channels[", i, "]"),
                          absl::StrCat("no channel ", channel));
    }
    filter.channels_.insert(channel);
  }
  return filter;
}

bool EntryFilter::Matches(const loyalty::v1::LedgerEntry& entry) const {
  return (members_.empty() || members_.contains(entry.member_id())) &&
         (kinds_.empty() || kinds_.contains(entry.kind())) &&
         (channels_.empty() || channels_.contains(entry.channel()));
}

absl::StatusOr<std::vector<loyalty::v1::StreamedEntry>> ReadStreamedEntries(
    const StoreReader& store, uint64_t from_sequence,
    uint64_t through_sequence, size_t count_max) {
  std::vector<loyalty::v1::StreamedEntry> entries;
  if (from_sequence == 0 || from_sequence > through_sequence ||
      count_max == 0) {
    return entries;
  }
  absl::Status problem;
  uint64_t expected = from_sequence;
  LEDGER_RETURN_IF_ERROR(store.Scan(
      Family::kEntries, EntryKey(from_sequence),
      EntryKey(through_sequence + 1), /*reverse=*/false,
      [&](absl::string_view key, absl::string_view value) {
        loyalty::storage::v1::StoredEntry stored;
        if (!stored.ParseFromArray(value.data(),
                                   static_cast<int>(value.size()))) {
          problem = absl::DataLossError(
              absl::StrCat("entry ", expected, " does not decode"));
          return false;
        }
        loyalty::v1::StreamedEntry& streamed = entries.emplace_back();
        streamed.set_sequence(expected);
        *streamed.mutable_body() = std::move(*stored.mutable_body());
        *streamed.mutable_hash() = std::move(*stored.mutable_hash());
        ++expected;
        return entries.size() < count_max;
      }));
  LEDGER_RETURN_IF_ERROR(problem);
  // Invariant: sequences are gap-free, so the scan found every one asked
  // for up to where it stopped.
  LEDGER_CHECK(entries.size() == count_max ||
               expected == through_sequence + 1);
  return entries;
}

bool ParseStreamedBody(absl::string_view body,
                       loyalty::v1::LedgerEntry* entry) {
  return ParseEntryBody(body, entry, nullptr);
}

}  // namespace loyalty
