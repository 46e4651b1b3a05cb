// Vouchers (ledger/vouchers/): prepaid units of a product bought online,
// picked up a few at a time at any store, given to a member or as a gift
// claim code, refunded pro rata, expired by time. Units are conserved and
// never go below zero; every refusal leaves only the remembered answer;
// VerifyLedger re-derives every voucher and gift.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/common/program.h"
#include "ledger/coupons/codes.h"
#include "ledger/vouchers/products.h"
#include "voucher_test_util.h"

namespace loyalty {
namespace {

using testing::ClaimGift;
using testing::CodeOf;
using testing::UnknownCode;
using testing::GiftRequest;
using testing::GiftUnits;
using testing::IssueVoucher;
using testing::IssueVoucherOk;
using testing::IssueVoucherRequest;
using testing::kStartMs;
using testing::kVoucherDayMs;
using testing::MessageOf;
using testing::NothingChanged;
using testing::Pickup;
using testing::PickupRequest;
using testing::ReasonOfResult;
using testing::RefundUnits;
using testing::SweepVouchersOk;
using testing::TestLedger;
using testing::TestProgram;
using testing::TransferUnits;
using testing::VoucherProgram;
using testing::VoucherTransferRequest;
using v1::VoucherProduct;

// ---------------------------------------------------------------------------
// Products.

TEST_CASE("a bad voucher product is refused at start with its field named",
          "[vouchers][program]") {
  struct Case {
    const char* field;
    std::function<void(VoucherProduct&)> spoil;
  };
  const std::vector<Case> cases = {
      {"voucher_products[0].product_id",
       [](VoucherProduct& p) { p.set_product_id("has space"); }},
      {"voucher_products[0].product_id",
       [](VoucherProduct& p) { p.clear_product_id(); }},
      {"voucher_products[0].sku", [](VoucherProduct& p) { p.clear_sku(); }},
      {"voucher_products[0].units_per_voucher_max",
       [](VoucherProduct& p) { p.set_units_per_voucher_max(0); }},
      {"voucher_products[0].units_per_voucher_max",
       [](VoucherProduct& p) { p.set_units_per_voucher_max(10'001); }},
      {"voucher_products[0].valid_days_after_issue",
       [](VoucherProduct& p) { p.set_valid_until_ms(kStartMs); }},
      {"voucher_products[0].valid_days_after_issue",
       [](VoucherProduct& p) { p.set_valid_days_after_issue(0); }},
      {"voucher_products[0].valid_days_after_issue",
       [](VoucherProduct& p) { p.set_valid_days_after_issue(3651); }},
      {"voucher_products[0].valid_until_ms",
       [](VoucherProduct& p) {
         p.set_valid_days_after_issue(0);
         p.set_valid_until_ms(-1);
       }},
      {"voucher_products[0].gift_claim_days",
       [](VoucherProduct& p) { p.set_gift_claim_days(366); }},
      {"voucher_products[0].gift_claim_days",
       [](VoucherProduct& p) { p.set_gift_claim_days(-1); }},
      {"voucher_products[0].display_name",
       [](VoucherProduct& p) { p.set_display_name(std::string(129, 'x')); }},
  };
  for (const Case& c : cases) {
    v1::ProgramConfig program = TestProgram();
    VoucherProduct product = VoucherProgram().voucher_products(0);
    c.spoil(product);
    *program.add_voucher_products() = product;
    absl::Status valid = ValidateProgram(program);
    INFO(c.field << ": " << valid.ToString());
    REQUIRE(valid.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(valid.message(), c.field));
  }
  v1::ProgramConfig twice = TestProgram();
  *twice.add_voucher_products() = VoucherProgram().voucher_products(0);
  *twice.add_voucher_products() = VoucherProgram().voucher_products(0);
  CHECK(absl::StartsWith(ValidateProgram(twice).message(),
                         "voucher_products[1].product_id"));
  CHECK(ValidateProgram(VoucherProgram()).ok());
}

TEST_CASE(
    "a voucher valid for N days runs to the end of that day in the "
    "program's time zone",
    "[vouchers][program]") {
  VoucherProduct product = VoucherProgram().voucher_products(0);
  product.set_valid_days_after_issue(1);
  // 2023-11-14T22:13:20Z is 2023-11-15 06:13:20 in Taipei (UTC+8): valid
  // until the end of 2023-11-16 there, 2023-11-16T16:00:00Z.
  CHECK(VoucherExpiresAtMs(product, absl::FixedTimeZone(8 * 3600), kStartMs) ==
        1'700'150'400'000);
  // A gift's claim code never outlives its voucher.
  product.set_gift_claim_days(7);
  CHECK(GiftClaimExpiresAtMs(product, absl::UTCTimeZone(), kStartMs,
                             kStartMs + 3 * kVoucherDayMs) ==
        kStartMs + 3 * kVoucherDayMs);
}

// ---------------------------------------------------------------------------
// Issue.

TEST_CASE(
    "a bought voucher is the member's with its units, price, order "
    "and expiry, and in their statement",
    "[vouchers][issue]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  auto issued = IssueVoucher(
      t.ledger(), IssueVoucherRequest("i1", "alice", "coffee-12", 12, 3000));
  REQUIRE_OK(issued);
  const v1::Voucher& voucher = issued->voucher();
  CHECK(voucher.member_id() == "alice");
  CHECK(voucher.product_id() == "coffee-12");
  CHECK(voucher.display_name() == "12 coffees");
  CHECK(voucher.sku() == "COFFEE-M");
  CHECK(voucher.units_bought() == 12);
  CHECK(voucher.units_left() == 12);
  CHECK(voucher.price_paid().amount_minor() == 3000);
  CHECK(voucher.price_paid().currency() == "EUR");
  CHECK(voucher.order_id() == "web-order-1");
  CHECK(voucher.refundable());
  CHECK(voucher.state() == v1::VOUCHER_STATE_USABLE);
  // 30 days after 2023-11-14 (UTC): the end of 2023-12-14.
  CHECK(voucher.expires_at_ms() == 1'702'598'400'000);
  CHECK(ParseCouponCode(voucher.code(), "code").ok());
  const v1::LedgerEntry& entry = issued->entry();
  CHECK(entry.kind() == v1::ENTRY_KIND_VOUCHER_ISSUE);
  CHECK(entry.points_delta() == 0);
  CHECK(entry.principal() == "app-backend");
  CHECK(entry.channel() == v1::CHANNEL_APP);
  CHECK(entry.order_id() == "web-order-1");
  CHECK(FormatCouponCode(entry.voucher_issued().code()) == voucher.code());
  CHECK(voucher.issued_sequence() == entry.sequence());

  auto shown = t.ledger().GetVoucher(absl::AsciiStrToLower(voucher.code()));
  REQUIRE_OK(shown);
  CHECK(shown->SerializeAsString() == voucher.SerializeAsString());
  // A retry replays the same voucher: no second code.
  auto again = IssueVoucher(
      t.ledger(), IssueVoucherRequest("i1", "alice", "coffee-12", 12, 3000));
  REQUIRE_OK(again);
  CHECK(again->replayed());
  CHECK(again->voucher().code() == voucher.code());
  t.Reopen();
  CHECK(t.ledger().GetVoucher(voucher.code())->units_left() == 12);
  t.RequireVerifyOk();
}

TEST_CASE(
    "IssueVoucher refuses bad input naming the field and changes "
    "nothing",
    "[vouchers][issue][validation]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  struct Case {
    const char* field;
    std::function<void(v1::IssueVoucherRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"member_id", [](auto& r) { r.clear_member_id(); }},
      {"member_id", [](auto& r) { r.set_member_id(std::string(65, 'm')); }},
      {"product_id", [](auto& r) { r.set_product_id("has space"); }},
      {"units", [](auto& r) { r.set_units(0); }},
      {"units", [](auto& r) { r.set_units(-3); }},
      {"units", [](auto& r) { r.set_units(13); }},  // coffee-12 sells 12.
      {"price_paid", [](auto& r) { r.clear_price_paid(); }},
      {"price_paid.amount_minor",
       [](auto& r) { r.mutable_price_paid()->set_amount_minor(-1); }},
      {"price_paid.amount_minor",
       [](auto& r) {
         r.mutable_price_paid()->set_amount_minor(1'000'000'000'001);
       }},
      {"price_paid.currency",
       [](auto& r) { r.mutable_price_paid()->set_currency("JPY"); }},
      {"order_id", [](auto& r) { r.clear_order_id(); }},
      {"order_id", [](auto& r) { r.set_order_id("has space"); }},
      {"context.channel",
       [](auto& r) { *r.mutable_context() = testing::PosContext("p"); }},
      {"context.request_id",
       [](auto& r) { r.mutable_context()->clear_request_id(); }},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::IssueVoucherRequest request = IssueVoucherRequest(
        absl::StrCat("bad-", ++n), "alice", "coffee-12", 12, 3000);
    c.spoil(request);
    NothingChanged nothing(t.store());
    auto refused = IssueVoucher(t.ledger(), request);
    INFO(c.field << ": " << refused.status().ToString());
    REQUIRE(CodeOf(refused) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(MessageOf(refused), c.field));
    nothing.Check();
  }
}

TEST_CASE(
    "IssueVoucher refusals by rule are remembered: unknown product, "
    "unknown or closed member, a product past its fixed end",
    "[vouchers][issue]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  {
    NothingChanged nothing(t.store());
    auto unknown = IssueVoucher(
        t.ledger(), IssueVoucherRequest("u1", "alice", "no-such", 1, 100));
    CHECK(CodeOf(unknown) == absl::StatusCode::kNotFound);
    CHECK(ReasonOfResult(unknown) ==
          v1::ERROR_REASON_VOUCHER_PRODUCT_NOT_FOUND);
    CHECK(absl::StartsWith(MessageOf(unknown), "product_id"));
    nothing.CheckOnlyRequestRemembered();
  }
  {
    NothingChanged nothing(t.store());
    auto nobody = IssueVoucher(
        t.ledger(), IssueVoucherRequest("u2", "carol", "coffee-12", 1, 100));
    CHECK(ReasonOfResult(nobody) == v1::ERROR_REASON_MEMBER_NOT_FOUND);
    nothing.CheckOnlyRequestRemembered();
  }
  t.clock().SetMs(kStartMs + 10 * kVoucherDayMs);
  {
    NothingChanged nothing(t.store());
    auto late = IssueVoucher(
        t.ledger(), IssueVoucherRequest("u3", "alice", "festival", 1, 100));
    CHECK(CodeOf(late) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(late) == v1::ERROR_REASON_VOUCHER_EXPIRED);
    nothing.CheckOnlyRequestRemembered();
  }
  REQUIRE_OK(
      testing::Close(t.ledger(), testing::CloseRequest("c1", "alice", false)));
  auto closed = IssueVoucher(
      t.ledger(), IssueVoucherRequest("u4", "alice", "coffee-12", 1, 100));
  CHECK(ReasonOfResult(closed) == v1::ERROR_REASON_MEMBER_CLOSED);
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Pickup.

TEST_CASE(
    "a voucher's units are picked up in parts at any store until none "
    "are left",
    "[vouchers][pickup]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  auto first = Pickup(t.ledger(), PickupRequest("p1", "alice", code, 3));
  REQUIRE_OK(first);
  CHECK(first->voucher().units_left() == 9);
  CHECK(first->entry().kind() == v1::ENTRY_KIND_VOUCHER_REDEEM);
  CHECK(first->entry().voucher_redeemed().units() == 3);
  CHECK(first->entry().voucher_redeemed().units_left_after() == 9);
  CHECK(first->entry().store_id() == "store-042");
  auto second =
      Pickup(t.ledger(), PickupRequest("p2", "alice", code, 8, "store-013"));
  REQUIRE_OK(second);
  CHECK(second->entry().store_id() == "store-013");
  // In the app too, with the code spelled another way.
  v1::RedeemVoucherUnitsRequest in_app =
      PickupRequest("p3", "alice", absl::AsciiStrToLower(code), 1);
  *in_app.mutable_context() = testing::AppContext("p3");
  auto last = Pickup(t.ledger(), in_app);
  REQUIRE_OK(last);
  CHECK(last->voucher().units_left() == 0);
  CHECK(last->voucher().units_redeemed() == 12);
  CHECK(last->voucher().state() == v1::VOUCHER_STATE_USED_UP);
  {
    NothingChanged nothing(t.store());
    auto none_left = Pickup(t.ledger(), PickupRequest("p4", "alice", code, 1));
    CHECK(CodeOf(none_left) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(none_left) == v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW);
    nothing.CheckOnlyRequestRemembered();
  }
  // A retry of a pickup replays it: nothing more is taken.
  auto replay = Pickup(t.ledger(), PickupRequest("p1", "alice", code, 3));
  REQUIRE_OK(replay);
  CHECK(replay->replayed());
  CHECK(t.ledger().GetVoucher(code)->units_left() == 0);
  t.RequireVerifyOk();
}

TEST_CASE("a pickup of more units than are left takes none",
          "[vouchers][pickup]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code = IssueVoucherOk(t, "i1", "alice", "tea-5", 5, 1000);
  NothingChanged nothing(t.store());
  auto too_many = Pickup(t.ledger(), PickupRequest("p1", "alice", code, 6));
  CHECK(ReasonOfResult(too_many) == v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW);
  CHECK(absl::StrContains(MessageOf(too_many), "5 units left"));
  nothing.CheckOnlyRequestRemembered();
  CHECK(t.ledger().GetVoucher(code)->units_left() == 5);
}

TEST_CASE(
    "another member's voucher and an unknown code get one answer that "
    "reveals nothing",
    "[vouchers][pickup]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  auto others = Pickup(t.ledger(), PickupRequest("p1", "bob", code, 1));
  auto unknown =
      Pickup(t.ledger(),
             PickupRequest("p2", "bob", FormatCouponCode(UnknownCode()), 1));
  CHECK(CodeOf(others) == absl::StatusCode::kNotFound);
  CHECK(ReasonOfResult(others) == v1::ERROR_REASON_VOUCHER_NOT_FOUND);
  CHECK(CodeOf(unknown) == CodeOf(others));
  CHECK(ReasonOfResult(unknown) == ReasonOfResult(others));
  CHECK(MessageOf(unknown) == MessageOf(others));
  CHECK(ReasonOfResult(t.ledger().GetVoucher(FormatCouponCode(
            UnknownCode()))) == v1::ERROR_REASON_VOUCHER_NOT_FOUND);
}

TEST_CASE("RedeemVoucherUnits refuses bad input naming the field",
          "[vouchers][pickup][validation]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  std::string typo = code;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  struct Case {
    const char* field;
    std::function<void(v1::RedeemVoucherUnitsRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"code", [&](auto& r) { r.set_code(typo); }},
      {"code", [](auto& r) { r.clear_code(); }},
      {"code", [](auto& r) { r.set_code("7K2M-9QXD-4HBA-T0CU-Z"); }},
      {"units", [](auto& r) { r.set_units(0); }},
      {"units", [](auto& r) { r.set_units(10'001); }},
      {"member_id", [](auto& r) { r.clear_member_id(); }},
      {"order_id", [](auto& r) { r.set_order_id(std::string(65, 'o')); }},
      {"context.store_id",
       [](auto& r) { r.mutable_context()->clear_store_id(); }},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::RedeemVoucherUnitsRequest request =
        PickupRequest(absl::StrCat("bad-", ++n), "alice", code, 1);
    c.spoil(request);
    NothingChanged nothing(t.store());
    auto refused = Pickup(t.ledger(), request);
    INFO(c.field << ": " << refused.status().ToString());
    REQUIRE(CodeOf(refused) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(MessageOf(refused), c.field));
    nothing.Check();
  }
}

TEST_CASE(
    "tills racing for a voucher's last units: exactly as many pickups "
    "succeed as there were units",
    "[vouchers][pickup][concurrency]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p0", "alice", code, 7)));
  std::atomic<int> succeeded{0};
  std::atomic<int> too_few{0};
  std::vector<std::thread> tills;
  for (int till = 0; till < 8; ++till) {
    tills.emplace_back([&, till] {
      for (int i = 0; i < 5; ++i) {
        auto result = Pickup(
            t.ledger(),
            PickupRequest(absl::StrCat("t", till, "-", i), "alice", code, 1));
        if (result.ok()) {
          ++succeeded;
        } else if (ReasonOfResult(result) ==
                   v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW) {
          ++too_few;
        }
      }
    });
  }
  for (auto& till : tills) till.join();
  CHECK(succeeded.load() == 5);
  CHECK(too_few.load() == 8 * 5 - 5);
  CHECK(t.ledger().GetVoucher(code)->units_left() == 0);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a voucher's owner merged into another member: the member it "
    "resolves to picks up, its expiry moves with it",
    "[vouchers][merge]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  t.EnrollOk("alice-2");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice-2", "coffee-12", 12, 3000);
  REQUIRE_OK(testing::Merge(t.ledger(),
                            testing::MergeRequest("m1", "alice-2", "alice")));
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p1", "alice", code, 2)));
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p2", "alice-2", code, 1)));
  CHECK(t.ledger().GetVoucher(code)->units_left() == 9);
  t.clock().SetMs(kStartMs + 40 * kVoucherDayMs);
  CHECK(SweepVouchersOk(t).entries_written == 1);
  auto expired = t.ledger().GetVoucher(code);
  CHECK(expired->units_expired() == 9);
  CHECK(expired->units_left() == 0);
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Transfer.

TEST_CASE(
    "units transferred to another member arrive as their own voucher "
    "of the same product and expiry, both sides in one batch",
    "[vouchers][transfer]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  auto moved = TransferUnits(
      t.ledger(), VoucherTransferRequest("x1", "alice", code, "bob", 4));
  REQUIRE_OK(moved);
  CHECK(moved->voucher().units_left() == 8);
  CHECK(moved->voucher().units_transferred_out() == 4);
  const v1::Voucher& received = moved->received();
  CHECK(received.member_id() == "bob");
  CHECK(received.units_bought() == 4);
  CHECK(received.units_left() == 4);
  CHECK(received.product_id() == "coffee-12");
  CHECK(received.expires_at_ms() == moved->voucher().expires_at_ms());
  CHECK(received.source_code() == code);
  CHECK(received.price_paid().amount_minor() == 0);
  CHECK(received.code() != code);
  CHECK(moved->entry_out().kind() == v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT);
  CHECK(moved->entry_in().kind() == v1::ENTRY_KIND_VOUCHER_TRANSFER_IN);
  CHECK(moved->entry_in().sequence() == moved->entry_out().sequence() + 1);
  CHECK(moved->entry_out().counterparty_member_id() == "bob");
  CHECK(moved->entry_in().counterparty_member_id() == "alice");
  // Bob picks his up; alice cannot use bob's, bob cannot use alice's.
  REQUIRE_OK(
      Pickup(t.ledger(), PickupRequest("p1", "bob", received.code(), 4)));
  CHECK(ReasonOfResult(Pickup(
            t.ledger(), PickupRequest("p2", "alice", received.code(), 1))) ==
        v1::ERROR_REASON_VOUCHER_NOT_FOUND);
  CHECK(
      ReasonOfResult(Pickup(t.ledger(), PickupRequest("p3", "bob", code, 1))) ==
      v1::ERROR_REASON_VOUCHER_NOT_FOUND);
  // Received units are not the receiver's purchase: no refund.
  CHECK(ReasonOfResult(
            RefundUnits(t.ledger(), "r1", "bob", received.code(), 1)) ==
        v1::ERROR_REASON_VOUCHER_NOT_REFUNDABLE);
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "a voucher transfer is refused for itself, a merged pair, an "
    "unknown receiver and too many units, changing nothing",
    "[vouchers][transfer]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  t.EnrollOk("alice-old");
  const std::string code = IssueVoucherOk(t, "i1", "alice", "tea-5", 5, 1000);
  REQUIRE_OK(testing::Merge(t.ledger(),
                            testing::MergeRequest("m1", "alice-old", "alice")));
  {
    NothingChanged nothing(t.store());
    auto self = TransferUnits(
        t.ledger(), VoucherTransferRequest("x1", "alice", code, "alice", 1));
    CHECK(CodeOf(self) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(MessageOf(self), "to_member_id"));
    nothing.Check();
  }
  {
    NothingChanged nothing(t.store());
    auto alias = TransferUnits(
        t.ledger(),
        VoucherTransferRequest("x2", "alice", code, "alice-old", 1));
    CHECK(ReasonOfResult(alias) == v1::ERROR_REASON_MEMBER_MERGED);
    nothing.CheckOnlyRequestRemembered();
  }
  {
    NothingChanged nothing(t.store());
    auto nobody = TransferUnits(
        t.ledger(), VoucherTransferRequest("x3", "alice", code, "zed", 1));
    CHECK(ReasonOfResult(nobody) == v1::ERROR_REASON_MEMBER_NOT_FOUND);
    CHECK(absl::StartsWith(MessageOf(nobody), "to_member_id"));
    nothing.CheckOnlyRequestRemembered();
  }
  t.EnrollOk("bob");
  {
    NothingChanged nothing(t.store());
    auto too_many = TransferUnits(
        t.ledger(), VoucherTransferRequest("x4", "alice", code, "bob", 6));
    CHECK(ReasonOfResult(too_many) == v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW);
    nothing.CheckOnlyRequestRemembered();
  }
  {
    NothingChanged nothing(t.store());
    auto bad_units = TransferUnits(
        t.ledger(), VoucherTransferRequest("x5", "alice", code, "bob", 0));
    CHECK(CodeOf(bad_units) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(MessageOf(bad_units), "units"));
    auto bad_note = VoucherTransferRequest("x6", "alice", code, "bob", 1);
    bad_note.set_note(std::string(501, 'n'));
    CHECK(absl::StartsWith(MessageOf(TransferUnits(t.ledger(), bad_note)),
                           "note"));
    nothing.Check();
  }
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Gifts.

TEST_CASE(
    "a gift claim code is claimed once, by a friend who enrolled "
    "after it was made",
    "[vouchers][gift]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  auto gifted = GiftUnits(t.ledger(), GiftRequest("g1", "alice", code, 5));
  REQUIRE_OK(gifted);
  CHECK(gifted->entry().kind() == v1::ENTRY_KIND_VOUCHER_GIFT);
  CHECK(gifted->voucher().units_left() == 7);
  CHECK(gifted->voucher().units_gifted_pending() == 5);
  const v1::VoucherGift& gift = gifted->gift();
  CHECK(gift.state() == v1::VOUCHER_GIFT_STATE_PENDING);
  CHECK(gift.units() == 5);
  // Seven days after 2023-11-14 (UTC): the end of 2023-11-21.
  CHECK(gift.claim_expires_at_ms() == 1'700'611'200'000);
  CHECK(ParseCouponCode(gift.claim_code(), "claim_code").ok());

  t.EnrollOk("friend");
  auto claimed = ClaimGift(t.ledger(), "c1", "friend",
                           absl::AsciiStrToLower(gift.claim_code()));
  REQUIRE_OK(claimed);
  CHECK(claimed->entry_claimed().kind() == v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED);
  CHECK(claimed->entry_claimed().member_id() == "alice");
  CHECK(claimed->entry().kind() == v1::ENTRY_KIND_VOUCHER_CLAIM);
  CHECK(claimed->entry().member_id() == "friend");
  CHECK(claimed->gift().state() == v1::VOUCHER_GIFT_STATE_CLAIMED);
  CHECK(claimed->gift().claimed_by_member_id() == "friend");
  const v1::Voucher& friends = claimed->voucher();
  CHECK(friends.member_id() == "friend");
  CHECK(friends.units_left() == 5);
  CHECK(friends.source_code() == code);
  CHECK(friends.expires_at_ms() == gifted->voucher().expires_at_ms());
  auto giver = t.ledger().GetVoucher(code);
  CHECK(giver->units_gifted_pending() == 0);
  CHECK(giver->units_gifted_claimed() == 5);
  CHECK(giver->units_left() == 7);
  // Once: a second claim, by anyone, is refused and changes nothing.
  t.EnrollOk("other");
  {
    NothingChanged nothing(t.store());
    auto again = ClaimGift(t.ledger(), "c2", "other", gift.claim_code());
    CHECK(CodeOf(again) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(again) == v1::ERROR_REASON_VOUCHER_GIFT_NOT_CLAIMABLE);
    nothing.CheckOnlyRequestRemembered();
  }
  REQUIRE_OK(
      Pickup(t.ledger(), PickupRequest("p1", "friend", friends.code(), 5)));
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "an unclaimed gift goes back to the giver when its claim code "
    "expires, and can no longer be claimed",
    "[vouchers][gift]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  t.EnrollOk("friend");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  // Everything in the voucher is gifted: it has no units left meanwhile.
  auto gifted = GiftUnits(t.ledger(), GiftRequest("g1", "alice", code, 12));
  REQUIRE_OK(gifted);
  CHECK(gifted->voucher().units_left() == 0);
  const int64_t claim_expires_at_ms = gifted->gift().claim_expires_at_ms();
  t.clock().SetMs(claim_expires_at_ms - 1);
  CHECK(SweepVouchersOk(t).entries_written == 0);
  t.clock().SetMs(claim_expires_at_ms);
  CHECK(SweepVouchersOk(t).entries_written == 1);
  auto entries = testing::ListAll(t.ledger(), "alice", 50);
  const v1::LedgerEntry& returned = entries.front();  // Newest first.
  CHECK(returned.kind() == v1::ENTRY_KIND_VOUCHER_GIFT_RETURN);
  CHECK(returned.principal() == "system");
  CHECK(returned.occurred_at_ms() == claim_expires_at_ms);
  auto voucher = t.ledger().GetVoucher(code);
  CHECK(voucher->units_left() == 12);
  CHECK(voucher->units_gifted_pending() == 0);
  NothingChanged nothing(t.store());
  auto late =
      ClaimGift(t.ledger(), "c1", "friend", gifted->gift().claim_code());
  CHECK(ReasonOfResult(late) == v1::ERROR_REASON_VOUCHER_GIFT_NOT_CLAIMABLE);
  nothing.CheckOnlyRequestRemembered();
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p1", "alice", code, 12)));
  t.RequireVerifyOk();
}

TEST_CASE(
    "a claim after the claim code expired, before any sweep, returns "
    "the gift instead",
    "[vouchers][gift]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  t.EnrollOk("friend");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  auto gifted = GiftUnits(t.ledger(), GiftRequest("g1", "alice", code, 2));
  REQUIRE_OK(gifted);
  t.clock().SetMs(gifted->gift().claim_expires_at_ms() + 1);
  auto late =
      ClaimGift(t.ledger(), "c1", "friend", gifted->gift().claim_code());
  CHECK(ReasonOfResult(late) == v1::ERROR_REASON_VOUCHER_GIFT_NOT_CLAIMABLE);
  // The refusal is remembered, and the giver's return was written by it.
  CHECK(t.ledger().GetVoucher(code)->units_left() == 12);
  t.RequireVerifyOk();
}

TEST_CASE(
    "gifts are refused for a product without gifts, and claims of "
    "unknown codes get the generic answer",
    "[vouchers][gift]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string tea = IssueVoucherOk(t, "i1", "alice", "tea-5", 5, 1000);
  {
    NothingChanged nothing(t.store());
    auto refused = GiftUnits(t.ledger(), GiftRequest("g1", "alice", tea, 1));
    CHECK(ReasonOfResult(refused) ==
          v1::ERROR_REASON_VOUCHER_GIFTS_NOT_ALLOWED);
    nothing.CheckOnlyRequestRemembered();
  }
  {
    NothingChanged nothing(t.store());
    auto unknown =
        ClaimGift(t.ledger(), "c1", "alice", FormatCouponCode(UnknownCode()));
    CHECK(CodeOf(unknown) == absl::StatusCode::kNotFound);
    CHECK(ReasonOfResult(unknown) == v1::ERROR_REASON_VOUCHER_NOT_FOUND);
    nothing.CheckOnlyRequestRemembered();
  }
  {
    NothingChanged nothing(t.store());
    auto malformed = ClaimGift(t.ledger(), "c2", "alice", "ABC");
    CHECK(CodeOf(malformed) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(MessageOf(malformed), "claim_code"));
    auto no_units = GiftUnits(t.ledger(), GiftRequest("g2", "alice", tea, 0));
    CHECK(absl::StartsWith(MessageOf(no_units), "units"));
    nothing.Check();
  }
}

// ---------------------------------------------------------------------------
// Refunds and expiry.

TEST_CASE(
    "refunds of every unit, one at a time, add up to the price paid "
    "exactly; the odd minor units fall on the later refunds",
    "[vouchers][refund]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  // 1000 minor units for 3: 333.33 each.
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "festival", 3, 1000);
  std::vector<int64_t> refunds;
  for (int i = 1; i <= 3; ++i) {
    auto refunded =
        RefundUnits(t.ledger(), absl::StrCat("r", i), "alice", code, 1);
    REQUIRE_OK(refunded);
    CHECK(refunded->entry().kind() == v1::ENTRY_KIND_VOUCHER_REFUND);
    CHECK(refunded->refund().currency() == "EUR");
    refunds.push_back(refunded->refund().amount_minor());
  }
  CHECK(refunds == std::vector<int64_t>{333, 333, 334});
  auto voucher = t.ledger().GetVoucher(code);
  CHECK(voucher->units_refunded() == 3);
  CHECK(voucher->refunded().amount_minor() == 1000);
  CHECK(voucher->units_left() == 0);
  t.RequireVerifyOk();
}

TEST_CASE("a refund after pickups pays the refunded units' share",
          "[vouchers][refund]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p1", "alice", code, 5)));
  auto refunded = RefundUnits(t.ledger(), "r1", "alice", code, 7);
  REQUIRE_OK(refunded);
  CHECK(refunded->refund().amount_minor() == 1750);  // 7 x 250.
  {
    NothingChanged nothing(t.store());
    auto nothing_left = RefundUnits(t.ledger(), "r2", "alice", code, 1);
    CHECK(ReasonOfResult(nothing_left) ==
          v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW);
    nothing.CheckOnlyRequestRemembered();
  }
  const std::string tea = IssueVoucherOk(t, "i2", "alice", "tea-5", 5, 1000);
  NothingChanged nothing(t.store());
  CHECK(ReasonOfResult(RefundUnits(t.ledger(), "r3", "alice", tea, 1)) ==
        v1::ERROR_REASON_VOUCHER_NOT_REFUNDABLE);
  nothing.CheckOnlyRequestRemembered();
  t.RequireVerifyOk();
}

TEST_CASE(
    "units left at a voucher's expiry expire by the sweep, written by "
    "system, and nothing can be taken after it",
    "[vouchers][expiry]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code = IssueVoucherOk(t, "i1", "alice", "festival", 3, 900);
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p1", "alice", code, 1)));
  const int64_t expires_at_ms = kStartMs + 10 * kVoucherDayMs;
  t.clock().SetMs(expires_at_ms - 1);
  CHECK(SweepVouchersOk(t).entries_written == 0);
  t.clock().SetMs(expires_at_ms);
  {
    // A pickup at the expiry settles the member first: the units expire,
    // then the pickup is refused.
    auto late = Pickup(t.ledger(), PickupRequest("p2", "alice", code, 1));
    CHECK(ReasonOfResult(late) == v1::ERROR_REASON_VOUCHER_EXPIRED);
  }
  auto voucher = t.ledger().GetVoucher(code);
  CHECK(voucher->units_expired() == 2);
  CHECK(voucher->units_left() == 0);
  CHECK(voucher->state() == v1::VOUCHER_STATE_EXPIRED);
  auto entries = testing::ListAll(t.ledger(), "alice", 50);
  CHECK(entries.front().kind() == v1::ENTRY_KIND_VOUCHER_EXPIRE);
  CHECK(entries.front().principal() == "system");
  CHECK(entries.front().occurred_at_ms() == expires_at_ms);
  CHECK(SweepVouchersOk(t).entries_written == 0);  // Nothing due any more.
  CHECK(ReasonOfResult(RefundUnits(t.ledger(), "r1", "alice", code, 1)) ==
        v1::ERROR_REASON_VOUCHER_EXPIRED);
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "a gift returned at its voucher's expiry expires with the other "
    "units",
    "[vouchers][expiry][gift]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  // festival: the claim code (30 days) is cut to the voucher's 10 days.
  const std::string code = IssueVoucherOk(t, "i1", "alice", "festival", 3, 900);
  auto gifted = GiftUnits(t.ledger(), GiftRequest("g1", "alice", code, 2));
  REQUIRE_OK(gifted);
  const int64_t expires_at_ms = kStartMs + 10 * kVoucherDayMs;
  CHECK(gifted->gift().claim_expires_at_ms() == expires_at_ms);
  t.clock().SetMs(expires_at_ms + kVoucherDayMs);
  CHECK(SweepVouchersOk(t).entries_written == 2);
  auto entries = testing::ListAll(t.ledger(), "alice", 50);
  CHECK(entries[0].kind() == v1::ENTRY_KIND_VOUCHER_EXPIRE);
  CHECK(entries[0].voucher_expired().units() == 3);
  CHECK(entries[1].kind() == v1::ENTRY_KIND_VOUCHER_GIFT_RETURN);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a member with voucher units or an unclaimed gift cannot be "
    "closed until they are used or expire",
    "[vouchers][close]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code = IssueVoucherOk(t, "i1", "alice", "festival", 3, 900);
  {
    NothingChanged nothing(t.store());
    auto refused =
        testing::Close(t.ledger(), testing::CloseRequest("c1", "alice", false));
    CHECK(ReasonOfResult(refused) == v1::ERROR_REASON_MEMBER_NOT_SETTLED);
    CHECK(absl::StrContains(MessageOf(refused), "vouchers"));
    nothing.CheckOnlyRequestRemembered();
  }
  t.clock().SetMs(kStartMs + 11 * kVoucherDayMs);
  REQUIRE_OK(
      testing::Close(t.ledger(), testing::CloseRequest("c2", "alice", false)));
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Verify.

TEST_CASE(
    "VerifyLedger reports a voucher record that is not the fold of its "
    "entries",
    "[vouchers][verify]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  const std::string canonical = *ParseCouponCode(code, "code");
  storage::v1::VoucherRecord forged;
  REQUIRE(forged.ParseFromString(*t.store().Get(Family::kVouchers, canonical)));
  forged.set_units_left(13);  // A unit made from nothing.
  forged.set_units_bought(13);
  t.store().PutRaw(Family::kVouchers, canonical, forged.SerializeAsString());
  CHECK(t.VerifyReports("voucher"));
}

TEST_CASE("VerifyLedger reports a voucher its owner's dues do not list",
          "[vouchers][verify]") {
  TestLedger t(VoucherProgram());
  t.EnrollOk("alice");
  const std::string code =
      IssueVoucherOk(t, "i1", "alice", "coffee-12", 12, 3000);
  // A second voucher record with units, planted without its entries.
  const std::string canonical = *ParseCouponCode(code, "code");
  std::string planted = UnknownCode();
  storage::v1::VoucherRecord copy;
  REQUIRE(copy.ParseFromString(*t.store().Get(Family::kVouchers, canonical)));
  copy.set_code(planted);
  t.store().PutRaw(Family::kVouchers, planted, copy.SerializeAsString());
  CHECK(t.VerifyReports("voucher"));
}

}  // namespace
}  // namespace loyalty
