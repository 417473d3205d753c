/**
 * The STCP listener's own check (that it still accepts, see `src/transport/cir/stcp.ts`), run
 * every few milliseconds against a channel with a stand-in dispatcher: the check's connection is
 * never taken for a phone's, and phones connecting while checks run are served as ever. (That a
 * listener out of descriptors is found stuck and listens again: `test/e2e/cir_listeners_test.ts`.)
 */
import assert from "node:assert/strict";
import type { CirHost, WakeTarget } from "../../src/transport/cir/channel.ts";
import { StcpChannel } from "../../src/transport/cir/stcp.ts";
import { StcpClient } from "../support/cir.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every session id is a live one that agreed STCP. */
const host: CirHost = {
  target: (sessionId) =>
    Promise.resolve<WakeTarget>({
      sessionId,
      userId: `wv:${sessionId}@example.com`,
      version: "1.2",
      cookie: "cookie",
      cir: { methods: ["STCP"], token: sessionId },
    }),
  targetByToken: () => Promise.resolve(undefined),
  waiting: () => Promise.resolve(false),
  connected: () => {},
};

/** A channel on a free loopback port checked every `checkIntervalMs`, and what it logged. */
async function checkedChannel(maxPerAddress: number) {
  const log: string[] = [];
  const channel = await StcpChannel.listen(host, {
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 100,
    maxPerAddress,
    heloTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    log: (message) => log.push(message),
    checkIntervalMs: 10,
  });
  return { channel, log };
}

const sessionId = (i: number) => i.toString(16).padStart(32, "0");

Deno.test("the listener's check takes no phone's slot: with the one slot of an address held, nothing is refused", async () => {
  const { channel, log } = await checkedChannel(1);
  try {
    const phone = await StcpClient.helo(channel.port, sessionId(1));
    // Checks run all along (one every ~60 ms); the gate reports refusals a second after them.
    await sleep(2500);
    assert.deepEqual(log, []);
    assert.equal(channel.connections, 1);
    await phone.send("PING\r\n");
    assert.equal(await phone.line(), "OK");
    phone.close();
  } finally {
    await channel.close();
  }
});

Deno.test("phones connecting while the listener is checked again and again are all served", async () => {
  const { channel, log } = await checkedChannel(100);
  try {
    const phones: StcpClient[] = [];
    for (let wave = 0; wave < 10; wave++) {
      phones.push(
        ...await Promise.all(
          Array.from(
            { length: 8 },
            (_, i) => StcpClient.helo(channel.port, sessionId(wave * 8 + i)),
          ),
        ),
      );
      await sleep(25);
    }
    assert.equal(channel.connections, 80);
    assert.deepEqual(log, []);
    for (const phone of phones) phone.close();
  } finally {
    await channel.close();
  }
});
