// The client's transport security against a real loyaltyd: TLS verified
// against the roots given, a server outside them refused without retries,
// a client certificate presented to a loyaltyd that requires one (mutual
// TLS) and refused without it, and plaintext only where both sides agree to
// it on loopback.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { Channel, LoyaltyClient, LoyaltyError, OutcomeUnknownError } from "../src/index.js";
import { APP_KEY, Loyaltyd, makeCertificate, type Certificate } from "./support/loyaltyd.js";

describe("transport security", () => {
  let server: Loyaltyd;
  let scratch: string;
  let stranger: Certificate;

  before(async () => {
    server = await Loyaltyd.start();
    scratch = mkdtempSync(join(tmpdir(), "loyalty-ts-tls-"));
    stranger = makeCertificate(scratch, "stranger");
  });
  after(async () => {
    await server?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it("talks TLS to loyaltyd, trusting the certificate the test made", async () => {
    const client = server.client(APP_KEY);
    assert.match(client.options.baseUrl, /^https:\/\/127\.0\.0\.1:/);
    const enrolled = await client.loyalty.enrollMember({ context: { channel: Channel.APP }, memberId: "ts-tls" });
    assert.equal(enrolled.member?.memberId, "ts-tls");
    client.close();
  });

  it("refuses a server whose certificate is not among its roots, and does not retry", async () => {
    let waits = 0;
    const client = new LoyaltyClient(
      { address: server.address, tls: { rootCertsPem: stranger.certPem }, apiKey: APP_KEY },
      () => {
        waits++;
        return 0;
      },
    );
    const refusal = await client.loyalty.enrollMember({ context: { channel: Channel.APP }, memberId: "ts-tls-2" }).then(
      () => assert.fail("an untrusted server was accepted"),
      (error: unknown) => error,
    );
    client.close();
    assert.ok(refusal instanceof LoyaltyError, `a certificate failure is an answer, got ${String(refusal)}`);
    assert.ok(!(refusal instanceof OutcomeUnknownError));
    assert.match(refusal.detail, /certificate/);
    assert.equal(refusal.transient, false);
    assert.equal(waits, 0, "no retry");
  });

  it("presents its client certificate to a loyaltyd that requires one (mutual TLS)", async () => {
    // The client's self-signed certificate is the one CA loyaltyd accepts.
    const clientCertificate = makeCertificate(scratch, "client");
    const mutual = await Loyaltyd.start({ extraArgs: ["--tls-client-ca", clientCertificate.certPath] });
    try {
      const tls = { rootCertsPem: mutual.certificate!.certPem };
      const presenting = new LoyaltyClient({
        address: mutual.address,
        tls: { ...tls, clientCertPem: clientCertificate.certPem, clientKeyPem: clientCertificate.keyPem },
        apiKey: APP_KEY,
      });
      const enrolled = await presenting.loyalty.enrollMember({
        context: { channel: Channel.APP },
        memberId: "ts-mtls",
      });
      assert.equal(enrolled.member?.memberId, "ts-mtls");
      presenting.close();

      // Without one, or with one loyaltyd's CA did not issue, the handshake
      // fails: nothing reaches loyaltyd's calls.
      for (const clientTls of [tls, { ...tls, clientCertPem: stranger.certPem, clientKeyPem: stranger.keyPem }]) {
        const refused = new LoyaltyClient({
          address: mutual.address,
          tls: clientTls,
          apiKey: APP_KEY,
          retry: { attemptsMax: 1 },
        });
        const refusal = await refused.loyalty.getBalance({ memberId: "ts-mtls" }).then(
          () => assert.fail("a client without an accepted certificate got through"),
          (error: unknown) => error,
        );
        refused.close();
        assert.ok(refusal instanceof LoyaltyError, `a refused handshake is an error, got ${String(refusal)}`);
      }
    } finally {
      await mutual.stop();
    }
  });

  it("speaks plaintext on loopback with insecureLoopback, to a plaintext loyaltyd", async () => {
    const plaintext = await Loyaltyd.start({ plaintext: true });
    try {
      const client = plaintext.client(APP_KEY);
      assert.match(client.options.baseUrl, /^http:\/\/127\.0\.0\.1:/);
      const enrolled = await client.loyalty.enrollMember({ context: { channel: Channel.APP }, memberId: "ts-plain" });
      assert.equal(enrolled.member?.memberId, "ts-plain");
      client.close();
    } finally {
      await plaintext.stop();
    }
  });
});
