// File: clients/loyaltyctl/statement.h
//
// A member's statement (LoyaltyService.ListEntries): fetching it page by page
// and printing it as a table for people. `history`, `member history` and
// `export` all read it through here.
//
//   StatementQuery query;
//   query.member_id = "alice";
//   query.follow_pages = true;
//   query.entries_max = 100;
//   loyalty::v1::ListEntriesResponse statement;
//   ExitCode fetched = FetchStatement(connection, query, &statement);
//   if (fetched != ExitCode::kOk) return fetched;
//   PrintStatement(statement);

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_STATEMENT_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_STATEMENT_H_

#include <cstdint>
#include <string>

#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/exit_code.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

// The contract's largest ListEntries page (loyalty_service.proto).
inline constexpr int32_t kStatementPageSizeMax = 500;

struct StatementQuery {
  std::string member_id;
  // Where to start: "" for the newest entry, else a next_page_token.
  std::string page_token;
  // Entries per request; 0 lets the server choose. With entries_max set,
  // no request asks for more than is still wanted.
  int32_t page_size = 0;
  // Follow next_page_token until the oldest entry (or entries_max).
  bool follow_pages = false;
  // Stop once this many entries are fetched; 0 = no limit.
  int64_t entries_max = 0;
};

// Fetches the statement, newest first, into *statement (appending to its
// entries); its next_page_token is where the last page fetched ended, so ""
// means the oldest entry was reached. Stops after a bounded number of pages
// so a server that never ends its token chain cannot keep the CLI fetching.
// Returns kOk, or the reported failure's exit code.
ExitCode FetchStatement(const Connection& connection,
                        const StatementQuery& query,
                        loyalty::v1::ListEntriesResponse* statement);

// For people: what an entry is about beyond its points, e.g.
// "order A-1; to bob; note: birthday" or "linked phone". "-" when nothing.
std::string EntryDetails(const loyalty::v1::LedgerEntry& entry);

// Prints the entries in the order given as an aligned table (sequence, time,
// kind, points, available after, channel, store, principal, details), or
// "no entries", then the next page token when there is one.
void PrintStatement(const loyalty::v1::ListEntriesResponse& statement);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_STATEMENT_H_
