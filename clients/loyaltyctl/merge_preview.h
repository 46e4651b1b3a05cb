// File: clients/loyaltyctl/merge_preview.h
//
// What `loyaltyctl merge` shows the operator before asking: both members as
// they are now and what the target would have after the merge, read from
// the two members (LoyaltyService.GetMember). It is a forecast: a merge
// moves everything, so points, identifiers and totals add up, but only the
// server knows the program's tiers, and points may mature, expire or be
// spent between the read and the merge. The merge's own answer says what
// really happened. Pure functions, no I/O beyond the stream given.
//
//   MergeForecast after = ForecastMerge(source, target);
//   PrintMergePreview(std::cerr, source, target);

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_MERGE_PREVIEW_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_MERGE_PREVIEW_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

// The target after the merge, as far as two member reads tell. A sum that
// would not fit in int64 is nullopt: the server then refuses the merge
// (BALANCE_OVERFLOW) rather than wrap.
struct MergeForecast {
  int identifier_count = 0;
  // Negative when the source's debt is larger than the target's points.
  std::optional<int64_t> available_points;
  std::optional<int64_t> pending_points;
  std::optional<int64_t> held_points;
  std::optional<int64_t> qualifying_amount;
  // "silver", "at least gold" (the summed qualifying amount reaches the
  // next tier), "the higher of silver and gold" (the reads do not tell which
  // ranks higher), or "" when the program has no tiers.
  std::string tier_label;
};

// Forecasts the target after merging `source` into it.
MergeForecast ForecastMerge(const loyalty::v1::Member& source,
                            const loyalty::v1::Member& target);

// Writes what the merge does in words and a table of the source, the
// target and the target after (status, identifier count, available,
// pending and held points, tier), aligned, to `out`.
void PrintMergePreview(std::ostream& out, const loyalty::v1::Member& source,
                       const loyalty::v1::Member& target);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_MERGE_PREVIEW_H_
