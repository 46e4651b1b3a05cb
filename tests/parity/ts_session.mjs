// The parity session through the TypeScript client (see parity_test.py):
// enrol MEMBER, credit 100 points, quote and earn the basket, redeem 30,
// return 4.00 of the order, read the balance; prints one line of what the
// calls answered:
//   quote=Q earned=E after_redeem=A reversed=R available=V pending=P
// Usage: node ts_session.mjs PACKAGE_DIST_INDEX ADDRESS CA_PEM_FILE MEMBER
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [indexPath, address, caPath, member] = process.argv.slice(2);
const { Channel, LoyaltyClient } = await import(pathToFileURL(indexPath).href);
const tls = { rootCertsPem: readFileSync(caPath, "utf8") };
const pos = new LoyaltyClient({ address, tls, apiKey: "demo-pos-key" });
const admin = new LoyaltyClient({ address, tls, apiKey: "demo-admin-key" });
const context = { channel: Channel.POS, storeId: "store-12", terminalId: "till-parity" };
try {
  await pos.loyalty.enrollMember({ context, memberId: member });
  await admin.admin.adjust({
    memberId: member, pointsDelta: 100n, reasonCode: "GOODWILL", operatorId: "parity",
  });
  const basket = {
    context, memberId: member, orderId: "parity-1", currency: "EUR",
    lines: [
      { sku: "COFFEE-M", category: "coffee", quantity: 2n, unitPriceMinor: 350n },
      { sku: "CAKE", category: "bakery", quantity: 1n, unitPriceMinor: 400n },
    ],
  };
  const quote = await pos.loyalty.quoteEarn(basket);
  const earned = await pos.loyalty.earn(basket);
  const redeemed = await pos.loyalty.redeem({
    context, memberId: member, orderId: "parity-2", points: 30n,
  });
  const reversed = await pos.loyalty.return({
    context, memberId: member, orderId: "parity-1", amountMinor: 400n,
  });
  const balance = await pos.loyalty.getBalance({ memberId: member });
  console.log(
    `quote=${quote.points} earned=${earned.pointsEarned} ` +
      `after_redeem=${redeemed.balance.availablePoints} ` +
      `reversed=${reversed.pointsReversed} available=${balance.availablePoints} ` +
      `pending=${balance.pendingPoints}`,
  );
} finally {
  pos.close();
  admin.close();
}
