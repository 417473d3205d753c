/**
 * Removing an account: everything of alice's goes, at once in this process, in bounded commits
 * that a crash can cut short and the next sweep finishes; an account created later under her id
 * starts empty. Over processes: the admin command removes, the running server purges.
 */
import assert from "node:assert/strict";
import {
  finishRemovals,
  REMOVAL_BATCH,
  removalPending,
  removeUser,
} from "../../src/services/accounts.ts";
import type { Mutation } from "../../src/store/kv.ts";
import { contentApi, randomBytes, uploadOk } from "../content/support.ts";
import { createGroup, joinOk } from "../group/support.ts";
import { send, sendOk } from "../im/im_support.ts";
import { inviteOk } from "../invite/support.ts";
import { type Harness, loggedIn, PASSWORD, startServer } from "../support/harness.ts";
import { runAdminProcess, spawnServer } from "../support/process.ts";

const ALICE = "wv:alice@example.com";
const GROUP = "wv:alice/den@example.com";

/** Keys anywhere in the store naming `name` (in a user id, a group id, a list id), but for what
 * other users keep about the id by their own choice (their contact lists) and the memory of
 * ended sessions. */
async function keysNaming(h: Harness, name: string): Promise<string[]> {
  const found = [];
  for await (const { key } of h.server.context.store.kv.list({ prefix: [] })) {
    if (key[0] === "session_gone" || (key[0] === "presence" && key[1] === "member")) continue;
    if (key.some((part) => typeof part === "string" && part.includes(name))) {
      found.push(JSON.stringify(key));
    }
  }
  return found;
}

/** alice with a bit of everything: messages waiting, a contact list, a group bob joined, a
 * block list, a stored item, bob's grant to watch him, an invitation from bob. */
async function aliceWithEverything(h: Harness) {
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await alice.send(
    "<CreateList-Request><ContactList>wv:alice/friends@example.com</ContactList>" +
      "<NickList><NickName><Name>Bob</Name><UserID>wv:bob@example.com</UserID></NickName>" +
      "</NickList></CreateList-Request>",
  );
  assert.equal((await createGroup(alice, GROUP, { join: true, screenName: "Al" })).code, 200);
  await joinOk(bob, GROUP);
  await alice.send(
    "<BlockEntity-Request><BlockList><InUse>T</InUse><AddList><UserID>wv:carol@example.com" +
      "</UserID></AddList></BlockList></BlockEntity-Request>",
  );
  await using api = contentApi(h);
  await uploadOk(api, alice, randomBytes(100));
  await bob.send(
    `<CreateAttributeList-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">` +
      `<OnlineStatus/></PresenceSubList><User><UserID>${ALICE}</UserID></User>` +
      `<DefaultList>F</DefaultList></CreateAttributeList-Request>`,
  );
  await inviteOk(bob, "inv1", [ALICE]);
  await alice.send("<Logout-Request/>");
  for (let i = 0; i < 3; i++) await sendOk(bob, [ALICE], `waiting ${i}`);
  const phone = h.client("alice", "1.2");
  assert.equal((await phone.login(PASSWORD)).code, 200);
  return { phone, bob };
}

Deno.test("alice is removed: her session and her id stop at once, nothing of hers is left for a new alice", async () => {
  await using h = await startServer();
  const { phone, bob } = await aliceWithEverything(h);
  assert.notDeepEqual(await keysNaming(h, "alice"), []);

  await removeUser(h.server.context, ALICE);
  assert.equal((await phone.send("<GetMessageList-Request/>")).code, 604, "her session is over");
  assert.equal((await send(bob, [ALICE], "still there?")).code, 531, "her id is unknown");
  assert.deepEqual(await keysNaming(h, "alice"), []);

  await h.addUser("alice", "new");
  const again = h.client("alice", "1.2");
  assert.equal((await again.login("new")).code, 200);
  assert.deepEqual((await again.send("<GetMessageList-Request/>")).body.MessageInfoList ?? {}, {});
  assert.equal(
    (await again.send(`<GetGroupProps-Request><GroupID>${GROUP}</GroupID></GetGroupProps-Request>`))
      .code,
    800,
  );
  const blocked = await again.send("<GetBlockedList-Request/>");
  assert.doesNotMatch(blocked.text, /carol/);
});

Deno.test("a removal cut short by a crash is finished by the next sweep, in commits of at most REMOVAL_BATCH keys", async () => {
  await using h = await startServer({
    env: { IMPS_MAILBOX_SIZE: "1000", IMPS_MAILBOX_SENDER_SHARE: "100" },
  });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await alice.send("<Logout-Request/>");
  for (let i = 0; i < 450; i++) await sendOk(bob, [ALICE], `m${i}`);
  const { store } = h.server.context;
  const write = store.write.bind(store);
  let commits = 0;
  let largest = 0;
  store.write = (...mutations: Mutation[]) => {
    largest = Math.max(largest, mutations.length);
    if (++commits === 3) return Promise.reject(new Error("power cut"));
    return write(...mutations);
  };
  await assert.rejects(removeUser(h.server.context, ALICE), /power cut/);
  assert.ok(await removalPending(store, ALICE), "the removal record outlives the crash");
  assert.notDeepEqual(await keysNaming(h, "alice"), [], "cut short");

  assert.deepEqual(await finishRemovals(h.server.context), [ALICE]);
  assert.deepEqual(await keysNaming(h, "alice"), []);
  assert.equal(await removalPending(store, ALICE), false);
  assert.ok(largest <= REMOVAL_BATCH, `a commit of ${largest} mutations`);
});

Deno.test("the admin command removes alice beside the running server; the server purges; a new alice starts empty", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com" };
  await runAdminProcess(["user", "add", "alice", "--password", "pw"], env);
  await runAdminProcess(["user", "add", "bob", "--password", "pw"], env);
  const server = await spawnServer(env);
  try {
    const post = async (xml: string) =>
      await (await fetch(`${server.url}/csp`, {
        method: "POST",
        headers: { "content-type": "application/vnd.wv.csp.xml" },
        body: xml,
      })).text();
    const h = await startServer(); // only for its CSP client's envelopes
    await using _ = h;
    const client = (name: string) => h.client(name, "1.2");
    const login = async (name: string, password: string) => {
      const c = client(name);
      const answer = await post(c.envelope(
        `<Login-Request><UserID>wv:${name}@example.com</UserID><ClientID><URL>http://c</URL>` +
          `</ClientID><Password>${password}</Password></Login-Request>`,
        { transactionId: "l", outband: true },
      ));
      c.sessionId = /<SessionID>([^<]+)</.exec(answer)?.[1];
      return c;
    };
    const bob = await login("bob", "pw");
    await post(bob.envelope(
      `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><ContentType>text/plain` +
        `</ContentType><Recipient><User><UserID>${ALICE}</UserID></User></Recipient></MessageInfo>` +
        `<ContentData>for the first alice</ContentData></SendMessage-Request>`,
      { transactionId: "s" },
    ));
    await runAdminProcess(["user", "del", "alice"], env);
    await assert.rejects(
      runAdminProcess(["user", "add", "alice", "--password", "new"], env),
      /still being removed/,
    );
    const until = Date.now() + 25_000;
    for (;;) {
      try {
        await runAdminProcess(["user", "add", "alice", "--password", "new"], env);
        break;
      } catch (error) {
        if (Date.now() > until) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const alice = await login("alice", "new");
    assert.ok(alice.sessionId, "the new alice logs in");
    const list = await post(alice.envelope("<GetMessageList-Request/>", { transactionId: "g" }));
    assert.doesNotMatch(list, /MessageID/, "her mailbox is empty");
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
