// File: clients/pos/till.h
//
// The till: one store terminal's loyalty session, command by command, as a
// cashier types them (clients/pos/main.cc reads the lines). It speaks to
// loyaltyd through the C++ client library only, and records sales and
// returns in the offline journal when the server cannot be reached, so the
// shop keeps selling; the journal's syncer sends them once it is back.
//
//   scan VALUE            a card number, phone, email (the member) or a
//                         coupon code (applied to the sale)
//   member ID             the member by id
//   add SKU QTY PRICE [CATEGORY]   a basket line (PRICE like 3.50)
//   quote                 points and coupon discounts the sale would get
//   points N              pay N points: held until the sale is paid
//   pay                   finish the sale: capture the held points, earn
//   cancel                drop the sale (held points go back)
//   return ORDER AMOUNT   a return of AMOUNT (like 12.00) of ORDER
//   pickup CODE UNITS     pick up voucher units
//   wallet | status | refused | sync | help | quit
//
// Offline (the server unreachable, or an answer lost): pay and return are
// recorded in the journal under the request id they were first sent with,
// so one that did reach the server is replayed, not applied twice; paying
// with points, coupons and voucher pickups need the server and are refused.
#ifndef LOYALTY_CLIENTS_POS_TILL_H_
#define LOYALTY_CLIENTS_POS_TILL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "loyalty/client/client.h"
#include "loyalty/client/offline_journal.h"

namespace loyalty::pos {

struct TillOptions {
  std::string store_id;
  std::string terminal_id;
  std::string currency = "EUR";
  // How long held points wait for the sale's payment.
  int64_t hold_timeout_ms = 10 * 60 * 1000;
  std::function<int64_t()> now_ms;  // Empty: the system clock.
};

class Till {
 public:
  // `client` and `journal` outlive the till. `wake_sync` (may be empty) is
  // called after something was queued.
  Till(const client::Client* client, client::OfflineJournal* journal,
       TillOptions options, std::function<void()> wake_sync);

  // Runs one command line; false after `quit`.
  bool Handle(const std::string& line, std::ostream& out);
  // "pos> " or "pos [offline — 3 queued]> ", and the member in the sale.
  std::string Prompt() const;

 private:
  struct Sale {
    std::string order_id;
    std::string member_id;
    std::vector<loyalty::v1::BasketLine> lines;
    std::vector<std::string> coupon_codes;
    std::string hold_id;
    int64_t held_points = 0;
    // Points the member pays with while the till is offline, within the
    // journal's allowance: journaled as an offline redemption on `pay`,
    // before the sale's earn.
    int64_t offline_points = 0;
    // Its request id and time, chosen once: a `pay` repeated after a
    // failure journals the same redemption, never a second.
    std::string offline_request_id;
    int64_t offline_at_ms = 0;
  };

  void Scan(const std::string& value, std::ostream& out);
  void SelectMember(const loyalty::v1::Member& member, std::ostream& out);
  // Offline: the sale is for `member_id`, unchecked until it syncs.
  void SelectOffline(const std::string& member_id, const char* why,
                     std::ostream& out);
  void Add(const std::vector<std::string>& words, std::ostream& out);
  void Quote(std::ostream& out);
  void ApplyCoupon(const std::string& code, std::ostream& out);
  void PayWithPoints(const std::string& points_text, std::ostream& out);
  // Offline: takes `points` from the member's offline allowance for this
  // sale, or says why not.
  void PayWithPointsOffline(int64_t points, std::ostream& out);
  void Pay(std::ostream& out);
  void Cancel(std::ostream& out);
  void Return(const std::string& order_id, const std::string& amount_text,
              std::ostream& out);
  void Pickup(const std::string& code, const std::string& units_text,
              std::ostream& out);
  void ShowWallet(std::ostream& out);
  void ShowStatus(std::ostream& out);
  void ShowRefused(std::ostream& out);

  loyalty::v1::RequestContext Context(const std::string& request_id) const;
  loyalty::v1::EarnRequest SaleEarn() const;
  // Records `mutation` in the journal (after a lost answer or while the
  // queue is not empty) and says so.
  void Queue(loyalty::v1::Mutation mutation, const std::string& what,
             std::ostream& out);
  // Notes whether a call's failure means the server is out of reach; says
  // a refusal or the failure in one line.
  void Report(const absl::Status& failure, std::ostream& out);
  int64_t QueuedCount() const;
  int64_t NowMs() const;
  void NewSale();

  const client::Client* const client_;
  client::OfflineJournal* const journal_;
  const TillOptions options_;
  const std::function<void()> wake_sync_;
  void MarkOffline();

  // Whether the last call found the server out of reach; the prompt clears
  // it once the syncer has reached the server since then.
  mutable bool offline_ = false;
  int64_t offline_since_ms_ = 0;
  int64_t sales_ = 0;
  // Cards, phones and emails this till has looked up, for selling offline.
  std::map<std::string, std::string> member_by_identifier_;
  Sale sale_;
};

// "3.50" → 350 (two minor digits); nullopt when it is not such an amount.
std::optional<int64_t> ParseAmountMinor(const std::string& text);
// 350 → "3.50".
std::string FormatMinor(int64_t minor);

}  // namespace loyalty::pos

#endif  // LOYALTY_CLIENTS_POS_TILL_H_
