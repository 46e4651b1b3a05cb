// File: tests/model/generator.h
//
// Random commands for the model-based test. Every command kind has one row
// in the kind table (a KindSpec in its domain's points_generator.cc or
// members_generator.cc, listed in kKinds in generator.cc; see
// generator_kinds.h): how often it is sent fresh, and four functions that
// build a valid request, a request near a limit (huge amounts, exactly the
// balance, one point more), a malformed request (one field broken on
// purpose, so INVALID_ARGUMENT by construction) and a content change that
// stays valid (for "same request id, other content").
//
// On top of the kinds the generator mixes in retries: the same command again
// (same principal, id and content: must replay the first outcome), the same
// id with other content (ALREADY_EXISTS), the same content from another
// principal (a new request: ids are per principal), and a new request under
// the id of an earlier malformed one (which must not have been remembered).
//
// Choices depend only on the seed and on the model's state in enrollment
// order, never on the ledger's random member ids, so a seed replays the same
// run. (One exception, rare: a sweep with a limit settles members in order
// of their ids, which moves later sequence numbers and so the hold ids sent;
// which holds are chosen stays the same.)
//
// A member's expired_points_total stops at INT64_MAX (the ledger saturates
// it): grants to rich members go on so that expiries reach it.
//
// Identifiers: cards, app user ids and partner accounts are fresh (or sent
// before); phones come from the model's phone table and emails from a pool
// of 40 addresses, so they are taken, freed and taken again often, each
// sent in a random notation (another notation of the table, letters of an
// email in random case with spaces around). A retry may also re-send a past
// request in other notations: the same content, so it must replay.
//
// Members: closes are rare (and spare the three oldest members, whom a
// third of the events go to), merges a few in a hundred; both name, now
// and then on purpose, aliases, closed members and members that cannot be
// closed or merged (pending points, open holds, one order id each, too
// many identifiers, the two richest). Once there are aliases, a merged
// member's old id stands in for member ids everywhere now and then (one
// pick in sixteen), captures and releases name a hold by the id that made
// it or the one it resolves to, and transfers now and then name an alias
// and its member (one member twice). An earn now and then reuses an order
// id another member earned, so that two members share an order id.
//
// Dry runs of imports go out only as single steps: a dry run is decided on
// the stored state, which within a group is not the state the commands
// before it in the same batch leave.
#ifndef LOYALTY_TESTS_MODEL_GENERATOR_H_
#define LOYALTY_TESTS_MODEL_GENERATOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ledger/common/random_source.h"
#include "ledger/coupons/codes.h"
#include "model.h"

namespace loyalty::model {

// The principals commands come from.
inline const std::vector<std::string>& Principals() {
  static const std::vector<std::string> kPrincipals = {"pos-17", "app-backend",
                                                       "ops-admin"};
  return kPrincipals;
}

class Generator {
 public:
  // `near_limits` false leaves out the commands built to sit at a limit
  // (huge baskets, exactly the balance or headroom, one point past it).
  Generator(uint64_t seed, const Model* model, bool near_limits = true);

  // A new step: every command generated so far has been applied to the
  // model.
  void StartStep() {}

  // The next command; `now_ms` is the ledger clock's current time (requests
  // may carry occurred_at up to a day ahead of it). `grouped`: it is sent
  // with others at once (an import is then never a dry run).
  Command Next(int64_t now_ms, bool grouped = false);

  std::mt19937_64& rng() { return rng_; }
  int64_t Uniform(int64_t lo, int64_t hi);  // Inclusive.
  bool Chance(double p);

  // Helpers for the kind table.
  const Model& model() const { return *model_; }
  int64_t now_ms() const { return now_ms_; }
  std::string NewRequestId();
  std::string NewOrderId();
  std::string NewMemberId();
  // A fresh canonical coupon code (nobody's, as good as certainly), drawn
  // from the run's seed so a run replays exactly.
  std::string NewCode() { return NewCouponCode(codes_); }
  // A member to act on: mostly an enrolled one (often a recent one), else
  // one not enrolled (yet).
  std::string PickMember();
  // The member with the most points among the recent ones: the commands
  // built to sit at a limit act on it half the time, so balances and
  // lifetime totals reach INT64_MAX within a default run.
  std::string PickRich();
  // Any kind: a fresh card, app user id or partner account, a phone of the
  // table or an email of the pool, or sometimes one already sent; in a
  // random notation.
  v1::MemberIdentifier PickIdentifier();
  // A fresh card number of 4..32 digits.
  std::string NewCardNumber();
  // `identifier` in a random notation of its canonical form (as is when the
  // model cannot read it).
  v1::MemberIdentifier Renotated(const v1::MemberIdentifier& identifier);
  // The member with the most identifiers among the recent ones and the
  // one this chose last (for the 8-per-member limit); PickMember() when
  // there is none.
  std::string PickFullest();
  // A recent member in debt, if any; else PickMember().
  std::string PickInDebt();
  // The member transfers mostly come from: one with points, kept for a
  // while so its daily limit is reached.
  std::string PickSender();
  // A card of an enrolled member (recent ones mostly), or "" if none has
  // one.
  std::string PickOwnedCard();
  // A burst: the next `count` commands are fresh ones of `kind` (kind
  // builders then keep to one member: transfers from PickSender()'s, holds
  // on PickRich()'s), so per-member limits are met.
  void StartBurst(size_t kind, int count) {
    burst_kind_ = kind;
    burst_left_ = count;
  }
  bool in_burst(size_t kind) const {
    return burst_left_ > 0 && burst_kind_ == kind;
  }
  // Every identifier sent so far (a bounded sample), as sent.
  const std::vector<v1::MemberIdentifier>& identifiers_sent() const {
    return identifiers_sent_;
  }
  v1::RequestContext ChannelContext();
  v1::RequestContext AdminContext();
  int64_t OccurredAt();

 private:
  Command Fresh(int kind);
  Command Boundary(int kind);
  Command Malformed(int kind);
  const Command* PickPast(bool recent_bias);
  int PickKind();
  void Remember(const Command& command);

  std::mt19937_64 rng_;
  SeededRandomSource codes_;
  const Model* model_;
  const bool near_limits_;
  int64_t now_ms_ = 0;
  uint64_t request_counter_ = 0;
  uint64_t order_counter_ = 0;
  uint64_t member_counter_ = 0;
  uint64_t identifier_counter_ = 0;
  std::vector<v1::MemberIdentifier> identifiers_sent_;
  std::string rich_;
  std::string sender_;
  std::string fullest_;
  size_t burst_kind_ = 0;
  int burst_left_ = 0;
  // Commands sent: the last few, and a bounded sample of all of them.
  std::deque<Command> recent_;
  std::vector<Command> sample_;
  uint64_t sent_ = 0;
  // (principal, request id) of malformed requests whose id itself is valid.
  std::vector<std::pair<std::string, std::string>> malformed_ids_;
};

// The emails the generator sends, in canonical form (lower case).
const std::vector<std::string>& EmailPool();
// (kind, canonical) in a random notation drawn from `rng`.
std::string RenderIdentifier(v1::IdentifierKind kind,
                             const std::string& canonical,
                             std::mt19937_64& rng);

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_GENERATOR_H_
