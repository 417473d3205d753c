/**
 * A crash while bob confirms what he received, with his confirmations riding on his polls (one
 * commit for all of them): a confirmation the server answered is never undone, and everything
 * else alice was answered 200 for still reaches bob, in order.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";
import { NS } from "../support/harness.ts";
import { spawnServer } from "../support/process.ts";

interface Tx {
  mode?: string;
  id: string;
  xml: string;
}

/** A bare CSP 1.2 client posting several transactions per message, reading with patterns. */
function client(url: string) {
  let sessionId: string | undefined;
  let tid = 0;
  const post = async (txs: Tx[]) => {
    const descriptor = sessionId
      ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
      : "<SessionType>Outband</SessionType>";
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": NS["1.2"].type },
      body: `<WV-CSP-Message xmlns="${NS["1.2"].csp}"><Session><SessionDescriptor>${descriptor}` +
        "</SessionDescriptor>" + txs.map((t) =>
          `<Transaction><TransactionDescriptor><TransactionMode>${t.mode ?? "Request"}` +
          `</TransactionMode><TransactionID>${t.id}</TransactionID></TransactionDescriptor>` +
          `<TransactionContent xmlns="${NS["1.2"].trc}">${t.xml}</TransactionContent></Transaction>`
        ).join("") + "</Session></WV-CSP-Message>",
    });
    return await res.text();
  };
  const request = (xml: string) => post([{ id: `t${++tid}`, xml }]);
  return {
    async login(user: string, multiTrans: number) {
      const text = await request(
        `<Login-Request><UserID>${user}</UserID><ClientID><URL>http://c/${user}</URL></ClientID>` +
          `<Password>secret</Password><TimeToLive>600</TimeToLive></Login-Request>`,
      );
      sessionId = text.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
      await request(
        `<ClientCapability-Request><CapabilityList><MultiTrans>${multiTrans}</MultiTrans>` +
          "</CapabilityList></ClientCapability-Request>",
      );
    },
    async send(to: string, text: string) {
      const answer = await request(
        `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
          `<UserID>${to}</UserID></User></Recipient></MessageInfo><ContentData>${text}` +
          `</ContentData></SendMessage-Request>`,
      );
      assert.match(answer, /<Code>200<\/Code>/);
    },
    /** One poll carrying the confirmations of `confirming`; what it hands out, in order. */
    async poll(confirming: { tid: string; id: string }[]) {
      const answer = await post([
        ...confirming.map((m) => ({
          mode: "Response",
          id: m.tid,
          xml: `<MessageDelivered><MessageID>${m.id}</MessageID></MessageDelivered>`,
        })),
        { id: "", xml: "<Polling-Request/>" },
      ]);
      return answer.split("<Transaction>").slice(1).map((tx) => ({
        tid: tx.match(/<TransactionID>([0-9a-f]+)<\/TransactionID>/)![1],
        id: tx.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1],
        text: tx.match(/<ContentData>([^<]*)<\/ContentData>/)![1],
      }));
    },
  };
}

Deno.test("kill -9 while bob confirms on his polls: nothing confirmed comes back, nothing is lost", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com", IMPS_CORE: "ts" };
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
    await alice.login("wv:alice@example.com", 1);
    await bob.login("wv:bob@example.com", 4);
    const sent = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, "0")}`);
    for (const text of sent) await alice.send("wv:bob@example.com", text);

    const confirmed = new Set<string>(); // confirmations the server answered
    let inHand: { tid: string; id: string; text: string }[] = [];
    for (let round = 0;; round++) {
      const polling = bob.poll(inHand);
      // The crash comes while the fourth poll, with three confirmations, is on its way.
      const killed = round === 3 ? first.stop("SIGKILL") : undefined;
      try {
        const handed = await polling;
        for (const m of inHand) confirmed.add(m.text);
        inHand = handed;
      } catch {
        // The connection died with the server: whether these confirmations landed is unknown.
      }
      if (killed) {
        await killed;
        break;
      }
    }
    assert.ok(confirmed.size >= 8, "two rounds of four were confirmed before the crash");

    const second = await spawnServer(env);
    const after: { id: string; text: string }[] = [];
    try {
      const phone = client(`${second.url}/csp`);
      await phone.login("wv:bob@example.com", 4);
      let handed = await phone.poll([]);
      while (handed.length > 0) {
        after.push(...handed);
        handed = await phone.poll(handed);
      }
    } finally {
      await second.stop();
    }

    const texts = after.map((m) => m.text);
    for (const text of texts) assert.ok(!confirmed.has(text), `${text} was confirmed before`);
    assert.equal(new Set(texts).size, texts.length, "nothing handed out twice");
    for (const text of sent) {
      assert.ok(confirmed.has(text) || texts.includes(text), `${text} must still arrive`);
    }
    const ids = after.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort(), "in the order alice sent them");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
