// File: ledger/vouchers/voucher_time.h
//
// What time itself does to vouchers: a gift unclaimed when its claim code
// expires goes back to the giver's voucher (VOUCHER_GIFT_RETURN), and the
// units a voucher has left at its expiry expire (VOUCHER_EXPIRE). Both are
// due items of the member's voucher_dues, so they count in next_due_ms:
// every write to the member settles them first (points/settle.h calls
// SettleVoucherDues after the points' own time-driven entries) and the
// sweep reaches members nobody writes to. Writer thread only.
#ifndef LOYALTY_LEDGER_VOUCHERS_VOUCHER_TIME_H_
#define LOYALTY_LEDGER_VOUCHERS_VOUCHER_TIME_H_

#include "absl/status/status.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/command.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// Appends, in due order, every voucher entry due for `member` by the
// batch's now (principal "system", occurred_at_ms = when it fell due), and
// folds each into its voucher's and gift's records. A closed member has
// none (CloseMember refuses one with voucher dues); a merged one gave
// its dues to the member it was merged into.
absl::Status SettleVoucherDues(loyalty::storage::v1::MemberRecord* member,
                               Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_VOUCHER_TIME_H_
