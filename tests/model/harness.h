// File: tests/model/harness.h
//
// Drives the real Ledger (over a MemoryStore, with a ManualClock) and the
// reference model (model.h) through one seeded run of generated commands
// (generator.h), and compares them after every step:
//
//   * the status code and error reason; for OK the entry (every field the
//     model knows: sequence, member, kind, bucket, delta, available/
//     pending/held after, who did it, times, order, lot expiry, maturity,
//     hold id and timeout) and the whole balance in the response (pending,
//     held, expired total, next expiring lots, as_of); a replay returns the
//     first response byte for byte (replayed set);
//   * for a transfer also the TRANSFER_IN and the receiver's balance; for an
//     import every entry of its response (ENROLL, LINK, OPENING as they
//     apply; a dry run's too, with the placeholder member id the ledger
//     shows) and its figures; for an enroll, link or unlink the member's
//     identifiers after it (phones and emails as their HMAC);
//   * LookupMember, in a random notation, of every identifier the command
//     named, of one of a random member's and of one unlinked earlier: the
//     owner the model has (with its identifiers), or NOT_FOUND; at every
//     Verify 400 of those owned or once unlinked, and all of them at the
//     end;
//   * GetBalance and GetMember (balance, id, status, identifiers, aliases,
//     tier status) of the members the command named (both of a transfer
//     or a merge; an alias reads as the member it resolves to), and after
//     every clock move of another one (the member whose due instant the
//     clock jumped to, else a random one), against the model's as of now
//     (what fell due counts). The clock moves 0..60 s, sometimes 1..72 h,
//     and one move in ten goes exactly to some member's next hold timeout,
//     maturity, expiry or tier evaluation, or a millisecond before it;
//   * ListWallet of the same members, through every page (page sizes 1..3,
//     the default or 500), with and without include_unusable: exactly the
//     codes of the coupons and vouchers the model gave to the member and
//     to those merged into it, in entry order (usable ones without), and
//     each command's wallet rows written with its entries;
//   * a close's entry and the member as closed; a merge's every entry
//     (MERGE_OUT, MERGE_IN, the TIER entries after them), the MERGE_IN's
//     merged_member_record decoded and compared field by field with the
//     model's source just before the merge (lots, pending lots, holds,
//     totals, tier, months, counts, identifiers, aliases), and the target
//     as merged;
//   * before every earn, QuoteEarn: points, spend and the tier line;
//   * what was written: nothing for a malformed request, a reused request id,
//     a replay or a dry run. Otherwise one batch: the time-driven entries the
//     model predicts (hold timeouts, maturities, expiries, tier evaluations;
//     each decoded and compared field by field, tier and qualifying fields and
//     the tier breakdown line included), the command's own entry if
//     applied (and an EARN's upgrade TIER after it), their
//     index keys, the request record (OK with its response, or the
//     rejection), each member and the head when an entry was written,
//     orders (a merge's moved: erased at the source, put at the target),
//     identifier keys put new for what ENROLL and LINK entries link, put
//     again for the target for what a MERGE_IN moves, and erased for what
//     UNLINK and an erasing CLOSE free (and no other), and each
//     member's schedule key moved (erase + put) exactly as the model's next
//     due time moves. Every Write is recorded
//     (RecordingStore); on sampled steps every family is also scanned and
//     hashed before and after, and the difference must be exactly the
//     recorded puts and erases (no byte changes otherwise), with every
//     family's key count matching the model and the schedule family equal
//     to the keys the writes left;
//   * now and then (2% of steps) Ledger::Sweep, sometimes with a limit of
//     1..3 members, against Model::Sweep: members settled, entries, `more`,
//     and the writes as above;
//   * periodically and at the end: Ledger::Verify() is ok, and every
//     member's statement (ListEntries through every page; an alias's own,
//     ending with its MERGE_OUT) sums to its totals (a MERGE_IN adds the
//     totals its record carries, a CLOSE the forfeited points), oldest
//     entry ENROLL, available/pending/held_after running sums (merges move
//     pending and held too), time-driven entries by "system".
//
// Steps run one at a time (each callback awaited), or as a group of 2..20
// commands submitted together and awaited together; the writer is held
// until the whole group is queued, so the group is applied in batches, and
// the model applies it in submission order. (Batches may split a group
// anywhere, so a group's schedule writes are checked by where they leave
// each member.)
#ifndef LOYALTY_TESTS_MODEL_HARNESS_H_
#define LOYALTY_TESTS_MODEL_HARNESS_H_

#include <cstdint>
#include <string>

namespace loyalty::model {

struct RunOptions {
  uint64_t seed = 0;
  int64_t steps = 0;
  // Verify and statement checks every this many steps (and at the end).
  int64_t verify_every = 500;
  int64_t statements_every = 250;
  // Average number of store keys the sampled full-store scans may read per
  // step; small stores are scanned on every step.
  int64_t scan_keys_per_step = 4000;
  bool trace = false;  // Print every command and outcome to stderr.
  // Send commands near the int64 and balance limits (see generator.h).
  bool near_limits = true;
};

struct RunReport {
  bool ok = true;
  std::string failure;  // Seed, step, command, expected vs actual, history.
  // What the run exercised.
  int64_t steps = 0;
  int64_t commands = 0;
  int64_t groups = 0;
  int64_t ok_applied = 0;
  int64_t replays = 0;
  int64_t remembered_rejections = 0;
  int64_t balance_overflows = 0;  // Refused at INT64_MAX (a remembered one).
  int64_t request_id_reused = 0;
  int64_t malformed = 0;
  int64_t store_scans = 0;
  int64_t steps_scanned = 0;  // Steps whose whole store was compared.
  int64_t verifies = 0;
  int64_t statements = 0;
  uint64_t members = 0;
  uint64_t last_sequence = 0;
  uint64_t batch_commands_max_seen = 0;
  // Points states: entries by kind (the model's count), and rejections.
  int64_t pending_earns = 0;
  int64_t matures = 0;
  int64_t expires = 0;
  int64_t holds = 0;
  int64_t captures = 0;
  int64_t releases = 0;       // By request.
  int64_t hold_timeouts = 0;  // RELEASE by the ledger, hold_timed_out.
  int64_t too_many_holds = 0;
  int64_t holds_not_active = 0;
  int64_t holds_not_found = 0;
  // Remembered rejections that still wrote time-driven entries first.
  int64_t rejections_after_due_entries = 0;
  int64_t sweeps = 0;
  int64_t sweep_entries = 0;
  // Returns: RETURN entries, those taking from the order's pending lot,
  // leaving the member in debt, forgiving points (below the floor); RESTORE
  // entries; grants paying off debt; RETURN_EXCEEDS_ORDER and
  // ORDER_NOT_FOUND rejections.
  int64_t returns = 0;
  int64_t returns_from_pending = 0;
  int64_t returns_into_debt = 0;
  int64_t returns_forgiving = 0;
  int64_t restores = 0;
  int64_t debt_paid_off = 0;
  int64_t return_exceeds = 0;
  int64_t order_not_found = 0;
  // Events older than the program's event_age_max_hours (any command).
  int64_t events_too_old = 0;
  // QuoteEarn answering EVENT_TOO_OLD, as the earn it previews would.
  int64_t quotes_too_old = 0;
  // Tiers: TIER entries moving up (after an EARN), keeping the tier and
  // moving down (evaluations); EARN entries with a tier multiplier line.
  int64_t tier_upgrades = 0;
  int64_t tier_keeps = 0;
  int64_t tier_move_downs = 0;
  int64_t tier_lines = 0;
  int64_t qualifying_returns = 0;  // RETURN entries taking qualifying back.
  // EXPIRE entries (of commands) leaving a member's expired total at
  // INT64_MAX, where it saturates.
  int64_t expired_saturated = 0;
  // OK responses whose balance had to be projected past a lot that expired
  // by now (written only at the next access), as a GetBalance would.
  int64_t stale_response_balances = 0;
  // Identifiers: LINK and UNLINK entries by request, rejections, retries
  // in other notations that replayed, LookupMember checks (and those of
  // identifiers nobody had).
  int64_t links = 0;
  int64_t unlinks = 0;
  int64_t identifiers_taken = 0;
  int64_t identifiers_taken_by_self = 0;
  int64_t too_many_identifiers = 0;
  int64_t identifiers_not_found = 0;
  int64_t replays_in_other_notations = 0;
  int64_t lookups = 0;
  int64_t lookups_missing = 0;
  // Transfers: applied, limits met, senders whose day rolled over, lots
  // received that later expired, and rejections for too few points.
  int64_t transfers = 0;
  int64_t transfers_of_several_lots = 0;
  int64_t transfers_paying_debt = 0;
  int64_t transfer_limits_per_transfer = 0;
  int64_t transfer_limits_per_day = 0;
  int64_t transfer_day_rollovers = 0;
  int64_t transfers_insufficient = 0;
  int64_t transferred_lots_expired = 0;
  // Imports: new members, members found by card, phones linked, phones of
  // another member, OPENING entries and their lots that expired; dry runs.
  int64_t imports_enrolled = 0;
  int64_t imports_found = 0;
  int64_t imports_phone_linked = 0;
  int64_t imports_phone_taken = 0;
  int64_t openings = 0;
  int64_t openings_expired = 0;
  int64_t dry_runs = 0;
  int64_t dry_runs_enrolling = 0;
  int64_t dry_run_rejections = 0;
  // Closing: CLOSE entries (forfeiting points, writing a debt off, erasing
  // identifiers), MEMBER_NOT_SETTLED, and later writes refused
  // MEMBER_CLOSED (merges' own counted below).
  int64_t closes = 0;
  int64_t closes_forfeiting = 0;
  int64_t closes_writing_off_debt = 0;
  int64_t closes_erasing = 0;
  int64_t members_not_settled = 0;
  int64_t members_closed_refused = 0;
  // Merging: MERGE_IN entries (moving pending lots, holds, debt, orders;
  // raising the target's tier), each refusal of a merge, replays of one;
  // MEMBER_MERGED refusals by what named the alias.
  int64_t merges = 0;
  int64_t merges_moving_pending = 0;
  int64_t merges_moving_holds = 0;
  int64_t merges_moving_debt = 0;
  int64_t merges_moving_orders = 0;
  int64_t merges_raising_tier = 0;
  int64_t merges_too_many_identifiers = 0;
  int64_t merges_order_id_conflict = 0;
  int64_t merges_member_not_found = 0;
  int64_t merges_member_closed = 0;
  int64_t merges_balance_overflow = 0;
  int64_t merges_of_aliases = 0;  // Source an alias, or target resolving
                                  // to the source.
  int64_t merges_replayed = 0;
  int64_t closes_of_aliases = 0;
  int64_t transfers_within_one_member = 0;  // Two ids, one member.
  // Aliases met again: commands naming one decided on its member, reads
  // of one; pending lots, holds and orders a merge moved, met at the
  // target (maturing; captured, released or timed out; returned).
  int64_t alias_commands = 0;
  // Coupons: issued, used, used up (at the end), and the refusals met.
  // Vouchers: entries written by kind, and refusals by reason.
  int64_t vouchers_issued = 0;
  int64_t voucher_pickups = 0;
  int64_t voucher_transfers = 0;
  int64_t voucher_gifts = 0;
  int64_t voucher_claims = 0;
  int64_t voucher_gift_returns = 0;
  int64_t voucher_refunds = 0;
  int64_t voucher_expiries = 0;
  int64_t voucher_refusals_not_found = 0;
  int64_t voucher_refusals_too_few = 0;
  int64_t voucher_refusals_expired = 0;
  int64_t voucher_refusals_not_refundable = 0;
  int64_t voucher_refusals_not_claimable = 0;
  int64_t voucher_refusals_gifts_not_allowed = 0;
  int64_t voucher_refusals_product = 0;
  int64_t coupons_issued = 0;
  int64_t coupon_uses = 0;
  int64_t coupons_used_up = 0;
  int64_t coupon_refusals_budget = 0;
  int64_t coupon_refusals_limit = 0;
  int64_t coupon_refusals_not_valid_now = 0;
  int64_t coupon_refusals_used_up = 0;
  int64_t coupon_refusals_wrong_channel = 0;
  int64_t coupon_refusals_wrong_store = 0;
  int64_t coupon_refusals_not_found = 0;
  int64_t coupon_refusals_template = 0;
  int64_t coupon_refusals_needs_basket = 0;
  // Coupons at checkout: earns with codes (with several, with a discount)
  // and their refusals.
  int64_t coupon_checkouts = 0;
  int64_t coupon_quotes_judged = 0;   // QuoteEarn with coupons: priced,
  int64_t coupon_quotes_refused = 0;  // and refused as Earn would.
  int64_t coupon_checkouts_combined = 0;
  int64_t coupon_checkout_discounts = 0;
  int64_t coupon_restores = 0;  // COUPON_RESTORE entries (whole returns).
  int64_t coupon_refusals_basket_too_small = 0;
  int64_t coupon_refusals_no_eligible_lines = 0;
  int64_t coupon_refusals_not_combinable = 0;
  int64_t coupon_refusals_discount_budget = 0;
  int64_t coupon_refusals_wrong_currency = 0;
  int64_t coupon_validations_judged = 0;  // ValidateCoupon before a redeem.
  // Coupon reservations: made, committed, released by request and by the
  // timeout, moved by a merge and settled after; refusals met.
  int64_t coupon_reservations = 0;
  int64_t coupon_reservations_committed = 0;
  int64_t coupon_reservations_released = 0;
  int64_t coupon_reservations_timed_out = 0;
  int64_t merged_coupon_reservations_settled = 0;
  int64_t coupon_refusals_reservation_not_found = 0;
  int64_t coupon_refusals_reservation_not_active = 0;
  int64_t coupon_refusals_too_many_reservations = 0;
  // Bulk coupon codes: chunks written, chunks answered as written before,
  // codes generated, bearer coupons used (uses) at the end, and refusals.
  int64_t generated_chunks = 0;
  int64_t generated_chunks_written_before = 0;
  int64_t generated_codes = 0;
  int64_t bearer_uses = 0;
  int64_t coupon_refusals_batch_conflict = 0;
  int64_t coupon_refusals_bearer_limit = 0;
  // Rewards catalog: exchanges for coupons and vouchers, cancels (of them
  // by a member a merge gave the reward to), and the refusals met.
  int64_t rewards_redeemed_coupons = 0;
  int64_t rewards_redeemed_vouchers = 0;
  int64_t rewards_cancelled = 0;
  int64_t rewards_cancelled_after_merge = 0;
  int64_t reward_refusals_item = 0;
  int64_t reward_refusals_out_of_stock = 0;
  int64_t reward_refusals_limit = 0;
  int64_t reward_refusals_tier = 0;
  int64_t reward_refusals_channel = 0;
  int64_t reward_refusals_not_found = 0;
  int64_t reward_refusals_not_cancellable = 0;
  int64_t alias_reads = 0;
  // Wallet: ListWallet checks (of aliases), the items the model expected in
  // them and the pages read.
  int64_t wallet_reads = 0;
  int64_t wallet_reads_of_aliases = 0;
  int64_t wallet_items = 0;
  int64_t wallet_pages = 0;
  int64_t merged_pending_matured = 0;
  int64_t merged_holds_settled = 0;
  int64_t merged_orders_returned = 0;
  // Coupons issued by program rules: by spend bonuses, by earns' and
  // merges' tier upgrades, and skipped for a budget or a limit reached.
  int64_t rule_coupons_spend = 0;
  int64_t rule_coupons_tier = 0;
  int64_t rule_coupons_merge = 0;
  int64_t rule_coupons_skipped_budget = 0;
  int64_t rule_coupons_skipped_limit = 0;
  // Offline redemptions by outcome (a run meets DEBT or REFUSED_SHORT by
  // its seed's policy), debts that wrote some off, and reconciliation
  // listings compared with the model's.
  int64_t offline_applied = 0;
  int64_t offline_debt = 0;
  int64_t offline_written_off = 0;
  int64_t offline_refused_short = 0;
  int64_t offline_refused_over_allowance = 0;
  int64_t offline_listings = 0;
  // Returns naming a SKU their order never had: INVALID_ARGUMENT, nothing
  // written, not remembered.
  int64_t return_skus_not_in_order = 0;
  double seconds = 0;

  std::string Summary() const;
};

RunReport RunModelTest(const RunOptions& options);

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_HARNESS_H_
