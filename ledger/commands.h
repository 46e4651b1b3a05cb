// File: ledger/commands.h
//
// The command table: every mutation the ledger accepts, one row each. A row
// is a spec (engine/command.h) living in its domain's folder; its kInfo says
// its name, service, who may call it and whether it has a dry run, and its
// Prepare and Decide are its validation and its rule.
//
// Everything else reads this list: Ledger::Submit queues any row, the
// writer runs its rule inside the engine's idempotency, the server
// registers one RPC per row and authorizes each call by the row's access
// (server/method_table.cc), and tests check that every RPC has a row.
//
// Adding a command: write its spec in its domain's folder (request and
// response in proto/loyalty/v1/loyalty_service.proto), then add it here.
// docs/ARCHITECTURE.md walks through it.
#ifndef LOYALTY_LEDGER_COMMANDS_H_
#define LOYALTY_LEDGER_COMMANDS_H_

#include "ledger/coupons/generate_coupons.h"
#include "ledger/coupons/issue_coupon.h"
#include "ledger/coupons/redeem_coupon.h"
#include "ledger/coupons/reserve_coupon.h"
#include "ledger/members/close.h"
#include "ledger/members/enroll.h"
#include "ledger/members/import.h"
#include "ledger/members/link.h"
#include "ledger/members/merge.h"
#include "ledger/members/transfer.h"
#include "ledger/points/adjust.h"
#include "ledger/points/earn.h"
#include "ledger/points/event.h"
#include "ledger/points/holds.h"
#include "ledger/points/redeem.h"
#include "ledger/points/return.h"
#include "ledger/rewards/cancel_reward.h"
#include "ledger/rewards/redeem_reward.h"
#include "ledger/vouchers/gift_voucher_units.h"
#include "ledger/vouchers/issue_voucher.h"
#include "ledger/vouchers/redeem_voucher_units.h"
#include "ledger/vouchers/refund_voucher_units.h"
#include "ledger/vouchers/transfer_voucher_units.h"

namespace loyalty {

template <typename... Specs>
struct CommandList {
  // Calls `visit.template operator()<Spec>()` for every row, in order.
  template <typename Visitor>
  static void ForEach(Visitor&& visit) {
    (visit.template operator()<Specs>(), ...);
  }
  static constexpr int kSize = sizeof...(Specs);
};

using CommandTable = CommandList<
    // members/
    EnrollMemberCommand, LinkIdentifierCommand, UnlinkIdentifierCommand,
    TransferPointsCommand, ImportMemberCommand, CloseMemberCommand,
    MergeMembersCommand,
    // points/
    EarnCommand, RedeemCommand, AdjustCommand, RecordEventCommand,
    HoldPointsCommand, CapturePointsCommand, ReleasePointsCommand,
    ReturnCommand,
    // coupons/
    IssueCouponCommand, RedeemCouponCommand, ReserveCouponCommand,
    CommitCouponCommand, ReleaseCouponCommand,
    // coupons/, bulk coupon codes (rows arrive through GenerateCoupons)
    GenerateCouponChunkCommand,
    // vouchers/
    IssueVoucherCommand, RedeemVoucherUnitsCommand, TransferVoucherUnitsCommand,
    GiftVoucherUnitsCommand, ClaimVoucherGiftCommand, RefundVoucherUnitsCommand,
    // rewards/
    RedeemRewardCommand, CancelRewardCommand>;

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMANDS_H_
