// LoyaltyClient refuses options that cannot work, naming the option, before
// it dials anything; good options get their defaults.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_RETRY_POLICY, LoyaltyClient, OptionsError } from "../src/index.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const good = { address: "127.0.0.1:50051", insecureLoopback: true, apiKey: "demo-app-key" };

function refusal(options: unknown): OptionsError {
  try {
    new LoyaltyClient(options as ConstructorParameters<typeof LoyaltyClient>[0]).close();
  } catch (error) {
    assert.ok(error instanceof OptionsError, `expected OptionsError, got ${String(error)}`);
    return error;
  }
  assert.fail(`options were accepted: ${JSON.stringify(options)}`);
}

describe("options", () => {
  it("accepts loopback plaintext and fills in the defaults", () => {
    const client = new LoyaltyClient(good);
    assert.equal(client.options.baseUrl, "http://127.0.0.1:50051");
    assert.equal(client.options.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS);
    assert.deepEqual(client.options.retry, DEFAULT_RETRY_POLICY);
    client.close();
  });

  it("accepts TLS to any host, with a client certificate, and [::1]", () => {
    const client = new LoyaltyClient({
      address: "loyalty.example.com:443",
      tls: { rootCertsPem: PEM, clientCertPem: PEM, clientKeyPem: PEM.replaceAll("CERTIFICATE", "PRIVATE KEY") },
      apiKey: "k",
      callTimeoutMs: 250,
      retry: { attemptsMax: 1 },
    });
    assert.equal(client.options.baseUrl, "https://loyalty.example.com:443");
    assert.equal(client.options.retry.attemptsMax, 1);
    client.close();
    new LoyaltyClient({ ...good, address: "[::1]:8443" }).close();
    new LoyaltyClient({ ...good, address: "localhost:1" }).close();
  });

  const cases: Array<[string, unknown, string, RegExp]> = [
    ["no options", undefined, "options", /object/],
    ["a misspelt option", { ...good, callTimeout: 5 }, "callTimeout", /not an option/],
    ["no address", { ...good, address: undefined }, "address", /required/],
    ["an address without a port", { ...good, address: "127.0.0.1" }, "address", /host:port/],
    ["a URL for an address", { ...good, address: "https://127.0.0.1:1" }, "address", /host:port/],
    ["port 0", { ...good, address: "127.0.0.1:0" }, "address", /port/],
    ["port 65536", { ...good, address: "127.0.0.1:65536" }, "address", /port/],
    ["neither tls nor insecureLoopback", { address: good.address, apiKey: "k" }, "tls", /required/],
    ["both tls and insecureLoopback", { ...good, tls: {} }, "tls", /exclude/],
    ["plaintext to another machine", { ...good, address: "10.1.2.3:50051" }, "insecureLoopback", /loopback/],
    ["plaintext to a name", { ...good, address: "loyalty.example.com:50051" }, "insecureLoopback", /loopback/],
    ["insecureLoopback not a boolean", { ...good, insecureLoopback: "yes" }, "insecureLoopback", /true or false/],
    ["tls not an object", { ...good, insecureLoopback: undefined, tls: "on" }, "tls", /object/],
    [
      "roots that are not PEM",
      { ...good, insecureLoopback: undefined, tls: { rootCertsPem: "abc" } },
      "tls.rootCertsPem",
      /PEM/,
    ],
    [
      "a client certificate without its key",
      { ...good, insecureLoopback: undefined, tls: { clientCertPem: PEM } },
      "tls.clientKeyPem",
      /required/,
    ],
    [
      "a client key without its certificate",
      { ...good, insecureLoopback: undefined, tls: { clientKeyPem: PEM } },
      "tls.clientCertPem",
      /required/,
    ],
    ["an unknown tls option", { ...good, insecureLoopback: undefined, tls: { ca: PEM } }, "tls.ca", /not an option/],
    ["no API key", { ...good, apiKey: "" }, "apiKey", /required/],
    ["an API key with a space", { ...good, apiKey: "demo app" }, "apiKey", /printable/],
    ["an API key with a newline", { ...good, apiKey: "demo\nx" }, "apiKey", /printable/],
    ["a zero timeout", { ...good, callTimeoutMs: 0 }, "callTimeoutMs", /integer from 1/],
    ["a fractional timeout", { ...good, callTimeoutMs: 1.5 }, "callTimeoutMs", /integer/],
    ["a timeout as text", { ...good, callTimeoutMs: "100" }, "callTimeoutMs", /integer/],
    ["zero attempts", { ...good, retry: { attemptsMax: 0 } }, "retry.attemptsMax", /integer from 1 to 100/],
    ["a negative backoff", { ...good, retry: { initialBackoffMs: -1 } }, "retry.initialBackoffMs", /integer/],
    [
      "a cap below the first backoff",
      { ...good, retry: { initialBackoffMs: 500, backoffMaxMs: 100 } },
      "retry.backoffMaxMs",
      /integer from 500/,
    ],
    ["an unknown retry option", { ...good, retry: { attempts: 3 } }, "retry.attempts", /not an option/],
  ];
  for (const [what, options, field, problem] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const error = refusal(options);
      assert.equal(error.field, field);
      assert.match(error.message, new RegExp(`^LoyaltyClient options: ${field.replace(".", "\\.")} `));
      assert.match(error.message, problem);
    });
  }

  it("refuses a call's own timeoutMs out of range before sending it", async () => {
    const client = new LoyaltyClient(good);
    for (const timeoutMs of [0, -5, 2.5, 3_600_001]) {
      const refusal = await client.loyalty.getBalance({ memberId: "x" }, { timeoutMs }).then(
        () => assert.fail(`timeoutMs ${timeoutMs} was accepted`),
        (error: unknown) => error,
      );
      assert.ok(refusal instanceof OptionsError, `timeoutMs ${timeoutMs}: got ${String(refusal)}`);
      assert.equal(refusal.field, "callOptions.timeoutMs");
    }
    client.close();
  });
});
