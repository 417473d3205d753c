/**
 * a.test (ours) and b.test, a peer that behaves on the wire as Baraza does (baraza_wire.ts):
 * its handshake race, group copies it can read, and restarts of either side mid-stream.
 */
import assert from "node:assert/strict";
import { obj, str } from "../../src/session/values.ts";
import { sendOk } from "../im/im_support.ts";
import { sendToGroup } from "../group/support.ts";
import { type BarazaWireOptions, startBarazaWire } from "./baraza_wire.ts";
import { freePort, type Node, pollFor, pollUntil, startNode } from "./ssp_support.ts";

interface Pair {
  a: Node;
  b: Node;
  wire: ReturnType<typeof startBarazaWire>;
  startA(): Promise<Node>;
  startB(): Promise<Node>;
  close(): Promise<void>;
}

/** a.test and the Baraza-like b.test, each restartable; KV files where asked. */
async function pair(
  options: Partial<BarazaWireOptions> & {
    envA?: Record<string, string>;
    dataA?: boolean;
    dataB?: boolean;
  } = {},
): Promise<Pair> {
  const dir = await Deno.makeTempDir();
  const [portA, portB] = [await freePort(), await freePort()];
  const wire = startBarazaWire({ backendPort: portB, targetPort: portA, ...options });
  const startA = () =>
    startNode("a.test", portA, {
      peers: { "b.test": wire.inboundUrl },
      env: options.envA,
      dataPath: options.dataA ? `${dir}/a.kv` : undefined,
    });
  const startB = () =>
    startNode("b.test", portB, {
      peers: { "a.test": wire.outboundUrl },
      dataPath: options.dataB ? `${dir}/b.kv` : undefined,
    });
  const p: Pair = {
    a: await startA(),
    b: await startB(),
    wire,
    startA,
    startB,
    async close() {
      await p.a.close();
      await p.b.close();
      wire.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
  return p;
}

/** Polls bob until every text arrives (each acknowledged), whatever else comes too. */
async function receiveAll(bob: Awaited<ReturnType<Node["login"]>>[0], texts: string[]) {
  const got = new Set<string>();
  while (!texts.every((t) => got.has(t))) {
    const t = await pollFor(bob, "NewMessage");
    got.add(str(t.primitive.body.ContentData)!);
    await bob.send(`<Status><Result><Code>200</Code></Result></Status>`, {
      mode: "Response",
      transactionId: t.transactionId,
    });
  }
}

Deno.test("Baraza's handshake race: our LoginRequest is dropped, the next handshake waits and gets through", async () => {
  const p = await pair({ raceMs: 300 });
  try {
    const [alice] = await p.a.login("alice");
    const [bob] = await p.b.login("bob");
    await sendOk(alice, ["wv:bob@b.test"], "through the race");
    await receiveAll(bob, ["through the race"]);
    assert.ok(p.wire.dropped.includes("LoginRequest in the handshake race"), p.wire.dropped.join());
    assert.equal(p.wire.handshakes, 2, "one handshake lost to the race, the next one waited");
  } finally {
    await p.close();
  }
});

Deno.test("a group of a.test with a member on Baraza-like b.test: the copy is one it can read", async () => {
  const p = await pair({ envA: { IMPS_SSP_LOGIN_DELAY_MS: "0" } });
  try {
    const [alice] = await p.a.login("alice");
    const [bob] = await p.b.login("bob");
    const group = "wv:alice/den@a.test";
    assert.equal(
      (await alice.send(
        `<CreateGroup-Request><GroupID>${group}</GroupID><GroupProperties><Property><Name>Name</Name>` +
          `<Value>den</Value></Property><Property><Name>AccessType</Name><Value>Open</Value></Property>` +
          `</GroupProperties><JoinGroup>T</JoinGroup><OwnProperties/></CreateGroup-Request>`,
      )).code,
      200,
    );
    const join = await bob.send(
      `<JoinGroup-Request><GroupID>${group}</GroupID><ScreenName><SName>Bob</SName>` +
        `<GroupID>${group}</GroupID></ScreenName><JoinedRequest>F</JoinedRequest></JoinGroup-Request>`,
    );
    assert.equal(join.primitive.name, "JoinGroup-Response", join.text);
    assert.equal((await sendToGroup(alice, group, "welcome, Bob")).code, 200);
    const got = await pollUntil(bob, "NewMessage", (b) => str(b.ContentData) === "welcome, Bob");
    const sender = obj(obj(obj(got.primitive.body.MessageInfo)?.Sender)?.Group);
    assert.equal(str(obj(sender?.ScreenName)?.GroupID), group);
    assert.deepEqual(p.wire.dropped, []);
  } finally {
    await p.close();
  }
});

Deno.test("a.test restarts mid-stream: the peer goes on with its session, nothing is lost", async () => {
  const p = await pair({ dataA: true });
  try {
    let [alice] = await p.a.login("alice");
    const [bob] = await p.b.login("bob");
    await sendOk(alice, ["wv:bob@b.test"], "before");
    await receiveAll(bob, ["before"]);
    await sendOk(bob, ["wv:alice@a.test"], "hello alice");
    await pollFor(alice, "NewMessage");

    await p.a.close();
    // Sent while a.test is down: b.test queues them and retries.
    for (let i = 0; i < 3; i++) await sendOk(bob, ["wv:alice@a.test"], `while down ${i}`);
    p.a = await p.startA();
    [alice] = await p.a.login("alice");
    const texts = new Set<string>();
    while (texts.size < 3) {
      const t = await pollFor(alice, "NewMessage");
      const text = str(t.primitive.body.ContentData)!;
      if (text.startsWith("while down")) texts.add(text);
      await alice.send(`<Status><Result><Code>200</Code></Result></Status>`, {
        mode: "Response",
        transactionId: t.transactionId,
      });
    }
    // a.test knew the session from its store: no second handshake either way.
    await sendOk(alice, ["wv:bob@b.test"], "after");
    await receiveAll(bob, ["after"]);
    assert.equal(p.wire.handshakes, 1);
    assert.deepEqual(p.wire.dropped, []);
  } finally {
    await p.close();
  }
});

Deno.test("b.test forgets its sessions: our posts are dropped without a reply, a new handshake follows", async () => {
  const p = await pair({ envA: { IMPS_SSP_LOGIN_DELAY_MS: "0" } });
  try {
    const [alice] = await p.a.login("alice");
    let [bob] = await p.b.login("bob");
    await sendOk(alice, ["wv:bob@b.test"], "first");
    await receiveAll(bob, ["first"]);

    await p.b.close();
    p.b = await p.startB(); // in memory: the session is gone
    [bob] = await p.b.login("bob");
    for (let i = 0; i < 3; i++) await sendOk(alice, ["wv:bob@b.test"], `again ${i}`);
    await receiveAll(bob, ["again 0", "again 1", "again 2"]);
    assert.ok(p.wire.dropped.includes("unknown session"), p.wire.dropped.join());
    assert.equal(p.wire.handshakes, 2);
  } finally {
    await p.close();
  }
});
