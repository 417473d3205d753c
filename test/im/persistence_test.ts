/**
 * Messages survive the server: a restart, and a kill -9 in the middle of a stream of sends.
 * Whatever was answered 200 is delivered exactly once afterwards, in sending order.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";
import { type CspClient, NS, startServer } from "../support/harness.ts";
import { spawnServer } from "../support/process.ts";
import { testShape } from "../support/shapes.ts";
import {
  ackDelivered,
  ackStatus,
  infoOf,
  poll,
  pollOne,
  resultCode,
  sendOk,
} from "./im_support.ts";

/** A server on the KV `env` names, with alice and bob registered and alice logged in. */
async function aliceAndBobOn(env: Record<string, string>) {
  const h = await startServer({ env });
  await h.addUser("alice", "secret");
  await h.addUser("bob", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  return { h, alice };
}

Deno.test("a stored message and its report survive a restart of the server", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    let messageId: string;
    {
      const { h, alice } = await aliceAndBobOn(env);
      await using _ = h;
      messageId = await sendOk(alice, ["bob"], "kept on disk", { report: true });
      await alice.send("<Logout-Request/>");
    }
    {
      await using h = await startServer({ env });
      const bob = h.client("bob", "1.2");
      await bob.login("secret");
      const tx = await pollOne(bob, "NewMessage");
      assert.equal(infoOf(tx).MessageID, messageId);
      assert.equal(tx.primitive.body.ContentData, "kept on disk");
      await ackDelivered(bob, tx);
    }
    await using h = await startServer({ env });
    const alice = h.client("alice", "1.2");
    await alice.login("secret");
    const report = await pollOne(alice, "DeliveryReport-Request");
    assert.equal(resultCode(report.primitive.body), 200);
    await ackStatus(alice, report);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bob confirms a message twice: 200 again while the server runs, 426 after a restart", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  const confirm = (bob: CspClient, id: string) =>
    bob.send(`<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`);
  try {
    let messageId: string;
    {
      const { h, alice } = await aliceAndBobOn(env);
      await using _ = h;
      messageId = await sendOk(alice, ["bob"], "confirmed twice", { report: true });
      const bob = h.client("bob", "1.2");
      await bob.login("secret");
      assert.equal((await confirm(bob, messageId)).code, 200);
      assert.equal((await confirm(bob, messageId)).code, 200, "a retry is answered alike");
      const report = await pollOne(alice, "DeliveryReport-Request");
      assert.equal(resultCode(report.primitive.body), 200);
      await ackStatus(alice, report);
      assert.deepEqual(await poll(alice), [], "alice hears once");
    }
    await using h = await startServer({ env });
    const bob = h.client("bob", "1.2");
    await bob.login("secret");
    // Servers sharing a store remember in KV what left a mailbox, for ten minutes.
    const remembered = testShape() !== "one";
    assert.equal((await confirm(bob, messageId)).code, remembered ? 200 : 426, "after a restart");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A bare CSP 1.2 client over fetch, reading answers with plain patterns. */
function client(url: string) {
  let sessionId: string | undefined;
  let tid = 0;
  const post = async (primitive: string, mode = "Request", transactionId = `t${++tid}`) => {
    const descriptor = sessionId
      ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
      : "<SessionType>Outband</SessionType>";
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": NS["1.2"].type },
      body: `<WV-CSP-Message xmlns="${NS["1.2"].csp}"><Session><SessionDescriptor>${descriptor}` +
        `</SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>${mode}` +
        `</TransactionMode><TransactionID>${transactionId}</TransactionID></TransactionDescriptor>` +
        `<TransactionContent xmlns="${NS["1.2"].trc}">${primitive}</TransactionContent>` +
        `</Transaction></Session></WV-CSP-Message>`,
    });
    return await res.text();
  };
  return {
    post,
    async login(user: string) {
      const text = await post(
        `<Login-Request><UserID>${user}</UserID><ClientID><URL>http://c/${user}</URL></ClientID>` +
          `<Password>secret</Password><TimeToLive>600</TimeToLive></Login-Request>`,
      );
      sessionId = text.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
    },
    async send(to: string, text: string): Promise<string | undefined> {
      const answer = await post(
        `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
          `<UserID>${to}</UserID></User></Recipient></MessageInfo><ContentData>${text}` +
          `</ContentData></SendMessage-Request>`,
      );
      return /<Code>200<\/Code>/.test(answer)
        ? answer.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1]
        : undefined;
    },
    /** Polls once; takes the NewMessage handed out (if any) and acknowledges it. */
    async receive(): Promise<{ id: string; text: string } | undefined> {
      const answer = await post("<Polling-Request/>", "Request", "");
      if (answer === "") return undefined;
      const id = answer.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1];
      const text = answer.match(/<ContentData>([^<]*)<\/ContentData>/)![1];
      const ack = await post(`<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`);
      assert.match(ack, /<Code>200<\/Code>/);
      return { id, text };
    },
  };
}

Deno.test("kill -9 while alice sends: every message answered 200 reaches bob exactly once", async () => {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: "example.com",
    IMPS_CORE: "ts",
    // alice alone sends bob more than a sender's share of his mailbox.
    IMPS_MAILBOX_SENDER_SHARE: "100",
  };
  try {
    for (const name of ["alice", "bob"]) {
      await runAdmin(["user", "add", name], env, {
        password: () => Promise.resolve("secret"),
        warn() {},
      });
    }
    const first = await spawnServer(env);
    const alice = client(`${first.url}/csp`);
    const bob = client(`${first.url}/csp`);
    await alice.login("alice");
    await bob.login("bob");

    const accepted = new Map<string, string>(); // text -> MessageID
    const attempted = new Set<string>();
    const received: { id: string; text: string }[] = [];
    // A first stretch, sent and partly taken by bob before the crash.
    for (let i = 0; i < 10; i++) {
      const text = `m${i}`;
      attempted.add(text);
      accepted.set(text, (await alice.send("bob", text))!);
    }
    for (let i = 0; i < 4; i++) received.push((await bob.receive())!);

    // Then four senders at once; the server is killed while requests are in flight.
    let next = 10;
    let killed: Promise<void> | undefined;
    const sender = async () => {
      while (!killed) {
        const text = `m${next++}`;
        attempted.add(text);
        try {
          const id = await alice.send("bob", text);
          if (id) accepted.set(text, id);
        } catch {
          return; // the connection died with the server: this one's fate is unknown
        }
        if (accepted.size >= 40 && !killed) killed = first.stop("SIGKILL");
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    await killed;

    const second = await spawnServer(env);
    try {
      const phone = client(`${second.url}/csp`);
      await phone.login("bob");
      for (let m = await phone.receive(); m; m = await phone.receive()) received.push(m);
    } finally {
      await second.stop();
    }

    const texts = received.map((m) => m.text);
    assert.equal(new Set(texts).size, texts.length, "nothing delivered twice");
    for (const [text, id] of accepted) {
      assert.ok(texts.includes(text), `${text} was answered 200 and must arrive`);
      assert.equal(received.find((m) => m.text === text)!.id, id);
    }
    for (const text of texts) assert.ok(attempted.has(text), `${text} was never sent`);
    const ids = received.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort(), "in the order the server took them");
    assert.ok(accepted.size >= 40);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
