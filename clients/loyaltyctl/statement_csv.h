// File: clients/loyaltyctl/statement_csv.h
//
// A member's statement as CSV, for `loyaltyctl export`: one header row, then
// one row per entry in the order given, every row ending in CRLF. A field
// holding a comma, a double quote, CR or LF is quoted and its quotes
// doubled (RFC 4180). Pure functions, no I/O.
//
// Columns (kStatementCsvHeader):
//   sequence                global ledger sequence
//   recorded_at             server time, ISO 8601 UTC with milliseconds
//   occurred_at             the channel's time, ISO 8601 UTC; empty if unset
//   kind                    earn, redeem, adjust, transfer_out, opening, ...
//   points_delta            signed integer, the change to `bucket`
//   bucket                  available, pending or held; empty if none
//   available_after, pending_after, held_after
//                           the member's points in each bucket after it
//   order_id, counterparty_member_id, channel, store_id, terminal_id,
//   principal, request_id, operator_id, reason_code, note
//                           as recorded; empty when the entry has none

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_STATEMENT_CSV_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_STATEMENT_CSV_H_

#include <google/protobuf/repeated_ptr_field.h>

#include <string>

#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::ctl {

inline constexpr char kStatementCsvHeader[] =
    "sequence,recorded_at,occurred_at,kind,points_delta,bucket,"
    "available_after,pending_after,held_after,order_id,"
    "counterparty_member_id,channel,store_id,terminal_id,principal,"
    "request_id,operator_id,reason_code,note";

// `text` as one CSV field: unchanged, or quoted when RFC 4180 requires it.
std::string CsvField(absl::string_view text);

// The header row and one row per entry, in the order of `entries`.
std::string StatementCsv(
    const google::protobuf::RepeatedPtrField<loyalty::v1::LedgerEntry>&
        entries);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_STATEMENT_CSV_H_
