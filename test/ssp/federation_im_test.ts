/** Two and three domains on loopback: messages and delivery reports across domains over SSP. */
import assert from "node:assert/strict";
import { obj, str } from "../../src/session/values.ts";
import { status } from "../../src/codec/ssp/transactions.ts";
import { sendOk } from "../im/im_support.ts";
import { testShape } from "../support/shapes.ts";
import { freePort, PEER_WIRES, pollFor, startDomains, startNode } from "./ssp_support.ts";

for (const wire of PEER_WIRES) {
  Deno.test(`alice@a.test writes to bob@b.test and bob answers: both arrive, reports go back (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [alice] = await a.login("alice");
      const [bob] = await b.login("bob");

      // alice's 200 means the message is stored for relaying on a.test.
      const id = await sendOk(alice, ["wv:bob@b.test"], "Hi Bob at B!", { report: true });
      const incoming = await pollFor(bob, "NewMessage");
      assert.equal(str(incoming.primitive.body.ContentData), "Hi Bob at B!");
      const info = obj(incoming.primitive.body.MessageInfo)!;
      assert.equal(str(obj(obj(info.Sender)?.User)?.UserID), "wv:alice@a.test");

      // bob confirms; the report crosses back and alice polls it like a local one.
      await bob.send(
        `<MessageDelivered><MessageID>${str(info.MessageID)}</MessageID></MessageDelivered>`,
        { mode: "Response", transactionId: incoming.transactionId },
      );
      const report = await pollFor(alice, "DeliveryReport-Request");
      const reportInfo = obj(report.primitive.body.MessageInfo)!;
      assert.equal(str(reportInfo.MessageID), id);
      assert.equal(Number(obj(report.primitive.body.Result)?.Code), 200);

      await sendOk(bob, ["wv:alice@a.test"], "Hello from B");
      const back = await pollFor(alice, "NewMessage");
      assert.equal(str(back.primitive.body.ContentData), "Hello from B");
    } finally {
      await a.close();
      await b.close();
    }
  });
}

Deno.test("three domains: one message from a.test reaches b.test and c.test", async () => {
  const [a, b, c] = await startDomains(["a.test", "b.test", "c.test"]);
  try {
    const [alice] = await a.login("alice");
    const [bob] = await b.login("bob");
    const [carol] = await c.login("carol");
    await sendOk(alice, ["wv:bob@b.test", "wv:carol@c.test"], "to you both");
    for (const user of [bob, carol]) {
      assert.equal(
        str((await pollFor(user, "NewMessage")).primitive.body.ContentData),
        "to you both",
      );
    }
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

Deno.test("b.test restarts mid-stream: what alice sent meanwhile arrives, nothing lost", async () => {
  const dir = await Deno.makeTempDir();
  const [portA, portB] = [await freePort(), await freePort()];
  const a = await startNode("a.test", portA, { peers: { "b.test": portB } });
  const startB = () =>
    startNode("b.test", portB, { peers: { "a.test": portA }, dataPath: `${dir}/b.kv` });
  let b = await startB();
  try {
    const [alice] = await a.login("alice");
    let [bob] = await b.login("bob");
    await sendOk(alice, ["wv:bob@b.test"], "before");
    await pollFor(bob, "NewMessage");

    await b.close();
    for (let i = 0; i < 5; i++) await sendOk(alice, ["wv:bob@b.test"], `while down ${i}`);
    b = await startB();
    [bob] = await b.login("bob");
    // "before" comes again too: bob never confirmed it, so his mailbox still holds it.
    const texts = new Set<string>();
    while (texts.size < 5) {
      const t = await pollFor(bob, "NewMessage");
      const text = str(t.primitive.body.ContentData)!;
      if (text !== "before") texts.add(text);
      await bob.send(`<Status><Result><Code>200</Code></Result></Status>`, {
        mode: "Response",
        transactionId: t.transactionId,
      });
    }
    assert.deepEqual([...texts].sort(), [0, 1, 2, 3, 4].map((i) => `while down ${i}`));
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "b.test stops while it still answers a.test: its close ends, opening no connection",
  // It slows the in-process server's answer: in the shapes of several instances, separate
  // processes answer.
  ignore: testShape() !== "one",
}, async () => {
  const [a, b] = await startDomains(["a.test", "b.test"]);
  try {
    const [alice] = await a.login("alice");
    await b.login("bob");
    // b.test is slow to answer this GetPresence: it has closed its SSP connections by the time
    // the answer is ready, and the answer must not open a new one its close would wait for.
    let asked!: () => void;
    const isAsked = new Promise<void>((resolve) => asked = resolve);
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => answer = resolve);
    b.server.federation!.handle("GetPresenceRequest", async () => {
      asked();
      await answered;
      return status(200, "late");
    });
    const reply = alice.send(
      `<GetPresence-Request><User><UserID>wv:bob@b.test</UserID></User></GetPresence-Request>`,
    );
    await isAsked;
    const closing = b.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    answer();
    let timer: ReturnType<typeof setTimeout>;
    const stuck = new Promise<string>((resolve) =>
      timer = setTimeout(() => resolve("stuck"), 5_000)
    );
    assert.equal(await Promise.race([closing.then(() => "closed"), stuck]), "closed");
    clearTimeout(timer!);
    // alice is told bob's domain did not answer, as for any peer that goes away.
    assert.equal((await reply).code, 503);
  } finally {
    await a.close();
  }
});

Deno.test("a peer that never answers: the sender gets a DeliveryReport 542 after the give-up time", async () => {
  const deadPort = await freePort();
  const a = await startNode("a.test", await freePort(), {
    peers: { "gone.test": deadPort },
    env: { IMPS_SSP_GIVE_UP: "1" },
  });
  try {
    const [alice] = await a.login("alice");
    const id = await sendOk(alice, ["wv:zed@gone.test"], "anyone?", { report: true });
    const report = await pollFor(alice, "DeliveryReport-Request", 8_000);
    assert.equal(str(obj(report.primitive.body.MessageInfo)?.MessageID), id);
    assert.equal(Number(obj(report.primitive.body.Result)?.Code), 542);
  } finally {
    await a.close();
  }
});

Deno.test("denied domains are answered 516 at once", async () => {
  const a = await startNode("a.test", await freePort(), {
    peers: {},
    env: { IMPS_SSP_DENY: "evil.test" },
  });
  try {
    const [alice] = await a.login("alice");
    const reply = await alice.send(
      `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><ContentType>text/plain</ContentType>` +
        `<Recipient><User><UserID>wv:x@evil.test</UserID></User></Recipient></MessageInfo><ContentData>hi</ContentData></SendMessage-Request>`,
    );
    assert.equal(reply.code, 516, reply.text);
  } finally {
    await a.close();
  }
});
