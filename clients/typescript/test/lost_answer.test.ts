// An answer lost on the network: the write was applied, the client saw the
// call fail in flight. It retries with the same request id and gets the
// first answer replayed; the ledger holds the write once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { Channel, LoyaltyClient, OutcomeUnknownError } from "../src/index.js";
import { AnswerDroppingProxy } from "./support/answer_dropping_proxy.js";
import { APP_KEY, clientOptions, Loyaltyd } from "./support/loyaltyd.js";

const app = { channel: Channel.APP };
const basket = [{ sku: "BEANS", category: "coffee", quantity: 2n, unitPriceMinor: 1299n }];
const retry = { attemptsMax: 3, initialBackoffMs: 10, backoffMaxMs: 20 };

describe("a lost answer", () => {
  let server: Loyaltyd;
  let direct: LoyaltyClient;
  const proxies: AnswerDroppingProxy[] = [];

  before(async () => {
    server = await Loyaltyd.start();
    direct = server.client(APP_KEY);
  });
  after(async () => {
    for (const proxy of proxies) await proxy.close();
    direct?.close();
    await server?.stop();
  });

  async function clientThroughProxy(drops: number): Promise<{ client: LoyaltyClient; proxy: AnswerDroppingProxy }> {
    const proxy = await AnswerDroppingProxy.start(server.address, server.certificate, drops);
    proxies.push(proxy);
    const client = new LoyaltyClient(clientOptions(proxy.address, server.certificate, APP_KEY, { retry }));
    return { client, proxy };
  }

  it("is retried under the same request id and replayed, applied once", async () => {
    await direct.loyalty.enrollMember({ context: app, memberId: "ts-frank" });
    const { client, proxy } = await clientThroughProxy(1);
    const earned = await client.loyalty.earn({
      context: app,
      memberId: "ts-frank",
      orderId: "TS-7001",
      currency: "EUR",
      lines: basket,
    });
    client.close();
    assert.equal(proxy.droppedAnswers, 1, "the first answer was cut");
    assert.equal(proxy.connections, 2, "the retry came on a new connection");
    assert.equal(earned.replayed, true, "the retry got the first attempt's answer");
    const statement = await direct.loyalty.listEntries({ memberId: "ts-frank" });
    const earns = statement.entries.filter((entry) => entry.orderId === "TS-7001");
    assert.equal(earns.length, 1, "one EARN entry");
    assert.equal(earns[0]!.requestId, earned.entry?.requestId);
    const balance = await direct.loyalty.getBalance({ memberId: "ts-frank" });
    assert.equal(balance.pendingPoints, earned.pointsEarned);
  });

  it("lost on every attempt is outcome unknown; the resend is replayed", async () => {
    await direct.loyalty.enrollMember({ context: app, memberId: "ts-grace" });
    const { client, proxy } = await clientThroughProxy(retry.attemptsMax);
    const request = { context: app, memberId: "ts-grace", orderId: "TS-7002", currency: "EUR", lines: basket };
    const lost = await client.loyalty.earn(request).then(
      () => assert.fail("every answer was cut, yet the call succeeded"),
      (error: unknown) => error,
    );
    client.close();
    assert.ok(lost instanceof OutcomeUnknownError, `got ${String(lost)}`);
    assert.equal(lost.attempts, retry.attemptsMax);
    assert.equal(proxy.droppedAnswers, retry.attemptsMax);
    const resent = await direct.loyalty.earn({ ...request, context: { ...app, requestId: lost.requestId } });
    assert.equal(resent.replayed, true, "the first attempt had been applied");
    const balance = await direct.loyalty.getBalance({ memberId: "ts-grace" });
    assert.equal(balance.pendingPoints, resent.pointsEarned, "granted once");
  });
});
