// File: clients/loyaltyctl/statement.cc

#include "clients/loyaltyctl/statement.h"

#include <algorithm>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/member_view.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::v1::ListEntriesRequest;
using loyalty::v1::ListEntriesResponse;
using loyalty::v1::LoyaltyService;

// Fetching stops here, so a server that never ends its token chain cannot
// keep the CLI fetching forever. At the largest page size that is 5 million
// entries, far beyond any one member's statement.
constexpr int kStatementPagesMax = 10000;

// Moves the entries of `page` to the end of *statement and takes its token.
void AppendPage(ListEntriesResponse page, ListEntriesResponse* statement) {
  for (LedgerEntry& entry : *page.mutable_entries()) {
    *statement->add_entries() = std::move(entry);
  }
  statement->set_next_page_token(page.next_page_token());
}

// The page size of the next request: never more than is still wanted, so
// the last page ends exactly at entries_max and its token continues from
// there.
int32_t NextPageSize(const StatementQuery& query, int64_t fetched) {
  if (query.entries_max == 0) return query.page_size;
  const int64_t page_size_max =
      query.page_size == 0 ? kStatementPageSizeMax : query.page_size;
  return static_cast<int32_t>(
      std::min(query.entries_max - fetched, page_size_max));
}

bool LimitReached(const StatementQuery& query, int64_t fetched) {
  return query.entries_max != 0 && fetched >= query.entries_max;
}

// "linked phone", "with card_number, phone", "erased phone": the identifier
// kinds an entry names (never their values: phones and emails are hashes
// anyway).
std::string IdentifierDetails(const LedgerEntry& entry) {
  std::vector<std::string> kinds;
  for (const loyalty::v1::MemberIdentifier& identifier : entry.identifiers()) {
    kinds.push_back(IdentifierKindLabel(identifier.kind()));
  }
  const std::string joined = absl::StrJoin(kinds, ", ");
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_LINK:
      return absl::StrCat("linked ", joined);
    case loyalty::v1::ENTRY_KIND_UNLINK:
      return absl::StrCat("unlinked ", joined);
    case loyalty::v1::ENTRY_KIND_CLOSE:
      return absl::StrCat("erased ", joined);
    case loyalty::v1::ENTRY_KIND_MERGE_IN:
      return absl::StrCat("moved ", joined);
    default:
      return absl::StrCat("with ", joined);
  }
}

// Which coupon a coupon entry names, and the reservation it opens or ends.
std::string CouponDetails(const LedgerEntry& entry) {
  switch (entry.details_case()) {
    case LedgerEntry::kCouponIssued:
      return absl::StrCat("coupon ", entry.coupon_issued().code());
    case LedgerEntry::kOfflineRedemption:
      return OfflineOutcomeText(entry.offline_redemption());
    case LedgerEntry::kCouponRedeemed:
      return entry.coupon_redeemed().reservation_id().empty()
                 ? absl::StrCat("coupon ", entry.coupon_redeemed().code())
                 : absl::StrCat("coupon ", entry.coupon_redeemed().code(),
                                " reservation ",
                                entry.coupon_redeemed().reservation_id());
    case LedgerEntry::kCouponRestored:
      return absl::StrCat("coupon ", entry.coupon_restored().code());
    case LedgerEntry::kCouponReserved:
      return absl::StrCat("coupon ", entry.coupon_reserved().code(),
                          " reservation ",
                          entry.coupon_reserved().reservation_id());
    case LedgerEntry::kCouponReleased:
      return absl::StrCat("coupon ", entry.coupon_released().code(),
                          " reservation ",
                          entry.coupon_released().reservation_id(),
                          entry.coupon_released().timed_out() ? " timed out"
                                                              : "");
    default:
      return "";
  }
}

std::string CounterpartyDetails(const LedgerEntry& entry) {
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_TRANSFER_OUT:
      return absl::StrCat("to ", entry.counterparty_member_id());
    case loyalty::v1::ENTRY_KIND_TRANSFER_IN:
    case loyalty::v1::ENTRY_KIND_MERGE_IN:
      return absl::StrCat("from ", entry.counterparty_member_id());
    case loyalty::v1::ENTRY_KIND_MERGE_OUT:
      return absl::StrCat("into ", entry.counterparty_member_id());
    default:
      return absl::StrCat("member ", entry.counterparty_member_id());
  }
}

// A table cell stays on one line whatever a note holds.
std::string OneLineNote(const std::string& note) {
  return absl::StrCat(
      "note: ",
      absl::StrReplaceAll(note, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}}));
}

}  // namespace

ExitCode FetchStatement(const Connection& connection,
                        const StatementQuery& query,
                        ListEntriesResponse* statement) {
  ListEntriesRequest request;
  request.set_member_id(query.member_id);
  request.set_page_token(query.page_token);
  for (int page_count = 0; page_count < kStatementPagesMax; ++page_count) {
    request.set_page_size(NextPageSize(query, statement->entries_size()));
    ListEntriesResponse page;
    const ExitCode sent =
        connection.Call(&LoyaltyService::Stub::ListEntries, request, &page,
                        /*retry_request_id=*/"");
    if (sent != ExitCode::kOk) return sent;
    const std::string next_page_token = page.next_page_token();
    AppendPage(std::move(page), statement);
    if (!query.follow_pages || next_page_token.empty() ||
        LimitReached(query, statement->entries_size())) {
      return ExitCode::kOk;
    }
    if (next_page_token == request.page_token()) {
      return ReportBadResponse(
          "statement: the server answered a page with the same page token; "
          "stopping to avoid a loop");
    }
    request.set_page_token(next_page_token);
  }
  return ReportBadResponse(absl::StrCat(
      "statement: stopped after ", kStatementPagesMax,
      " pages; continue with --page-token ", request.page_token()));
}

std::string EntryDetails(const LedgerEntry& entry) {
  std::vector<std::string> details;
  if (!entry.order_id().empty()) {
    details.push_back(absl::StrCat("order ", entry.order_id()));
  }
  if (!entry.counterparty_member_id().empty()) {
    details.push_back(CounterpartyDetails(entry));
  }
  // A merge moves the pending and held buckets beside points_delta.
  if (entry.merged_pending_points() != 0) {
    details.push_back(
        absl::StrCat("pending ", entry.merged_pending_points(), " moved"));
  }
  if (entry.merged_held_points() != 0) {
    details.push_back(
        absl::StrCat("held ", entry.merged_held_points(), " moved"));
  }
  if (!entry.identifiers().empty()) details.push_back(IdentifierDetails(entry));
  if (!entry.hold_id().empty()) {
    details.push_back(absl::StrCat("hold ", entry.hold_id()));
  }
  if (!entry.event_id().empty()) {
    details.push_back(absl::StrCat("event ", entry.event_id()));
  }
  if (!CouponDetails(entry).empty()) details.push_back(CouponDetails(entry));
  if (entry.kind() == loyalty::v1::ENTRY_KIND_TIER) {
    details.push_back(absl::StrCat("tier ", OrDash(entry.tier_from()), " -> ",
                                   OrDash(entry.tier_to())));
  }
  if (!entry.reason_code().empty()) {
    details.push_back(absl::StrCat("reason ", entry.reason_code(), " by ",
                                   OrDash(entry.operator_id())));
  }
  if (!entry.note().empty()) details.push_back(OneLineNote(entry.note()));
  return OrDash(absl::StrJoin(details, "; "));
}

void PrintStatement(const ListEntriesResponse& statement) {
  if (statement.entries().empty()) {
    std::cout << "no entries\n";
  } else {
    Table table({{"SEQUENCE", Table::Align::kRight},
                 {"RECORDED_UTC", Table::Align::kLeft},
                 {"KIND", Table::Align::kLeft},
                 {"POINTS", Table::Align::kRight},
                 {"AVAILABLE_AFTER", Table::Align::kRight},
                 {"CHANNEL", Table::Align::kLeft},
                 {"STORE", Table::Align::kLeft},
                 {"PRINCIPAL", Table::Align::kLeft},
                 {"DETAILS", Table::Align::kLeft}});
    for (const LedgerEntry& entry : statement.entries()) {
      table.AddRow({absl::StrCat(entry.sequence()),
                    FormatTimeUtc(entry.recorded_at_ms()),
                    EntryKindLabel(entry.kind()),
                    FormatPointsDelta(entry.points_delta()),
                    absl::StrCat(entry.available_after_points()),
                    ChannelLabel(entry.channel()), OrDash(entry.store_id()),
                    OrDash(entry.principal()), EntryDetails(entry)});
    }
    table.Print(std::cout);
  }
  if (!statement.next_page_token().empty()) {
    std::cout << "next page token: " << statement.next_page_token() << '\n';
  }
}

}  // namespace loyalty::ctl
