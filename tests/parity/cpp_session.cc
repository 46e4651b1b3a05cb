// The parity session through the C++ client library (tests/parity/README
// in parity_test.py): enrol MEMBER, credit 100 points, quote and earn the
// basket, redeem 30, return 4.00 of the order, read the balance. Prints one
// line of what the calls answered:
//   quote=Q earned=E after_redeem=A reversed=R available=V pending=P
// Usage: parity-cpp-session ADDRESS CA_PEM_FILE MEMBER
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "loyalty/client/client.h"

namespace {

namespace v1 = ::loyalty::v1;

int Fail(const std::string& step, const absl::Status& status) {
  std::fprintf(stderr, "parity-cpp-session: %s: %s\n", step.c_str(),
               status.ToString().c_str());
  return 1;
}

v1::RequestContext Pos() {
  v1::RequestContext context;
  context.set_channel(v1::CHANNEL_POS);
  context.set_store_id("store-12");
  context.set_terminal_id("till-parity");
  return context;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: parity-cpp-session ADDRESS CA_PEM MEMBER\n");
    return 2;
  }
  const std::string member = argv[3];
  std::ifstream ca_file(argv[2]);
  std::ostringstream ca;
  ca << ca_file.rdbuf();
  auto connect = [&](const std::string& key) {
    loyalty::client::ClientOptions options;
    options.address = argv[1];
    options.tls_root_certs_pem = ca.str();
    options.api_key = key;
    return loyalty::client::Client::Create(options);
  };
  auto pos = connect("demo-pos-key");
  auto admin = connect("demo-admin-key");
  if (!pos.ok()) return Fail("options", pos.status());
  if (!admin.ok()) return Fail("options", admin.status());

  v1::EnrollMemberRequest enroll;
  *enroll.mutable_context() = Pos();
  enroll.set_member_id(member);
  if (auto done = (*pos)->EnrollMember(enroll); !done.ok()) {
    return Fail("enrol", done.status());
  }
  v1::AdjustRequest credit;
  credit.set_member_id(member);
  credit.set_points_delta(100);
  credit.set_reason_code("GOODWILL");
  credit.set_operator_id("parity");
  if (auto done = (*admin)->Adjust(credit); !done.ok()) {
    return Fail("adjust", done.status());
  }
  v1::EarnRequest earn;
  *earn.mutable_context() = Pos();
  earn.set_member_id(member);
  earn.set_order_id("parity-1");
  earn.set_currency("EUR");
  for (auto [sku, category, quantity, price] :
       {std::tuple<const char*, const char*, int, int>{"COFFEE-M", "coffee", 2,
                                                       350},
        {"CAKE", "bakery", 1, 400}}) {
    v1::BasketLine* line = earn.add_lines();
    line->set_sku(sku);
    line->set_category(category);
    line->set_quantity(quantity);
    line->set_unit_price_minor(price);
  }
  auto quote = (*pos)->QuoteEarn(earn);
  if (!quote.ok()) return Fail("quote", quote.status());
  auto earned = (*pos)->Earn(earn);
  if (!earned.ok()) return Fail("earn", earned.status());
  v1::RedeemRequest redeem;
  *redeem.mutable_context() = Pos();
  redeem.set_member_id(member);
  redeem.set_order_id("parity-2");
  redeem.set_points(30);
  auto redeemed = (*pos)->Redeem(redeem);
  if (!redeemed.ok()) return Fail("redeem", redeemed.status());
  v1::ReturnRequest returned;
  *returned.mutable_context() = Pos();
  returned.set_member_id(member);
  returned.set_order_id("parity-1");
  returned.set_amount_minor(400);
  auto reversed = (*pos)->Return(returned);
  if (!reversed.ok()) return Fail("return", reversed.status());
  v1::GetBalanceRequest balance_request;
  balance_request.set_member_id(member);
  auto balance = (*pos)->GetBalance(balance_request);
  if (!balance.ok()) return Fail("balance", balance.status());
  std::printf(
      "quote=%lld earned=%lld after_redeem=%lld reversed=%lld available=%lld "
      "pending=%lld\n",
      static_cast<long long>(quote->points()),
      static_cast<long long>(earned->points_earned()),
      static_cast<long long>(redeemed->balance().available_points()),
      static_cast<long long>(reversed->points_reversed()),
      static_cast<long long>(balance->available_points()),
      static_cast<long long>(balance->pending_points()));
  return 0;
}
