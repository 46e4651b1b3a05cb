// File: ledger/points/time_driven.h
//
// The life of granted points after the grant: when a lot expires and when a
// pending EARN matures (from the program, at grant time, so the entry
// records both), and which entries time itself writes: a hold that timed
// out is released, a pending lot whose return window passed matures, a lot
// past its expiry expires.
//
// Those time-driven entries are written on the member's next write and by a
// periodic sweep; reads show them as of now without writing (ProjectedAt),
// so a balance never shows points that should have matured or expired.
#ifndef LOYALTY_LEDGER_POINTS_TIME_DRIVEN_H_
#define LOYALTY_LEDGER_POINTS_TIME_DRIVEN_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/program.pb.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// When points granted at `granted_at_ms` expire under the program's expiry
// rule, in its time zone; 0 when they never do (no rule). Saturates at
// year 9999 rather than overflowing.
int64_t LotExpiresAtMs(const loyalty::v1::PointsExpiry& expiry,
                       absl::TimeZone time_zone, int64_t granted_at_ms);

// When an EARN for an order at `order_time_ms` becomes available: the
// return window after the order time. 0 when the program has no window.
int64_t MaturesAtMs(const loyalty::v1::ProgramConfig& program,
                    int64_t order_time_ms);

// The earliest time-driven entry due for `member` at `now_ms`, or nullopt.
// Ties go release, then mature, then expire, so released points can expire
// in the same pass. The entry has kind, bucket, delta, lot or hold fields,
// principal "system" and occurred_at_ms = when it fell due; the caller
// appends it (which folds it) and asks again until nullopt.
// A tier evaluation (tiers.h) is the last of the ties.
std::optional<loyalty::v1::LedgerEntry> NextDueEntry(
    const loyalty::storage::v1::MemberRecord& member, int64_t now_ms,
    const loyalty::v1::ProgramConfig& program, absl::TimeZone time_zone);

// Sets available/pending/held_after_points of `entry` to what `member` has
// once the entry is applied. False when a bucket would overflow int64.
bool SetPointsAfter(const loyalty::storage::v1::MemberRecord& member,
                    loyalty::v1::LedgerEntry* entry);

// `member` with every entry due by `now_ms` folded in, as the next write
// would leave it; entry_count and last_sequence stay those of the ledger.
loyalty::storage::v1::MemberRecord ProjectedAt(const loyalty::storage::v1::MemberRecord& member,
                                      int64_t now_ms,
                                      const loyalty::v1::ProgramConfig& program,
                                      absl::TimeZone time_zone);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_TIME_DRIVEN_H_
