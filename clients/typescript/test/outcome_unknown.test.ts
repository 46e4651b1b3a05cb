// A write whose retries run out is "outcome unknown", with the request id
// to resend; resent once the server is back, it is applied once.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import { Channel, LoyaltyClient, LoyaltyError, OutcomeUnknownError } from "../src/index.js";
import { APP_KEY, clientOptions, Loyaltyd } from "./support/loyaltyd.js";

const app = { channel: Channel.APP };
const basket = [{ sku: "BEANS", category: "coffee", quantity: 1n, unitPriceMinor: 1299n }];

// A well-formed coupon code no one issued: 16 characters and the check
// character of proto/loyalty/v1/coupon_code.h (Luhn mod 32, rightmost
// doubled first), so the server looks it up instead of refusing its form.
function unknownCouponCode(n: number): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const body = `ZZZZZZZZZZZZZZ${alphabet[Math.floor(n / 32) % 32]}${alphabet[n % 32]}`;
  let sum = 0;
  let doubled = true;
  for (let i = body.length - 1; i >= 0; i--) {
    let value = alphabet.indexOf(body[i]!);
    if (doubled) value = Math.floor((value * 2) / 32) + ((value * 2) % 32);
    sum += value;
    doubled = !doubled;
  }
  return body + alphabet[(32 - (sum % 32)) % 32];
}

describe("outcome unknown", () => {
  const started: Loyaltyd[] = [];
  after(async () => {
    // Stopped with their data kept (for a restart); removed here.
    for (const server of started) {
      await server.stop(true);
      server.removeData();
    }
  });

  it("after the last retry fails, and a resend under its request id applies once", async () => {
    const first = await Loyaltyd.start();
    started.push(first);
    const retry = { attemptsMax: 3, initialBackoffMs: 20, backoffMaxMs: 40 };
    const client = first.client(APP_KEY, { retry, callTimeoutMs: 2000 });
    await client.loyalty.enrollMember({ context: app, memberId: "ts-erin" });
    await first.stop(true);

    const startedAtMs = Date.now();
    const lost = await client.loyalty
      .earn({ context: app, memberId: "ts-erin", orderId: "TS-6001", currency: "EUR", lines: basket })
      .then(
        () => assert.fail("an earn succeeded with the server down"),
        (error: unknown) => error,
      );
    const elapsedMs = Date.now() - startedAtMs;
    assert.ok(lost instanceof OutcomeUnknownError, `got ${String(lost)}`);
    assert.match(lost.requestId, /^[0-9a-f]{32}$/);
    assert.equal(lost.attempts, 3);
    assert.equal(lost.lastError.codeName, "UNAVAILABLE");
    assert.equal(lost.method, "loyalty.v1.LoyaltyService/Earn");
    assert.match(lost.message, new RegExp(`resend with request id ${lost.requestId}`));
    // Two waits of at most 20 and 40 ms between three refused connections.
    assert.ok(elapsedMs < 5000, `retries took ${elapsedMs} ms`);

    const read = await client.loyalty.getBalance({ memberId: "ts-erin" }).then(
      () => assert.fail("a read succeeded with the server down"),
      (error: unknown) => error,
    );
    assert.ok(read instanceof LoyaltyError, "a read that fails is a plain error, not outcome unknown");
    assert.equal(read.codeName, "UNAVAILABLE");
    assert.equal(read.transient, true);

    // The same data and port again; the same client reconnects by itself.
    const second = await Loyaltyd.start({
      dataDir: first.dataDir,
      listen: first.address,
      certificate: first.certificate,
    });
    started.push(second);
    const resend = {
      context: { ...app, requestId: lost.requestId },
      memberId: "ts-erin",
      orderId: "TS-6001",
      currency: "EUR",
      lines: basket,
    };
    const applied = await client.loyalty.earn(resend);
    assert.equal(applied.replayed, false, "the lost attempts never reached the ledger");
    assert.equal(applied.entry?.requestId, lost.requestId);
    const replayed = await client.loyalty.earn(resend);
    assert.equal(replayed.replayed, true);
    const balance = await client.loyalty.getBalance({ memberId: "ts-erin" });
    assert.equal(balance.pendingPoints, applied.pointsEarned, "granted once");
    client.close();
  });

  it("cancelling stops the retries at once, and a write's outcome is unknown", async () => {
    const server = await Loyaltyd.start();
    started.push(server);
    await server.stop(true);
    const client = new LoyaltyClient(
      clientOptions(server.address, server.certificate, APP_KEY, {
        retry: { attemptsMax: 100, initialBackoffMs: 60_000, backoffMaxMs: 60_000 },
      }),
      () => 0.5,
    );
    const startedAtMs = Date.now();
    const lost = await client.loyalty
      .earn(
        { context: app, memberId: "ts-erin", orderId: "TS-6002", currency: "EUR", lines: basket },
        {
          signal: AbortSignal.timeout(200),
        },
      )
      .then(
        () => assert.fail("an earn succeeded with the server down"),
        (error: unknown) => error,
      );
    const elapsedMs = Date.now() - startedAtMs;
    client.close();
    assert.ok(lost instanceof OutcomeUnknownError, `got ${String(lost)}`);
    assert.equal(lost.attempts, 1, "the first wait (30 s) was cut short");
    assert.ok(elapsedMs < 5000, `cancelled after ${elapsedMs} ms`);
  });

  it("retries the server's RESOURCE_EXHAUSTED, then reports it with its reason", async () => {
    const server = await Loyaltyd.start({ extraArgs: ["--unknown-coupon-lookups-per-minute", "1"] });
    started.push(server);
    let waits = 0;
    const client = new LoyaltyClient(
      clientOptions(server.address, server.certificate, APP_KEY, {
        retry: { attemptsMax: 3, initialBackoffMs: 1, backoffMaxMs: 1 },
      }),
      () => {
        waits++;
        return 0;
      },
    );
    const unknown = await client.loyalty.getCoupon({ code: unknownCouponCode(1) }).then(
      () => assert.fail("an unknown coupon was found"),
      (error: unknown) => error,
    );
    assert.ok(unknown instanceof LoyaltyError);
    assert.equal(unknown.reason, "ERROR_REASON_COUPON_NOT_FOUND");
    assert.equal(waits, 0, "an answer is not retried");

    const limited = await client.loyalty.getCoupon({ code: unknownCouponCode(2) }).then(
      () => assert.fail("the lookup limit let a second unknown code through"),
      (error: unknown) => error,
    );
    client.close();
    assert.ok(limited instanceof LoyaltyError, `got ${String(limited)}`);
    assert.equal(limited.codeName, "RESOURCE_EXHAUSTED");
    assert.equal(limited.reason, "ERROR_REASON_UNKNOWN_CODE_LOOKUPS_LIMITED");
    assert.equal(limited.transient, true);
    assert.equal(waits, 2, "three attempts, two waits");
  });

  it("a read's last transient failure stays a LoyaltyError, after every attempt", async () => {
    const server = await Loyaltyd.start();
    started.push(server);
    const address = server.address;
    const certificate = server.certificate;
    await server.stop(true);
    let draws = 0;
    const client = new LoyaltyClient(
      clientOptions(address, certificate, APP_KEY, { retry: { attemptsMax: 4, initialBackoffMs: 1, backoffMaxMs: 1 } }),
      () => {
        draws++;
        return 0;
      },
    );
    const failure = await client.loyalty.getMember({ memberId: "nobody" }).then(
      () => assert.fail("a read succeeded with the server down"),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof LoyaltyError);
    assert.equal(failure.codeName, "UNAVAILABLE");
    assert.equal(draws, 3, "three waits between four attempts");
    client.close();
  });
});
