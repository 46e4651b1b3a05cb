#include "ledger/points/sweep.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status SweepCommand::Prepare(const Rules& rules, int64_t now_ms,
                                   Request& request, Prepared& prepared) {
  if (request.members_max <= 0) {
    return absl::InvalidArgumentError("members_max must be positive");
  }
  return absl::OkStatus();
}

absl::Status SweepCommand::Decide(const Rules& rules, Batch& batch,
                                  Queued<SweepCommand>& command) {
  const int members_max = command.request.members_max;
  std::vector<std::string> due_members;
  bool more = false;
  LEDGER_RETURN_IF_ERROR(batch.store().Scan(
      Family::kSchedule, "", ScheduleUpper(batch.now_ms()), false,
      [&](absl::string_view key, absl::string_view) {
        if (static_cast<int>(due_members.size()) == members_max) {
          more = true;
          return false;
        }
        std::optional<ScheduleItem> item = ParseScheduleKey(key);
        if (item.has_value()) due_members.push_back(std::move(item->member_id));
        return true;
      }));
  SweepResult result;
  result.more = more;
  const uint64_t entries_before = batch.entries_appended();
  for (const std::string& member_id : due_members) {
    const uint64_t before = batch.entries_appended();
    // A member settled earlier in this batch has nothing due any more. A
    // schedule key without its member is a broken index that VerifyLedger
    // reports; the sweep goes on with the others.
    absl::Status settled = SettleMember(member_id, rules, batch).status();
    if (!settled.ok() && !absl::IsNotFound(settled)) return settled;
    if (batch.entries_appended() > before) ++result.members_settled;
  }
  result.entries_written = batch.entries_appended() - entries_before;
  command.response = result;
  return absl::OkStatus();
}

}  // namespace loyalty
