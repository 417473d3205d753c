/**
 * Two servers share one KV file behind a round-robin proxy; one of them is killed (kill -9) while
 * alice sends and bob receives through the proxy. Every message answered 200 reaches bob, and no
 * message he acknowledged (MessageDelivered answered 200) comes again.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";
import { NS } from "../support/harness.ts";
import { spawnServer } from "../support/process.ts";
import { roundRobin } from "../support/round_robin.ts";

/** A bare CSP 1.2 client over fetch; an answer that is not a CSP message (502 from the proxy,
 * a connection that died) leaves the outcome unknown (undefined). */
function client(url: string) {
  let sessionId: string | undefined;
  let tid = 0;
  const post = async (primitive: string, transactionId = `t${++tid}`) => {
    const descriptor = sessionId
      ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
      : "<SessionType>Outband</SessionType>";
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": NS["1.2"].type },
        body: `<WV-CSP-Message xmlns="${NS["1.2"].csp}"><Session><SessionDescriptor>` +
          `${descriptor}</SessionDescriptor><Transaction><TransactionDescriptor>` +
          `<TransactionMode>Request</TransactionMode><TransactionID>${transactionId}` +
          `</TransactionID></TransactionDescriptor><TransactionContent ` +
          `xmlns="${NS["1.2"].trc}">${primitive}</TransactionContent></Transaction></Session>` +
          `</WV-CSP-Message>`,
      });
      const text = await res.text();
      return res.status === 200 ? text : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    async login(user: string) {
      const text = await post(
        `<Login-Request><UserID>${user}</UserID><ClientID><URL>http://c/${user}</URL></ClientID>` +
          `<Password>secret</Password><TimeToLive>600</TimeToLive></Login-Request>`,
      );
      sessionId = text!.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
    },
    async send(to: string, text: string): Promise<string | undefined> {
      const answer = await post(
        `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
          `<UserID>${to}</UserID></User></Recipient></MessageInfo><ContentData>${text}` +
          `</ContentData></SendMessage-Request>`,
      );
      return answer && /<Code>200<\/Code>/.test(answer)
        ? answer.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1]
        : undefined;
    },
    /** Polls once; takes the NewMessage handed out (if any) and acknowledges it. `acked` says
     * whether the acknowledgement was answered 200; `undefined` when the poll itself failed. */
    async receive(): Promise<{ id: string; text: string; acked: boolean } | null | undefined> {
      const answer = await post("<Polling-Request/>", "");
      if (answer === undefined) return undefined;
      if (answer === "") return null;
      const id = answer.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1];
      const text = answer.match(/<ContentData>([^<]*)<\/ContentData>/)![1];
      const ack = await post(`<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`);
      return { id, text, acked: ack !== undefined && /<Code>200<\/Code>/.test(ack) };
    },
  };
}

Deno.test("kill -9 of one of two servers sharing a store, while alice sends and bob receives through the proxy", async () => {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: "example.com",
    IMPS_SECRET: "test-secret-0123456789",
    IMPS_SHARED: "true",
    IMPS_CORE: "ts",
    // alice alone sends bob more than a sender's share of his mailbox.
    IMPS_MAILBOX_SENDER_SHARE: "100",
  };
  const admin = { password: () => Promise.resolve("secret"), warn() {} };
  for (const name of ["alice", "bob"]) await runAdmin(["user", "add", name], env, admin);
  const [doomed, survivor] = await Promise.all([spawnServer(env), spawnServer(env)]);
  const proxy = roundRobin([doomed.url, survivor.url]);
  try {
    const alice = client(`${proxy.url}/csp`);
    const bob = client(`${proxy.url}/csp`);
    await alice.login("alice");
    await bob.login("bob");

    const accepted = new Map<string, string>(); // text -> MessageID
    const attempted = new Set<string>();
    const received: { id: string; text: string; acked: boolean }[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    let done = false;
    const sender = async () => {
      while (!done) {
        const text = `m${next++}`;
        attempted.add(text);
        const id = await alice.send("bob", text);
        if (id) accepted.set(text, id);
        if (accepted.size >= 30 && !killed) killed = doomed.stop("SIGKILL");
        if (killed && accepted.size >= 60) done = true;
      }
    };
    const receiver = async () => {
      while (!done) {
        const got = await bob.receive();
        if (got) received.push(got);
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await Promise.all([sender(), sender(), sender(), receiver()]);
    await killed;
    const servedAfterKill = proxy.served.get(survivor.url)!;

    // What is left, by a new session of bob's (what the old one was handed and did not
    // acknowledge waits for it for 30 s; a new session is handed it at once).
    const phone = client(`${proxy.url}/csp`);
    await phone.login("bob");
    for (let m = await phone.receive(); m !== null; m = await phone.receive()) {
      if (m) received.push(m);
    }

    for (const [text, id] of accepted) {
      const got = received.find((m) => m.text === text);
      assert.ok(got, `${text} was answered 200 and must arrive`);
      assert.equal(got.id, id);
    }
    for (const { text } of received) assert.ok(attempted.has(text), `${text} was never sent`);
    for (const [i, m] of received.entries()) {
      if (!m.acked) continue;
      const again = received.slice(i + 1).filter((later) => later.id === m.id);
      assert.deepEqual(again, [], `${m.text} was acknowledged and came again`);
    }
    assert.ok(received.filter((m) => m.acked).length >= 30, "bob took messages throughout");
    assert.ok(servedAfterKill > 0, "the survivor served");
    assert.equal(doomed.running(), false);
  } finally {
    await proxy.close();
    await survivor.stop();
    if (doomed.running()) await doomed.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});
