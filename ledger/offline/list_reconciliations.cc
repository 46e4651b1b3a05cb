#include "ledger/offline/list_reconciliations.h"

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/page_token.h"
#include "ledger/common/status_util.h"

namespace loyalty {

absl::StatusOr<loyalty::v1::ListOfflineReconciliationsResponse>
ListOfflineReconciliations(
    const StoreReader& store,
    const loyalty::v1::ListOfflineReconciliationsRequest& request) {
  if (request.page_size() < 0 || request.page_size() > kPageSizeMax) {
    return InvalidField(
        "page_size", absl::StrCat("must be 0 (", kPageSizeDefault, ") to ",
                                  kPageSizeMax, ", got ", request.page_size()));
  }
  const size_t page_size = request.page_size() == 0
                               ? static_cast<size_t>(kPageSizeDefault)
                               : static_cast<size_t>(request.page_size());
  std::string lower;
  if (!request.page_token().empty()) {
    LEDGER_ASSIGN_OR_RETURN(
        uint64_t after, DecodeReconciliationPageToken(request.page_token()));
    if (after == std::numeric_limits<uint64_t>::max()) {
      return loyalty::v1::ListOfflineReconciliationsResponse();
    }
    lower = EntryKey(after + 1);
  }
  // One more than a page tells whether another page follows.
  std::vector<uint64_t> sequences;
  absl::Status corrupt_key = absl::OkStatus();
  LEDGER_RETURN_IF_ERROR(
      store.Scan(Family::kOfflineReconciliations, lower, "", /*reverse=*/false,
                 [&](absl::string_view key, absl::string_view) {
                   std::optional<uint64_t> sequence = DecodeBigEndian64(key);
                   if (!sequence.has_value()) {
                     corrupt_key = absl::DataLossError(
                         "an offline reconciliations key is malformed");
                     return false;
                   }
                   sequences.push_back(*sequence);
                   return sequences.size() <= page_size;
                 }));
  LEDGER_RETURN_IF_ERROR(corrupt_key);

  loyalty::v1::ListOfflineReconciliationsResponse response;
  const size_t shown = std::min(sequences.size(), page_size);
  for (size_t i = 0; i < shown; ++i) {
    absl::StatusOr<std::string> bytes =
        store.Get(Family::kEntries, EntryKey(sequences[i]));
    if (!bytes.ok()) {
      return absl::DataLossError(absl::StrCat(
          "entry ", sequences[i],
          " is indexed but cannot be read: ", bytes.status().message()));
    }
    absl::StatusOr<loyalty::v1::LedgerEntry> entry = UnsealEntry(*bytes);
    if (!entry.ok()) {
      return absl::DataLossError(
          absl::StrCat("entry ", sequences[i], " cannot be decoded"));
    }
    *response.add_entries() = std::move(*entry);
  }
  if (sequences.size() > page_size) {
    response.set_next_page_token(
        EncodeReconciliationPageToken(sequences[page_size - 1]));
  }
  return response;
}

}  // namespace loyalty
