// The client against a real loyaltyd: the app's day (enrol, quote, earn,
// redeem, return, balance, statement), refusals with their reasons, and
// request ids (generated when empty; the same id replayed, never applied
// twice).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { create } from "@bufbuild/protobuf";

import {
  AdminService,
  Channel,
  EarnRequestSchema,
  EntryChain,
  EntryChainError,
  EntryKind,
  ErrorReason,
  LoyaltyClient,
  LoyaltyError,
  OfflineOutcome,
  OutcomeUnknownError,
  generateRequestId,
} from "../src/index.js";
import { ADMIN_KEY, APP_KEY, Loyaltyd } from "./support/loyaltyd.js";

const app = { channel: Channel.APP };
const basket = [
  { sku: "CHIPS", category: "snacks", quantity: 2n, unitPriceMinor: 350n },
  { sku: "TV", category: "electronics", quantity: 1n, unitPriceMinor: 9900n },
];

describe("LoyaltyClient against loyaltyd", () => {
  let server: Loyaltyd;
  let client: LoyaltyClient;
  let admin: LoyaltyClient;

  before(async () => {
    server = await Loyaltyd.start();
    client = server.client(APP_KEY);
    admin = server.client(ADMIN_KEY);
  });
  after(async () => {
    client?.close();
    admin?.close();
    await server?.stop();
  });

  it("enrols, quotes, earns, redeems, returns and reads the balance and statement", async () => {
    const enrolled = await client.loyalty.enrollMember({ context: app, memberId: "ts-alice" });
    assert.equal(enrolled.member?.memberId, "ts-alice");

    const quote = await client.loyalty.quoteEarn({
      context: app,
      memberId: "ts-alice",
      currency: "EUR",
      lines: basket,
    });
    assert.ok(quote.points > 0n, "the basket earns points");
    assert.ok(
      quote.breakdown.some((line) => line.ruleId === "app-double"),
      "the app campaign applies in the app",
    );

    const earned = await client.loyalty.earn({
      context: app,
      memberId: "ts-alice",
      orderId: "TS-1001",
      currency: "EUR",
      lines: basket,
    });
    assert.equal(earned.pointsEarned, quote.points, "the earn grants what the quote said");
    assert.equal(earned.replayed, false);
    assert.equal(earned.balance?.pendingPoints, quote.points, "earned points wait out the return window");

    // Earned points are pending; an operator credit makes some spendable.
    await admin.admin.adjust({
      context: { channel: Channel.ADMIN },
      memberId: "ts-alice",
      pointsDelta: 100n,
      reasonCode: "GOODWILL",
      operatorId: "support.ts",
    });
    const redeemed = await client.loyalty.redeem({
      context: app,
      memberId: "ts-alice",
      orderId: "TS-1002",
      points: 40n,
    });
    assert.equal(redeemed.balance?.availablePoints, 60n);

    const returned = await client.loyalty.return({
      context: app,
      memberId: "ts-alice",
      orderId: "TS-1001",
      lines: [{ sku: "TV", quantity: 1n }],
    });
    assert.ok(returned.pointsReversed > 0n, "returning the TV takes its points back");
    assert.equal(returned.balance?.pendingPoints, quote.points - returned.pointsReversed);

    const balance = await client.loyalty.getBalance({ memberId: "ts-alice" });
    assert.equal(balance.availablePoints, 60n);
    assert.equal(balance.pendingPoints, quote.points - returned.pointsReversed);
    assert.equal(balance.redeemedPointsTotal, 40n);

    const statement = await client.loyalty.listEntries({ memberId: "ts-alice" });
    const kinds = statement.entries.map((entry) => EntryKind[entry.kind]);
    // Newest first.
    assert.deepEqual(kinds, ["RETURN", "REDEEM", "ADJUST", "EARN", "ENROLL"]);
    assert.equal(statement.entries.length, Number(balance.entryCount));

    const verified = await admin.admin.verifyLedger({});
    assert.deepEqual(verified.problems, []);
    assert.ok(verified.ok, "the ledger verifies");
    assert.ok(verified.entriesChecked >= 5n);
  });

  it("follows the change stream from the first entry, every entry checked against the chain", async () => {
    const chain = new EntryChain();
    const stop = new AbortController();
    let head = 0n;
    try {
      for await (const response of admin.stream(AdminService.method.watchEntries, { fromSequence: 1n }, {
        signal: stop.signal,
      })) {
        for (const streamed of response.entries) chain.accept(streamed);
        head = response.headSequence;
        if (response.nextSequence > response.headSequence) stop.abort();
      }
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    }
    assert.ok(head >= 5n, "the ledger has this suite's entries");
    assert.ok(chain.lastSequence >= head);
    const verified = await admin.admin.verifyLedger({});
    if (chain.lastSequence === verified.lastSequence) {
      assert.equal(Buffer.from(chain.lastHash).toString("hex"), verified.lastHashHex);
    }

    // An altered entry, and a gap, do not check.
    const first = await (async () => {
      const once = new AbortController();
      try {
        for await (const response of admin.stream(AdminService.method.watchEntries, { fromSequence: 1n }, {
          signal: once.signal,
        })) {
          if (response.entries.length >= 2) {
            once.abort();
            return response.entries;
          }
        }
      } catch (error) {
        if (!once.signal.aborted) throw error;
      }
      return [];
    })();
    assert.ok(first.length >= 2);
    const altered = { ...first[0]!, body: Uint8Array.from(first[0]!.body) };
    altered.body[altered.body.length - 1]! ^= 1;
    assert.throws(() => new EntryChain().accept(altered), EntryChainError);
    assert.throws(() => new EntryChain().accept(first[1]!), /expected sequence 1: entries are missing/);
  });

  it("streams generated coupon codes, and a rerun of the batch replays them", async () => {
    const request = {
      context: { channel: Channel.ADMIN },
      batchId: "ts-flyer",
      templateId: "welcome-10",
      count: 12_000n,
    };
    const codes: string[] = [];
    for await (const chunk of admin.admin.generateCoupons(request)) {
      assert.equal(chunk.firstIndex, BigInt(codes.length));
      assert.equal(chunk.replayed, false);
      codes.push(...chunk.codes);
    }
    assert.equal(codes.length, 12_000);
    assert.equal(new Set(codes).size, 12_000, "distinct codes");
    const again: string[] = [];
    for await (const chunk of admin.admin.generateCoupons(request)) {
      assert.equal(chunk.replayed, true);
      again.push(...chunk.codes);
    }
    assert.deepEqual(again, codes);

    const refusal = await (async () => {
      for await (const _ of admin.admin.generateCoupons({ ...request, batchId: "ts-flyer-2", templateId: "no-such" })) {
        assert.fail("a batch of an unknown template streamed codes");
      }
    })().then(
      () => assert.fail("a batch of an unknown template was accepted"),
      (error: unknown) => error,
    );
    assert.ok(refusal instanceof LoyaltyError, `got ${String(refusal)}`);
    assert.equal(refusal.reason, "ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND");
  });

  it("a refusal carries its code and reason (INSUFFICIENT_POINTS)", async () => {
    await client.loyalty.enrollMember({ context: app, memberId: "ts-bob" });
    const refusal = await client.loyalty
      .redeem({ context: app, memberId: "ts-bob", orderId: "TS-2001", points: 5n })
      .then(
        () => assert.fail("redeeming from an empty balance succeeded"),
        (error: unknown) => error,
      );
    assert.ok(refusal instanceof LoyaltyError, `got ${String(refusal)}`);
    assert.equal(refusal.code, 9);
    assert.equal(refusal.codeName, "FAILED_PRECONDITION");
    assert.equal(refusal.reason, "ERROR_REASON_INSUFFICIENT_POINTS");
    assert.equal(refusal.reasonValue, ErrorReason.INSUFFICIENT_POINTS);
    assert.equal(refusal.transient, false);
    assert.match(refusal.message, /Redeem: FAILED_PRECONDITION: .*INSUFFICIENT_POINTS/);
  });

  it("an offline redemption the member cannot cover goes into debt, listed for an operator", async () => {
    await client.loyalty.enrollMember({ context: app, memberId: "ts-offline" });
    const saleAtMs = BigInt(Date.now() - 60_000);
    const redeemed = await client.loyalty.redeem({
      context: { ...app, occurredAtMs: saleAtMs },
      memberId: "ts-offline",
      orderId: "TS-OFF-1",
      points: 150n,
      offline: true,
    });
    const entry = redeemed.entry;
    assert.equal(entry?.kind, EntryKind.REDEEM);
    assert.equal(entry?.occurredAtMs, saleAtMs);
    assert.equal(entry?.details.case, "offlineRedemption");
    const offline = entry?.details.case === "offlineRedemption" ? entry.details.value : undefined;
    assert.equal(offline?.outcome, OfflineOutcome.DEBT);
    assert.equal(offline?.debtPoints, 150n);
    assert.equal(redeemed.balance?.availablePoints, -150n);

    const listed = await admin.admin.listOfflineReconciliations({ pageSize: 500 });
    assert.ok(
      listed.entries.some((listedEntry) => listedEntry.sequence === entry?.sequence),
      "the operator's list has it",
    );
  });

  it("bad input is INVALID_ARGUMENT naming the field, not retried", async () => {
    const refusal = await client.loyalty
      .earn({ context: app, memberId: "ts-alice", orderId: "TS-3001", currency: "EUR", lines: [] })
      .then(
        () => assert.fail("an empty basket was accepted"),
        (error: unknown) => error,
      );
    assert.ok(refusal instanceof LoyaltyError);
    assert.equal(refusal.codeName, "INVALID_ARGUMENT");
    assert.match(refusal.detail, /lines/);
  });

  it("an unknown API key is UNAUTHENTICATED", async () => {
    const stranger = server.client("not-a-key");
    try {
      const refusal = await stranger.loyalty.getBalance({ memberId: "ts-alice" }).then(
        () => assert.fail("an unknown key was let in"),
        (error: unknown) => error,
      );
      assert.ok(refusal instanceof LoyaltyError);
      assert.equal(refusal.codeName, "UNAUTHENTICATED");
    } finally {
      stranger.close();
    }
  });

  it("fills an empty request id with 128 random bits, and leaves a given one", async () => {
    await client.loyalty.enrollMember({ context: app, memberId: "ts-carol" });
    const request = { context: app, memberId: "ts-carol", orderId: "TS-4001", currency: "EUR", lines: basket };
    const earned = await client.loyalty.earn(request);
    assert.match(earned.entry?.requestId ?? "", /^[0-9a-f]{32}$/);
    assert.equal(request.context.channel, Channel.APP);
    assert.equal("requestId" in request.context, false, "the caller's request is not changed");

    const second = await client.loyalty.earn({ ...request, orderId: "TS-4002" });
    assert.notEqual(second.entry?.requestId, earned.entry?.requestId, "each call gets its own id");

    const chosen = await client.loyalty.earn({
      ...request,
      orderId: "TS-4003",
      context: { ...app, requestId: "app-order-4003" },
    });
    assert.equal(chosen.entry?.requestId, "app-order-4003");

    const message = create(EarnRequestSchema, { ...request, orderId: "TS-4004" });
    const fromMessage = await client.loyalty.earn(message);
    assert.match(fromMessage.entry?.requestId ?? "", /^[0-9a-f]{32}$/);
    assert.equal(message.context?.requestId, "", "a message's context is not changed either");
  });

  it("a call the caller cancels: a read is CANCELLED, a write is outcome unknown", async () => {
    const read = await client.loyalty.getBalance({ memberId: "ts-alice" }, { signal: AbortSignal.abort() }).then(
      () => assert.fail("a cancelled read answered"),
      (error: unknown) => error,
    );
    assert.ok(read instanceof LoyaltyError);
    assert.equal(read.codeName, "CANCELLED");
    assert.equal(read.transient, false);
    const write = await client.loyalty
      .redeem({ context: app, memberId: "ts-alice", orderId: "TS-2002", points: 1n }, { signal: AbortSignal.abort() })
      .then(
        () => assert.fail("a cancelled write answered"),
        (error: unknown) => error,
      );
    assert.ok(write instanceof OutcomeUnknownError, `got ${String(write)}`);
    assert.equal(write.lastError.codeName, "CANCELLED");
    assert.match(write.requestId, /^[0-9a-f]{32}$/);
  });

  it("the same request id again is replayed, not applied twice", async () => {
    await client.loyalty.enrollMember({ context: app, memberId: "ts-dave" });
    const requestId = generateRequestId();
    const request = {
      context: { ...app, requestId },
      memberId: "ts-dave",
      orderId: "TS-5001",
      currency: "EUR",
      lines: basket,
    };
    const first = await client.loyalty.earn(request);
    const again = await client.loyalty.earn(request);
    assert.equal(first.replayed, false);
    assert.equal(again.replayed, true);
    assert.equal(again.pointsEarned, first.pointsEarned);
    const balance = await client.loyalty.getBalance({ memberId: "ts-dave" });
    assert.equal(balance.pendingPoints, first.pointsEarned, "the points were granted once");
    assert.equal(balance.entryCount, 2n, "ENROLL and one EARN");

    const conflict = await client.loyalty.earn({ ...request, orderId: "TS-5002" }).then(
      () => assert.fail("the same id with other content was accepted"),
      (error: unknown) => error,
    );
    assert.ok(conflict instanceof LoyaltyError);
    assert.equal(conflict.codeName, "ALREADY_EXISTS");
  });
});
