#include "ledger/engine/rule_support.h"

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using loyalty::v1::RequestContext;

absl::Status BalanceOverflow(int64_t available, int64_t delta) {
  return WithReason(absl::FailedPreconditionError(
                        absl::StrCat("the balance would overflow: available ",
                                     available, ", adding ", delta)),
                    loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
}

std::string RandomMemberId(RandomSource& random) {
  // Opaque ids that reveal nothing about volume or order: 64 bits drawn
  // from the ledger's random source.
  std::array<unsigned char, 8> random_bytes{};
  random.Fill(absl::MakeSpan(random_bytes));
  uint64_t bits = 0;
  for (unsigned char byte : random_bytes) bits = (bits << 8) | byte;
  return absl::StrFormat("M%016x", bits);
}

}  // namespace

// The entry's "who did it" fields (promise 8).
LedgerEntry EntryFor(const RequestContext& context,
                     const std::string& principal, loyalty::v1::EntryKind kind,
                     const std::string& member_id) {
  LedgerEntry entry;
  entry.set_member_id(member_id);
  entry.set_kind(kind);
  entry.set_bucket(loyalty::v1::BUCKET_AVAILABLE);
  entry.set_channel(context.channel());
  entry.set_store_id(context.store_id());
  entry.set_terminal_id(context.terminal_id());
  entry.set_principal(principal);
  entry.set_request_id(context.request_id());
  entry.set_occurred_at_ms(context.occurred_at_ms());
  return entry;
}

absl::Status TotalOverflow(int64_t total, int64_t delta) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "a lifetime points total would overflow int64: ", total,
                        " + ", delta)),
                    loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
}

absl::Status InsufficientPoints(int64_t available, int64_t requested) {
  return WithReason(absl::FailedPreconditionError(
                        absl::StrCat("insufficient points: available ",
                                     available, ", requested ", requested)),
                    loyalty::v1::ERROR_REASON_INSUFFICIENT_POINTS);
}

// OK when an entry of `kind` moving `delta` points keeps the member's
// available points at or above zero, everything it owns (available +
// pending + held) within int64, and the lifetime total the kind adds to
// within int64. Holding everything owned within int64 is what lets
// maturation and release move points between buckets without checks.
// Checked before appending: FoldEntry refusing an entry later would be a
// broken invariant, which aborts (promise 6).
absl::Status CheckDelta(const MemberRecord& member, loyalty::v1::EntryKind kind,
                        int64_t delta) {
  if (delta < 0 && member.available_points() < -delta) {
    return InsufficientPoints(member.available_points(), -delta);
  }
  if (delta > 0) {
    int64_t owned = 0;
    if (__builtin_add_overflow(member.available_points(),
                               member.pending_points(), &owned) ||
        __builtin_add_overflow(owned, member.held_points(), &owned) ||
        __builtin_add_overflow(owned, delta, &owned)) {
      return BalanceOverflow(member.available_points(), delta);
    }
  }
  int64_t total = 0;
  int64_t total_delta = delta;
  switch (kind) {
    case loyalty::v1::ENTRY_KIND_EARN:
    case loyalty::v1::ENTRY_KIND_EVENT:  // Event points count as earned.
      total = member.earned_points_total();
      break;
    case loyalty::v1::ENTRY_KIND_REDEEM:
    case loyalty::v1::ENTRY_KIND_REWARD_REDEEM:
    case loyalty::v1::ENTRY_KIND_HOLD:  // Counted as redeemed on capture.
      total = member.redeemed_points_total();
      total_delta = -delta;  // Redemptions add up as a positive total.
      break;
    case loyalty::v1::ENTRY_KIND_ADJUST:
      total = member.adjusted_points_total();
      break;
    case loyalty::v1::ENTRY_KIND_OPENING:
      total = member.opening_points_total();
      break;
    case loyalty::v1::ENTRY_KIND_TRANSFER_OUT:
      total = member.transferred_out_points_total();
      total_delta = -delta;
      break;
    case loyalty::v1::ENTRY_KIND_TRANSFER_IN:
      total = member.transferred_in_points_total();
      break;
    case loyalty::v1::ENTRY_KIND_RESTORE:  // Net redeemed goes down.
    case loyalty::v1::ENTRY_KIND_REWARD_CANCEL:
      total = member.redeemed_points_total();
      total_delta = -delta;
      break;
    default:
      LEDGER_CHECK(false);  // Only commands' kinds reach here.
  }
  int64_t total_after = 0;
  if (__builtin_add_overflow(total, total_delta, &total_after)) {
    return TotalOverflow(total, total_delta);
  }
  return absl::OkStatus();
}

absl::Status MemberClosed(absl::string_view member_id) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "member \"", member_id,
                        "\" is closed; nothing more can be written to it")),
                    loyalty::v1::ERROR_REASON_MEMBER_CLOSED);
}

absl::Status MemberMerged(const MemberRecord& alias) {
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "member \"", alias.member_id(), "\" was merged into \"",
          alias.merged_into_member_id(), "\"; name that member instead")),
      loyalty::v1::ERROR_REASON_MEMBER_MERGED);
}

absl::StatusOr<std::string> ResolveMemberId(absl::string_view member_id,
                                            Batch& batch) {
  std::string resolved(member_id);
  for (int hops = 0;; ++hops) {
    absl::StatusOr<MemberRecord*> member = batch.LoadMember(resolved);
    if (absl::IsNotFound(member.status())) return resolved;
    if (!member.ok()) return member.status();
    if ((*member)->status() != loyalty::v1::MEMBER_STATUS_MERGED) {
      return resolved;
    }
    if (hops == kAliasChainMax) {
      return absl::DataLossError(absl::StrCat(
          "member \"", member_id, "\": its merges form a chain longer than ",
          kAliasChainMax, " (or a loop)"));
    }
    resolved = (*member)->merged_into_member_id();
  }
}

absl::StatusOr<std::string> ChooseMemberId(const std::string& requested,
                                           Batch& batch) {
  if (!requested.empty()) {
    LEDGER_ASSIGN_OR_RETURN(bool exists, batch.MemberExists(requested));
    if (exists) {
      return WithReason(absl::AlreadyExistsError(absl::StrCat(
                            "member_id: \"", requested, "\" already exists")),
                        loyalty::v1::ERROR_REASON_MEMBER_EXISTS);
    }
    return requested;
  }
  while (true) {
    std::string candidate = RandomMemberId(batch.random());
    LEDGER_ASSIGN_OR_RETURN(bool exists, batch.MemberExists(candidate));
    if (!exists) return candidate;
  }
}

absl::Status ResolveMemberAlias(std::string* member_id, Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(*member_id, ResolveMemberId(*member_id, batch));
  return absl::OkStatus();
}

absl::Status NamesMergedMember(absl::string_view problem) {
  return WithReason(absl::FailedPreconditionError(problem),
                    loyalty::v1::ERROR_REASON_MEMBER_MERGED);
}

absl::StatusOr<MemberRecord*> LoadNamed(absl::StatusOr<MemberRecord*> loaded,
                                        absl::string_view field,
                                        absl::string_view member_id) {
  if (absl::IsNotFound(loaded.status())) {
    return WithReason(absl::NotFoundError(absl::StrCat(field, ": no member \"",
                                                       member_id, "\"")),
                      loyalty::v1::ERROR_REASON_MEMBER_NOT_FOUND);
  }
  return loaded;
}

}  // namespace loyalty
