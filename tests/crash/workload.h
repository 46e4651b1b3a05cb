// File: tests/crash/workload.h
//
// The load of the crash tests: random but valid mutations the way channels
// send them, and a client loop that sends them and records every request
// with its answer.
//
// The mix, per request: 10% enroll (a pool member id with its card, someone
// else's card, or a server-assigned id), 45% earn (1-5 basket lines in EUR or
// USD from a POS or the app; 1 in 20 repeats an order already sent; 1 in 7
// dated 1-4 s inside the program's return window, so pending until then,
// the rest up to an hour before it, so available at once),
// 23% redeem (often more than the balance), 12% engagement event, 10% admin
// adjust (credit or debit). Members are "m-<k>" for k < members_max, chosen
// with a bias to a few hot members so that requests of different clients
// collide on one member; 1 in 20 names a member who never exists (with a
// MemberBook, 8 in 100 of the rest name a member an import enrolled). So the
// answers include OK and every remembered rejection: NOT_FOUND,
// FAILED_PRECONDITION (too few points, event limits) and ALREADY_EXISTS
// (member, card or order taken).
//
// With a HoldBook (WorkloadOptions::holds), two-phase redemption joins the
// mix, taken from earn, redeem, event and adjust: 12% HoldPoints (1-150
// points, 1 in 10 far more than anyone has, with a timeout of 1-3 s so that
// holds time out during a run), 7% CapturePoints and 5% ReleasePoints. A
// capture or release mostly names a hold some client of the run got
// acknowledged (the book is shared, so clients race to settle one hold, and
// old holds have often timed out: HOLD_NOT_ACTIVE); 1 in 10 sends a known
// hold id for another member and 1 in 5 an id no hold ever gets
// (HOLD_NOT_FOUND). Hot members reach the program's open-hold limit
// (TOO_MANY_HOLDS).
//
// With an OrderBook (WorkloadOptions::orders), returns join the mix: 5% of
// requests (the rest as above) are Return. 9 in 10 name an order some
// client got an EARN acknowledged for (the book is shared, so clients race
// to return one order): a third the whole order (its total, or every
// line), a third part of its total, a third some of its lines (1 in 8 a
// line more than was bought); repeated partial returns of an order
// eventually exceed it (RETURN_EXCEEDS_ORDER). 1 in 10 names an order no
// one earned (ORDER_NOT_FOUND). A quarter of redeems then spend on a known
// order (member and order id), half of them 300-5000 points, so that a
// return of it restores points and may take points the member has spent
// (debt, under the test program's return policy).
//
// With a VoucherBook (WorkloadOptions::vouchers), vouchers join the mix: 7%
// of requests (the rest as below) are IssueVoucher (20%: six units of the
// crash product, to a pool member), RedeemVoucherUnits (45%: 1-3 units of a
// known voucher, mostly by its owner: tills race for the last units),
// TransferVoucherUnits (12%: to another pool member), GiftVoucherUnits
// (10%), ClaimVoucherGift (9%: a known claim code, by any pool member:
// friends race for one code) and RefundVoucherUnits (4%); and of those 7%,
// a fifth are rewards (reward_check.h): RedeemReward (60%: the small-stock
// coupon item or the voucher item, by a pool member: members race for the
// last coupons in stock) and CancelReward (40%: a reward some client got,
// mostly by its owner, so cancels race each other for one reward).
// With a CouponBook (WorkloadOptions::coupons), coupons join the mix: 8% of
// requests (the rest as above) are, 35% IssueCoupon (a pool member, 1 in 20
// a ghost: NOT_FOUND; 2 in 3 of a five-use template, else a single-use one)
// and 65% RedeemCoupon of a code some client got issued (the book is
// shared and leans to the newest codes, so clients race for a code's last
// uses: COUPON_USED_UP), by its owner; 1 in 10 by another pool member
// (COUPON_NOT_FOUND).
//
// With a MemberBook (WorkloadOptions::members), the member commands join
// the mix: 15% of requests (the rest as above) are, of those, 36%
// TransferPoints, 23% LinkIdentifier, 17% UnlinkIdentifier, 8% ImportMembers,
// 7% CloseMember and 9% MergeMembers (so about 1% of all requests are
// closes, and as many merges):
//   - a transfer goes between two different members of the pool (1 in 20
//     a ghost: NOT_FOUND), 1 in 6 with a member an import enrolled on one
//     side; mostly 1-80 points, 1 in 7 150-260 and 1 in 20 far more than
//     anyone has, so that the test program's per-transfer limit (200) and,
//     for hot members, its per-day limit (3000) are reached
//     (TRANSFER_LIMIT_REACHED), besides INSUFFICIENT_POINTS;
//   - a link gives a pool member (or a ghost) a pool phone (45%, in any of
//     its notations), email (35%) or link card (20%): the pool is small, so
//     identifiers are often taken (IDENTIFIER_TAKEN, also by the member
//     itself) and hot members reach the most identifiers a member may have
//     (TOO_MANY_IDENTIFIERS);
//   - an unlink names, 7 in 10, an identifier some client got linked (the
//     book is shared; in any of its notations, 1 in 10 for another
//     member), else a random member and pool identifier
//     (IDENTIFIER_NOT_FOUND);
//   - an import call has 1-4 rows (each its own request id "<id>-r<i>"):
//     a card no one had (35%), a pool member's enrolment card (35%) or a
//     card an earlier import brought (30%); 2 in 5 a pool phone (taken by
//     another member: IDENTIFIER_TAKEN); 0-300 opening points; half of them
//     earned on a day of the past 700 (in the program's time zone), so
//     that members hold lots of several expiry dates and transfers move
//     them;
//   - a close names a member an import row enrolled (never a pool member,
//     so the rest of the mix keeps its members; an import row of a pool
//     card finds that pool member and does not count), half of them with
//     erase_personal_data. Later transfers and import rows naming it are
//     answered MEMBER_CLOSED (an erased card is free again: a later row
//     enrols a new member), and a second close of it too. Without such a
//     member yet, an import call goes instead;
//   - a merge's source is, 1 in 20, a ghost (MEMBER_NOT_FOUND), 3 in 20 a
//     source some client got merged already (MEMBER_MERGED), 3 in 20 the
//     member of a recent hold (likely open), 1 in 10 the member of a
//     recent order, 1 in 10 a member a return left in debt (any but a hot
//     one), 1 in 5 a member an import enrolled, else (and when the pick is
//     a hot member or one of the first two thirds of the pool) half the
//     time a member an import enrolled and half a member of the last third
//     of the pool (so about a third of the pool becomes aliases, most of
//     them early in a run: later picks of them are MEMBER_MERGED). Its
//     target is, 1 in 4, a merged source (an alias: the merge goes to the
//     member it resolves to, or is MEMBER_MERGED when that is the source),
//     3 in 10 a member an import enrolled, else any member as above. So
//     merges move open holds, orders with returns and redeems on them, debt,
//     lots of several expiry dates and identifiers, and are refused
//     TOO_MANY_IDENTIFIERS (hot members have many) and MEMBER_CLOSED. The
//     rest of the load keeps naming merged members by their old ids: those
//     writes land on the member the id resolves to, and a transfer between
//     an alias and its member is MEMBER_MERGED. While
//     WorkloadOptions::merge_burst is set (just before loyaltyd is stopped),
//     1 request in 3 is a merge, so that merges are in flight when it stops.
// Import cards and enrolment cards are never linked or unlinked by
// LinkIdentifier and UnlinkIdentifier, so an import row's card keeps the
// member its answer named.
//
// Request ids are "c<cycle>-t<client>-<n>", unique in a run.
#ifndef LOYALTY_TESTS_CRASH_WORKLOAD_H_
#define LOYALTY_TESTS_CRASH_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "tests/crash/ledger_client.h"

namespace loyalty::crash {

// One mutation sent, and what came back.
struct SentRequest {
  Method method = Method::kEnroll;
  std::string api_key;
  std::string request;     // The serialized request message.
  std::string request_id;
  std::string member_id;   // As requested; "" when the server assigns it.
  int cycle = 0;
  int attempts = 0;        // Sends so far (a client retries in-doubt answers).
  absl::Time first_sent_at;  // When the first send went out.
  Outcome outcome;         // The last answer; IsAcknowledged once definite.
  absl::Time answered_at;  // When `outcome` came back.
};

// A hold HoldPoints acknowledged: what a later capture or release names.
struct KnownHold {
  std::string member_id;
  std::string hold_id;
};

// The holds acknowledged so far in a run, shared by every client (and kept
// across cycles), so that captures and releases name real holds. Keeps the
// newest `size_max`. Thread-safe.
class HoldBook {
 public:
  explicit HoldBook(size_t size_max = 256) : size_max_(size_max) {}
  void Add(KnownHold hold);
  // Leans towards the newest holds, which are likelier to be still open;
  // nullopt while the book is empty.
  std::optional<KnownHold> Pick(std::mt19937_64& random);

 private:
  const size_t size_max_;
  std::mutex mutex_;
  std::vector<KnownHold> holds_;  // Oldest first.
};

// An order an EARN was acknowledged for: what a Return names.
struct KnownOrder {
  std::string member_id;
  std::string order_id;
  int64_t spend_minor = 0;  // What was paid: total less coupon discounts.
  std::vector<std::pair<std::string, int64_t>> skus;  // SKU, quantity.
};

// The orders acknowledged so far in a run, shared by every client and kept
// across cycles; the newest `size_max`. Thread-safe.
class OrderBook {
 public:
  explicit OrderBook(size_t size_max = 512) : size_max_(size_max) {}
  void Add(KnownOrder order);
  // From an OK Earn (request and response); ignores anything else.
  void AddEarn(const SentRequest& request);
  // Leans towards the newest orders; nullopt while the book is empty.
  std::optional<KnownOrder> Pick(std::mt19937_64& random);

 private:
  const size_t size_max_;
  std::mutex mutex_;
  std::vector<KnownOrder> orders_;  // Oldest first.
};

// An identifier LinkIdentifier linked (OK), by its name in the pool
// (identifier_pool.h).
struct KnownLink {
  std::string member_id;
  std::string identifier_name;
};

// A card an ImportMembers row brought or found, and the row's member.
struct KnownImport {
  std::string card;
  std::string member_id;
  bool enrolled = false;  // The row enrolled the member (not a pool member).
};

// The links, import rows and merges acknowledged so far in a run, shared
// by every client and kept across cycles (the newest `size_max` of each),
// so that unlinks name real links, import rows name cards that exist,
// transfers reach members an import enrolled and merges name aliases.
// Thread-safe.
class MemberBook {
 public:
  explicit MemberBook(size_t size_max = 256) : size_max_(size_max) {}
  // Takes in an acknowledged LinkIdentifier, ImportMembers, MergeMembers or
  // Return (request and response); ignores anything else.
  void AddAnswer(const SentRequest& request);
  std::optional<KnownLink> PickLink(std::mt19937_64& random);
  std::optional<KnownImport> PickImport(std::mt19937_64& random);
  // A row that enrolled its member: what CloseMember may name.
  std::optional<KnownImport> PickEnrolled(std::mt19937_64& random);
  // The source of a merge some client got acknowledged: an alias now.
  std::optional<std::string> PickMergedSource(std::mt19937_64& random);
  // A member a return left owing points (as its answer said).
  std::optional<std::string> PickDebtor(std::mt19937_64& random);

 private:
  const size_t size_max_;
  std::mutex mutex_;
  std::vector<KnownLink> links_;      // Oldest first.
  std::vector<KnownImport> imports_;  // Oldest first.
  std::vector<KnownImport> enrolled_;  // Oldest first; rows that enrolled.
  std::vector<std::string> merged_sources_;  // Oldest first.
  std::vector<std::string> debtors_;         // Oldest first.
};

// A coupon IssueCoupon acknowledged: its printed code and its owner.
struct KnownCoupon {
  std::string code;
  std::string member_id;  // "" for a bearer code (bulk coupon codes).
};

// A coupon reservation ReserveCoupon acknowledged.
struct KnownReservation {
  std::string member_id;
  std::string reservation_id;
};

// The coupons acknowledged so far in a run, shared by every client and
// kept across cycles (the newest `size_max`), so that clients race to
// redeem the same codes. Thread-safe.
class CouponBook {
 public:
  explicit CouponBook(size_t size_max = 64) : size_max_(size_max) {}
  // Bulk coupon codes: a generated (bearer) code, printed; any member may
  // redeem it.
  void AddBearer(const std::string& code);
  // From an OK IssueCoupon or ReserveCoupon; ignores anything else.
  void AddAnswer(const SentRequest& request);
  // Leans towards the newest coupons, which likelier have uses left;
  // nullopt while the book is empty.
  std::optional<KnownCoupon> Pick(std::mt19937_64& random);
  // One of the newest reservations (open, settled or timed out): several
  // clients race to commit and release the same ones.
  std::optional<KnownReservation> PickReservation(std::mt19937_64& random);

 private:
  const size_t size_max_;
  std::mutex mutex_;
  std::vector<KnownCoupon> coupons_;  // Oldest first.
  std::vector<KnownReservation> reservations_;  // Oldest first.
};

// A voucher some client holds (IssueVoucher, TransferVoucherUnits or
// ClaimVoucherGift acknowledged): its printed code and its owner; or a
// gift's printed claim code.
struct KnownVoucher {
  std::string code;
  std::string member_id;
};

// The vouchers and gift claim codes acknowledged so far in a run, shared by
// every client and kept across cycles (the newest `size_max` of each), so
// that tills race for the last units of one voucher and friends for one
// claim code. Thread-safe.
class VoucherBook {
 public:
  explicit VoucherBook(size_t size_max = 48) : size_max_(size_max) {}
  // From an OK voucher answer; ignores anything else.
  void AddAnswer(const SentRequest& request);
  // Lean towards the newest; nullopt while there is none.
  std::optional<KnownVoucher> PickVoucher(std::mt19937_64& random);
  std::optional<KnownVoucher> PickGift(std::mt19937_64& random);
  // Rewards catalog: a reward's printed coupon or voucher code and owner.
  std::optional<KnownVoucher> PickReward(std::mt19937_64& random);

 private:
  void Add(std::vector<KnownVoucher>* list, KnownVoucher known);
  const size_t size_max_;
  std::mutex mutex_;
  std::vector<KnownVoucher> vouchers_;  // Oldest first.
  std::vector<KnownVoucher> gifts_;     // Oldest first; member: the giver.
  std::vector<KnownVoucher> rewards_;   // Oldest first.
};

struct WorkloadOptions {
  int cycle = 0;
  int client = 0;
  uint64_t seed = 0;
  int members_max = 60;
  int hot_members = 4;
  // Adds HoldPoints, CapturePoints and ReleasePoints to the mix when set,
  // with timeouts of kHoldTimeoutMsMin..kHoldTimeoutMsMax (test_program.h).
  HoldBook* holds = nullptr;
  // Adds Return (and redeems on earned orders) to the mix when set.
  OrderBook* orders = nullptr;
  // Adds TransferPoints, LinkIdentifier, UnlinkIdentifier, ImportMembers,
  // CloseMember and MergeMembers to the mix when set.
  MemberBook* members = nullptr;
  // Adds IssueCoupon, RedeemCoupon, ReserveCoupon (timeouts of
  // kHoldTimeoutMsMin..kHoldTimeoutMsMax), CommitCoupon and ReleaseCoupon to
  // the mix when set.
  CouponBook* coupons = nullptr;
  // Adds the voucher commands to the mix when set (see the file comment).
  VoucherBook* vouchers = nullptr;
  // With `members`: while this is true, 1 request in 3 is a merge (a burst
  // just before loyaltyd is stopped, so that merges are in flight then).
  const std::atomic<bool>* merge_burst = nullptr;
};

class RequestGenerator {
 public:
  explicit RequestGenerator(const WorkloadOptions& options);
  SentRequest Next();
  // Tells the generator the definite answer to one of its requests: an
  // acknowledged hold goes into the HoldBook, an acknowledged earn into the
  // OrderBook, acknowledged links, import rows and merges into the
  // MemberBook.
  void Answered(const SentRequest& request);

 private:
  std::string PickMember();
  // One request of the mix (see the file comment).
  SentRequest NextOfMix(std::string request_id);
  SentRequest NextEnroll(std::string request_id);
  SentRequest NextEarn(std::string request_id);
  SentRequest NextRedeem(std::string request_id);
  SentRequest NextAdjust(std::string request_id);
  SentRequest NextEvent(std::string request_id);
  SentRequest NextHold(std::string request_id);
  SentRequest NextSettle(std::string request_id, bool capture);
  SentRequest NextReturn(std::string request_id);
  SentRequest NextMemberCommand(std::string request_id);
  SentRequest NextTransfer(std::string request_id);
  SentRequest NextLink(std::string request_id);
  SentRequest NextUnlink(std::string request_id);
  SentRequest NextImport(std::string request_id);
  SentRequest NextClose(std::string request_id);
  SentRequest NextMerge(std::string request_id);
  SentRequest NextIssueCoupon(std::string request_id);
  SentRequest NextRedeemCoupon(std::string request_id);
  SentRequest NextReserveCoupon(std::string request_id);
  SentRequest NextSettleCoupon(std::string request_id);
  SentRequest NextVoucherCommand(std::string request_id);
  SentRequest NextIssueVoucher(std::string request_id);
  SentRequest NextRewardCommand(std::string request_id);
  // A member for a voucher: a pool member (never an imported one, whose
  // close a voucher would hold up), now and then one nobody enrolled.
  std::string PickVoucherMember();
  // See the file comment.
  std::string PickMergeSource();
  std::string PickMergeTarget();
  // Pool members from this index on may be a merge's source.
  int FirstMergeablePoolMember() const;
  // Whether `member_id` may be a merge's source: not a pool member before
  // `first_pool_member`.
  bool Mergeable(const std::string& member_id, int first_pool_member) const;
  // A pool member, 1 in 6 (once the book has one) a member an import
  // enrolled or found.
  std::string PickTransferMember();
  loyalty::v1::MemberIdentifier PickPoolIdentifier();
  int Uniform(int low, int high);  // In [low, high].
  bool Chance(double p);

  WorkloadOptions options_;
  std::mt19937_64 random_;
  uint64_t counter_ = 0;
  uint64_t import_cards_ = 0;  // New cards given to import rows.
  std::vector<std::pair<std::string, std::string>> orders_;  // member, order
};

// Sends `generator`'s requests one after another over its own connection to
// `address` until `stop` is set, and appends each to `sent`. An in-doubt
// answer is retried with the same request (as a POS would) until it is
// definite or `stop` is set; a definite answer goes to generator->Answered.
void RunClient(const std::string& address, RequestGenerator* generator,
               const std::atomic<bool>* stop, std::vector<SentRequest>* sent);

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_WORKLOAD_H_
