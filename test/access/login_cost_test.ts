/**
 * What a login costs the server: one password check per message, and password checks queued
 * fairly by client address, so a flood of wrong passwords from one address neither takes every
 * core nor keeps another address's login waiting behind it.
 */
import assert from "node:assert/strict";
import { FairQueue, QueueFull } from "../../src/util/fair_queue.ts";
import { NS, startServer } from "../support/harness.ts";
import { resultCode } from "../support/body_reader.ts";

const LOGIN = (user: string, password: string) =>
  `<Login-Request><UserID>wv:${user}@example.com</UserID><ClientID><URL>http://c</URL>` +
  `</ClientID><Password>${password}</Password></Login-Request>`;

Deno.test("sixteen Logins in one message: the first is checked, the others get 400 unchecked", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const transactions = Array.from(
    { length: 16 },
    (_, i) =>
      `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
      `<TransactionID>t${i}</TransactionID></TransactionDescriptor>` +
      `<TransactionContent xmlns="${NS["1.2"].trc}">${LOGIN("alice", `guess${i}`)}` +
      `</TransactionContent></Transaction>`,
  ).join("");
  const reply = await h.client("mallory").post(
    `<WV-CSP-Message xmlns="${NS["1.2"].csp}"><Session><SessionDescriptor><SessionType>` +
      `Outband</SessionType></SessionDescriptor>${transactions}</Session></WV-CSP-Message>`,
  );
  const answers = reply.message!.transactions.map((t) =>
    `${t.primitive.name} ${resultCode(t.primitive.body)}`
  );
  assert.deepEqual(answers, ["Login-Response 409", ...Array(15).fill("Status 400")]);
});

Deno.test("ten wrong logins at once from one address: its share is checked, the rest get 503; another address logs in", async () => {
  await using h = await startServer();
  for (const name of ["alice", "bob"]) await h.addUser(name, "secret");
  const post = (xml: string, address: string) =>
    h.server.app.request("/csp", {
      method: "POST",
      headers: { "content-type": NS["1.2"].type },
      body: h.client("x").envelope(xml, { transactionId: "t", outband: true }),
    }, { remoteAddr: { transport: "tcp", hostname: address, port: 1 } });
  const code = async (response: Response | Promise<Response>) =>
    Number(/<Code>(\d+)<\/Code>/.exec(await (await response).text())![1]);

  const flood = Array.from(
    { length: 10 },
    (_, i) => code(post(LOGIN("alice", `g${i}`), "10.0.0.1")),
  );
  const bystander = code(post(LOGIN("bob", "secret"), "10.0.0.2"));
  const floodCodes = await Promise.all(flood);
  assert.equal(await bystander, 200);
  // The address's share: two waiting, and the one running unless bob's check came first.
  const checked = floodCodes.filter((c) => c === 409).length;
  assert.ok(checked === 2 || checked === 3, `got ${floodCodes}`);
  assert.equal(floodCodes.filter((c) => c === 503).length, 10 - checked, `got ${floodCodes}`);
});

Deno.test("the fair queue serves lanes in turn and refuses past a lane's share or its size", async () => {
  const queue = new FairQueue({ concurrency: 1, perLane: 2, total: 3 });
  const order: string[] = [];
  const task = (name: string) => () => {
    order.push(name);
    return new Promise<void>((r) => setTimeout(r, 5));
  };
  const runs = [
    queue.run("a", task("a1")),
    queue.run("a", task("a2")),
    queue.run("a", task("a3")),
    queue.run("b", task("b1")),
  ];
  await assert.rejects(queue.run("a", task("a4")), QueueFull, "a has two waiting");
  await assert.rejects(queue.run("c", task("c1")), QueueFull, "three wait in all");
  await Promise.all(runs);
  assert.deepEqual(order, ["a1", "a2", "b1", "a3"], "b's one task does not wait for all of a's");
});
