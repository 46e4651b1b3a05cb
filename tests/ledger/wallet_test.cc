// The wallet (ListWallet): a member's coupons and vouchers, oldest first,
// each as GetCoupon / GetVoucher show it now; usable ones unless
// include_unusable; received units and claimed gifts in the receiver's
// wallet; a merge's source's items in the target's; pages that return each
// item once; bad input named; the index re-derived by Verify and kept
// across a restart.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "coupon_test_util.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/page_token.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/generate_coupons.h"
#include "ledger/storage/rocksdb_store.h"
#include "voucher_test_util.h"

namespace loyalty {
namespace {

using namespace loyalty::testing;  // NOLINT: test helpers.

constexpr int64_t kDayMs = 24ll * 3600 * 1000;

// The voucher products of VoucherProgram, a 10% welcome coupon, a
// free-coffee coupon for orders of 20 EUR or more in "drinks", and a
// coupon valid from day 10 to day 20.
v1::ProgramConfig WalletProgram() {
  v1::ProgramConfig program = VoucherProgram();
  program.add_categories("drinks");
  *program.add_coupon_templates() = PercentTemplate("welcome-10", 10);
  v1::CouponTemplate coffee = PercentTemplate("free-coffee", 10);
  coffee.clear_percent_off();
  coffee.set_display_name("Free coffee");
  coffee.set_free_item_sku("COFFEE-S");
  coffee.mutable_min_spend()->set_amount_minor(2000);
  coffee.mutable_min_spend()->set_currency("EUR");
  coffee.add_eligible_categories("drinks");
  *program.add_coupon_templates() = coffee;
  v1::CouponTemplate later = PercentTemplate("december", 10);
  later.set_valid_days_after_issue(0);
  later.set_valid_from_ms(kStartMs + 10 * kDayMs);
  later.set_valid_until_ms(kStartMs + 20 * kDayMs);
  *program.add_coupon_templates() = later;
  return program;
}

v1::ListWalletRequest WalletRequest(std::string member_id,
                                    bool include_unusable = false,
                                    int32_t page_size = 0,
                                    std::string page_token = "") {
  v1::ListWalletRequest request;
  request.set_member_id(std::move(member_id));
  request.set_include_unusable(include_unusable);
  request.set_page_size(page_size);
  request.set_page_token(std::move(page_token));
  return request;
}

std::string CodeOfItem(const v1::WalletItem& item) {
  return item.has_voucher() ? item.voucher().code() : item.coupon().code();
}

std::vector<std::string> CodesOf(const v1::ListWalletResponse& wallet) {
  std::vector<std::string> codes;
  for (const v1::WalletItem& item : wallet.items()) {
    codes.push_back(CodeOfItem(item));
  }
  return codes;
}

// One page, which must be answered.
v1::ListWalletResponse WalletPage(const Ledger& ledger,
                                  const v1::ListWalletRequest& request) {
  auto page = ledger.ListWallet(request);
  REQUIRE_OK(page);
  return *page;
}

// Every page from the first, following tokens; also counts the pages.
std::vector<std::string> AllCodes(const Ledger& ledger,
                                  v1::ListWalletRequest request,
                                  int* pages = nullptr) {
  std::vector<std::string> codes;
  for (int page_count = 1;; ++page_count) {
    REQUIRE(page_count < 10000);
    v1::ListWalletResponse page = WalletPage(ledger, request);
    for (std::string& code : CodesOf(page)) codes.push_back(std::move(code));
    if (pages != nullptr) *pages = page_count;
    if (page.next_page_token().empty()) return codes;
    REQUIRE(page.next_page_token() != request.page_token());
    request.set_page_token(page.next_page_token());
  }
}

TEST_CASE(
    "a wallet lists the coupons issued to the member and the vouchers it "
    "bought, oldest first, with what each is worth and when it expires",
    "[wallet]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string welcome = IssueOk(t, "c1", "alice", "welcome-10");
  const std::string coffee_voucher =
      IssueVoucherOk(t, "v1", "alice", "coffee-12", 12, 3000);
  IssueOk(t, "c-bob", "bob", "welcome-10");
  const std::string free_coffee = IssueOk(t, "c2", "alice", "free-coffee");
  const std::string december = IssueOk(t, "c3", "alice", "december");

  v1::ListWalletResponse wallet =
      WalletPage(t.ledger(), WalletRequest("alice"));
  REQUIRE(CodesOf(wallet) == std::vector<std::string>{welcome, coffee_voucher,
                                                      free_coffee, december});
  CHECK(wallet.next_page_token().empty());
  // Each item is what GetCoupon / GetVoucher answer now.
  CHECK(wallet.items(0).coupon().SerializeAsString() ==
        ValueOrFail(t.ledger().GetCoupon(welcome)).SerializeAsString());
  CHECK(wallet.items(1).voucher().SerializeAsString() ==
        ValueOrFail(t.ledger().GetVoucher(coffee_voucher)).SerializeAsString());
  CHECK(wallet.items(0).coupon().percent_off() == 10);
  CHECK(wallet.items(0).coupon().valid_until_ms() > kStartMs);
  CHECK(wallet.items(1).voucher().units_left() == 12);
  CHECK(wallet.items(1).voucher().sku() == "COFFEE-M");
  CHECK(wallet.items(1).voucher().expires_at_ms() > kStartMs);
  const v1::Coupon& coffee = wallet.items(2).coupon();
  CHECK(coffee.free_item_sku() == "COFFEE-S");
  CHECK(coffee.min_spend().amount_minor() == 2000);
  REQUIRE(coffee.eligible_categories_size() == 1);
  CHECK(coffee.eligible_categories(0) == "drinks");
  // Not valid yet is still the member's to look forward to.
  CHECK(wallet.items(3).coupon().state() == v1::COUPON_STATE_NOT_YET_VALID);
  // Bob's coupon is his alone.
  CHECK(WalletPage(t.ledger(), WalletRequest("bob")).items_size() == 1);
  t.RequireVerifyOk();
}

TEST_CASE(
    "used-up and expired coupons and vouchers are hidden unless "
    "include_unusable asks for them",
    "[wallet]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  const std::string used = IssueOk(t, "c1", "alice", "welcome-10");
  const std::string unused = IssueOk(t, "c2", "alice", "welcome-10");
  const std::string teas = IssueVoucherOk(t, "v1", "alice", "tea-5", 5, 1000);
  const std::string coffees =
      IssueVoucherOk(t, "v2", "alice", "coffee-12", 12, 3000);
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r1", "alice", used));
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p1", "alice", teas, 5)));
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p2", "alice", coffees, 2)));

  CHECK(CodesOf(WalletPage(t.ledger(), WalletRequest("alice"))) ==
        std::vector<std::string>{unused, coffees});
  v1::ListWalletResponse everything =
      WalletPage(t.ledger(), WalletRequest("alice", true));
  REQUIRE(CodesOf(everything) ==
          std::vector<std::string>{used, unused, teas, coffees});
  CHECK(everything.items(0).coupon().state() == v1::COUPON_STATE_USED_UP);
  CHECK(everything.items(2).voucher().state() == v1::VOUCHER_STATE_USED_UP);
  CHECK(everything.items(3).voucher().units_left() == 10);

  // Past every expiry (30 days), before the sweep writes anything: the read
  // projects time as GetCoupon and GetVoucher do.
  t.clock().AdvanceMs(40 * kDayMs);
  CHECK(WalletPage(t.ledger(), WalletRequest("alice")).items().empty());
  everything = WalletPage(t.ledger(), WalletRequest("alice", true));
  REQUIRE(everything.items_size() == 4);
  CHECK(everything.items(1).coupon().state() == v1::COUPON_STATE_EXPIRED);
  CHECK(everything.items(3).voucher().state() == v1::VOUCHER_STATE_EXPIRED);
  SweepVouchersOk(t);
  CHECK(WalletPage(t.ledger(), WalletRequest("alice")).items().empty());
  CHECK(WalletPage(t.ledger(), WalletRequest("alice", true)).items_size() == 4);
  t.RequireVerifyOk();
}

TEST_CASE(
    "units transferred to another member appear in the receiver's wallet; "
    "a giver who gave them all sees the voucher used up",
    "[wallet]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string teas = IssueVoucherOk(t, "v1", "alice", "tea-5", 5, 1000);
  auto moved = TransferUnits(
      t.ledger(), VoucherTransferRequest("t1", "alice", teas, "bob", 5));
  REQUIRE_OK(moved);

  v1::ListWalletResponse bobs = WalletPage(t.ledger(), WalletRequest("bob"));
  REQUIRE(bobs.items_size() == 1);
  CHECK(bobs.items(0).voucher().code() == moved->received().code());
  CHECK(bobs.items(0).voucher().units_left() == 5);
  CHECK(bobs.items(0).voucher().source_code() == teas);

  CHECK(WalletPage(t.ledger(), WalletRequest("alice")).items().empty());
  v1::ListWalletResponse alices =
      WalletPage(t.ledger(), WalletRequest("alice", true));
  REQUIRE(alices.items_size() == 1);
  CHECK(alices.items(0).voucher().code() == teas);
  CHECK(alices.items(0).voucher().units_left() == 0);
  CHECK(alices.items(0).voucher().state() == v1::VOUCHER_STATE_USED_UP);
  t.RequireVerifyOk();
}

TEST_CASE("a claimed gift appears in the claimer's wallet", "[wallet]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  t.EnrollOk("friend");
  const std::string coffees =
      IssueVoucherOk(t, "v1", "alice", "coffee-12", 12, 3000);
  auto gifted = GiftUnits(t.ledger(), GiftRequest("g1", "alice", coffees, 4));
  REQUIRE_OK(gifted);
  // Not the friend's until claimed.
  CHECK(WalletPage(t.ledger(), WalletRequest("friend", true)).items().empty());
  auto claimed =
      ClaimGift(t.ledger(), "c1", "friend", gifted->gift().claim_code());
  REQUIRE_OK(claimed);

  v1::ListWalletResponse friends =
      WalletPage(t.ledger(), WalletRequest("friend"));
  REQUIRE(friends.items_size() == 1);
  CHECK(friends.items(0).voucher().code() == claimed->voucher().code());
  CHECK(friends.items(0).voucher().units_left() == 4);
  v1::ListWalletResponse alices =
      WalletPage(t.ledger(), WalletRequest("alice"));
  REQUIRE(alices.items_size() == 1);
  CHECK(alices.items(0).voucher().units_left() == 8);
  t.RequireVerifyOk();
}

TEST_CASE(
    "after a merge the target's wallet includes the source's and its "
    "merged members', in entry order, under every id",
    "[wallet][merge]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  t.EnrollOk("carol");
  const std::string carols = IssueOk(t, "c0", "carol", "welcome-10");
  const std::string alices_coupon = IssueOk(t, "c1", "alice", "welcome-10");
  const std::string bobs_voucher =
      IssueVoucherOk(t, "v1", "bob", "coffee-12", 12, 3000);
  const std::string alices_voucher =
      IssueVoucherOk(t, "v2", "alice", "tea-5", 5, 1000);
  // Carol into alice, then alice (with carol) into bob.
  REQUIRE_OK(Merge(t.ledger(), MergeRequest("m1", "carol", "alice")));
  REQUIRE_OK(Merge(t.ledger(), MergeRequest("m2", "alice", "bob")));

  const std::vector<std::string> expected = {carols, alices_coupon,
                                             bobs_voucher, alices_voucher};
  CHECK(CodesOf(WalletPage(t.ledger(), WalletRequest("bob"))) == expected);
  CHECK(CodesOf(WalletPage(t.ledger(), WalletRequest("alice"))) == expected);
  CHECK(CodesOf(WalletPage(t.ledger(), WalletRequest("carol"))) == expected);
  // Pages over the union keep the order and lose nothing.
  CHECK(AllCodes(t.ledger(), WalletRequest("carol", false, 1)) == expected);
  // The merged-in coupon is usable by the target, and then used up.
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r1", "bob", carols));
  CHECK(CodesOf(WalletPage(t.ledger(), WalletRequest("bob"))) ==
        std::vector<std::string>{alices_coupon, bobs_voucher, alices_voucher});
  // A merge writes no wallet rows: one per coupon or voucher given.
  CHECK(FamilySize(t.store(), Family::kWallet) == 4);
  t.RequireVerifyOk();
}

TEST_CASE(
    "bearer codes are in nobody's wallet, not even the wallet of a member "
    "who used one",
    "[wallet][bulk]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  v1::GenerateCouponsRequest batch;
  batch.mutable_context()->set_request_id("gen-1");
  batch.set_batch_id("flyer");
  batch.set_template_id("welcome-10");
  batch.set_count(3);
  auto chunk = CallLedger<GenerateCouponChunkCommand>(t.ledger(), kAdmin,
                                                      ChunkRequestOf(batch, 0));
  REQUIRE_OK(chunk);
  const v1::LedgerEntry generated =
      ValueOrFail(t.ledger().ReadEntry(chunk->sequence()));
  REQUIRE(generated.coupons_generated().codes_size() == 3);
  REQUIRE_OK(
      RedeemAtTill(t.ledger(), "r1", "alice",
                   FormatCouponCode(generated.coupons_generated().codes(0))));
  CHECK(WalletPage(t.ledger(), WalletRequest("alice", true)).items().empty());
  CHECK(FamilySize(t.store(), Family::kWallet) == 0);
  t.RequireVerifyOk();
}

TEST_CASE("pagination returns every item exactly once across pages",
          "[wallet][pages]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  std::vector<std::string> all;
  std::vector<std::string> usable;
  for (int i = 0; i < 7; ++i) {
    const std::string coupon =
        IssueOk(t, absl::StrCat("c", i), "alice", "welcome-10");
    all.push_back(coupon);
    if (i % 3 == 0) {
      REQUIRE_OK(
          RedeemAtTill(t.ledger(), absl::StrCat("r", i), "alice", coupon));
    } else {
      usable.push_back(coupon);
    }
    if (i % 2 == 0) {
      const std::string voucher =
          IssueVoucherOk(t, absl::StrCat("v", i), "alice", "tea-5", 5, 1000);
      all.push_back(voucher);
      usable.push_back(voucher);
    }
  }
  REQUIRE(all.size() == 11);
  for (int32_t page_size : {1, 2, 3, 5, 11, 12, 500}) {
    INFO("page_size " << page_size);
    int pages = 0;
    CHECK(AllCodes(t.ledger(), WalletRequest("alice", true, page_size),
                   &pages) == all);
    CHECK(pages == (static_cast<int>(all.size()) + page_size - 1) / page_size);
    CHECK(AllCodes(t.ledger(), WalletRequest("alice", false, page_size)) ==
          usable);
  }
  // A row given between pages is read by a later page, once.
  v1::ListWalletResponse first =
      WalletPage(t.ledger(), WalletRequest("alice", true, 4));
  REQUIRE(first.items_size() == 4);
  const std::string newest = IssueOk(t, "c-late", "alice", "welcome-10");
  std::vector<std::string> rest = AllCodes(
      t.ledger(), WalletRequest("alice", true, 4, first.next_page_token()));
  std::vector<std::string> seen = CodesOf(first);
  seen.insert(seen.end(), rest.begin(), rest.end());
  all.push_back(newest);
  CHECK(seen == all);
}

TEST_CASE(
    "a call reads a bounded number of rows: a wallet of more unusable items "
    "than that answers a short page with a token that continues",
    "[wallet][pages]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  const int expired_count = kWalletRowsScannedMax + 5;
  for (int i = 0; i < expired_count; ++i) {
    IssueOk(t, absl::StrCat("old-", i), "alice", "welcome-10");
  }
  t.clock().AdvanceMs(40 * kDayMs);
  const std::string fresh = IssueOk(t, "fresh", "alice", "welcome-10");

  v1::ListWalletResponse first =
      WalletPage(t.ledger(), WalletRequest("alice", false, 10));
  CHECK(first.items().empty());
  REQUIRE_FALSE(first.next_page_token().empty());
  v1::ListWalletResponse second = WalletPage(
      t.ledger(), WalletRequest("alice", false, 10, first.next_page_token()));
  CHECK(CodesOf(second) == std::vector<std::string>{fresh});
  CHECK(second.next_page_token().empty());
  // With the unusable ones every row is listed once, page by page.
  std::vector<std::string> all =
      AllCodes(t.ledger(), WalletRequest("alice", true, 500));
  CHECK(all.size() == static_cast<size_t>(expired_count + 1));
  CHECK(all.back() == fresh);
}

TEST_CASE(
    "ListWallet refuses bad input naming the field, and an unknown member "
    "is NOT_FOUND",
    "[wallet][validation]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  for (int i = 0; i < 3; ++i) {
    IssueOk(t, absl::StrCat("c", i), "alice", "welcome-10");
  }
  const std::string alices_token =
      WalletPage(t.ledger(), WalletRequest("alice", false, 1))
          .next_page_token();
  REQUIRE_FALSE(alices_token.empty());
  struct Case {
    const char* field;
    v1::ListWalletRequest request;
  };
  const Case cases[] = {
      {"page_size", WalletRequest("alice", false, -1)},
      {"page_size", WalletRequest("alice", false, kPageSizeMax + 1)},
      {"page_token", WalletRequest("alice", false, 0, "not a token")},
      {"page_token", WalletRequest("alice", false, 0, "AAAA")},
      // A token of another member, and a statement token of this one.
      {"page_token", WalletRequest("bob", false, 0, alices_token)},
      {"page_token",
       WalletRequest("alice", false, 0, EncodePageToken("alice", 2))},
      {"member_id", WalletRequest("")},
      {"member_id", WalletRequest(std::string(kIdLengthMax + 1, 'a'))},
  };
  for (const Case& c : cases) {
    INFO(c.field << ": " << c.request.ShortDebugString());
    auto refused = t.ledger().ListWallet(c.request);
    CHECK(CodeOf(refused.status()) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(MessageOf(refused.status()),
                           absl::StrCat(c.field, ":")));
  }
  auto unknown = t.ledger().ListWallet(WalletRequest("nobody"));
  CHECK(CodeOf(unknown.status()) == absl::StatusCode::kNotFound);
  CHECK(ReasonOfResult(unknown) == v1::ERROR_REASON_MEMBER_NOT_FOUND);
  // The largest page size is accepted.
  CHECK(WalletPage(t.ledger(), WalletRequest("alice", false, kPageSizeMax))
            .items_size() == 3);
}

TEST_CASE("Verify names a forged, altered or missing wallet row",
          "[wallet][verify]") {
  TestLedger t(WalletProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string coupon = IssueOk(t, "c1", "alice", "welcome-10");
  const uint64_t coupon_sequence =
      ValueOrFail(t.ledger().GetCoupon(coupon)).issued_sequence();
  IssueVoucherOk(t, "v1", "bob", "tea-5", 5, 1000);
  t.RequireVerifyOk();
  storage::v1::WalletRef ref;
  ref.set_code(coupon);

  SECTION("a row no entry gave") {
    // Alice's coupon, shown in bob's wallet too.
    t.store().PutRaw(Family::kWallet, WalletKey("bob", coupon_sequence),
                     ref.SerializeAsString());
    CHECK(t.VerifyReports("wallet"));
  }
  SECTION("a row whose value was altered") {
    ref.set_voucher(true);
    t.store().PutRaw(Family::kWallet, WalletKey("alice", coupon_sequence),
                     ref.SerializeAsString());
    CHECK(t.VerifyReports("wallet"));
  }
  SECTION("a missing row") {
    WriteSet erase;
    erase.Erase(Family::kWallet, WalletKey("alice", coupon_sequence));
    REQUIRE_OK(t.store().Write(erase));
    CHECK(t.VerifyReports("the wallet index has 1 keys; the entries give 2"));
  }
}

TEST_CASE("a wallet survives a restart (RocksDB)",
          "[wallet][durability][rocksdb]") {
  TempDir dir;
  ManualClock clock(kStartMs);
  RocksDbOptions options;
  options.block_cache_bytes = 1 << 20;
  options.write_buffer_bytes = 1 << 20;
  v1::ListWalletResponse before;
  std::string coupon;
  {
    auto store = RocksDbStore::Open(dir.path(), options);
    REQUIRE_OK(store);
    auto ledger = Ledger::Open(store->get(), WalletProgram(), &clock,
                               TestLedgerOptions());
    REQUIRE_OK(ledger);
    REQUIRE_OK(Enroll(**ledger, kApp, EnrollRequest("e1", "alice")));
    REQUIRE_OK(Enroll(**ledger, kApp, EnrollRequest("e2", "bob")));
    auto issued = Issue(**ledger, IssueRequest("c1", "alice", "welcome-10"));
    REQUIRE_OK(issued);
    coupon = issued->coupon().code();
    auto voucher = IssueVoucher(
        **ledger, IssueVoucherRequest("v1", "bob", "coffee-12", 12, 3000));
    REQUIRE_OK(voucher);
    REQUIRE_OK(TransferUnits(
        **ledger, VoucherTransferRequest("t1", "bob", voucher->voucher().code(),
                                         "alice", 3)));
    before = ValueOrFail((*ledger)->ListWallet(WalletRequest("alice")));
    REQUIRE(before.items_size() == 2);
  }
  auto store = RocksDbStore::Open(dir.path(), options);
  REQUIRE_OK(store);
  auto ledger =
      Ledger::Open(store->get(), WalletProgram(), &clock, TestLedgerOptions());
  REQUIRE_OK(ledger);
  v1::ListWalletResponse after =
      ValueOrFail((*ledger)->ListWallet(WalletRequest("alice")));
  CHECK(after.SerializeAsString() == before.SerializeAsString());
  CHECK(CodeOfItem(after.items(0)) == coupon);
  // Pages over RocksDB's scans, and the index still verifies.
  CHECK(AllCodes(**ledger, WalletRequest("alice", true, 1)) == CodesOf(before));
  auto verified = (*ledger)->Verify();
  REQUIRE_OK(verified);
  INFO(verified->ShortDebugString());
  CHECK(verified->ok());
}

}  // namespace
}  // namespace loyalty
