/**
 * Stored data of an earlier version keeps working: message records without inline content (the
 * content under its own key `["im", "content", user, id]`) are delivered, fetched, forwarded and
 * settled, and their content key goes with them; copies of them that earlier versions queued to a
 * session give way to the mailbox, so the message comes once.
 */
import assert from "node:assert/strict";
import { MESSAGE_ACK } from "../../src/services/im/delivery.ts";
import type { StoredMessage } from "../../src/services/im/storage.ts";
import { Presenter } from "../../src/services/im/presentation.ts";
import { add, set } from "../../src/store/kv.ts";
import { sortableId } from "../../src/util/ids.ts";
import { type Harness, loggedIn, PASSWORD } from "../support/harness.ts";
import { startServer } from "../support/harness.ts";
import { ackDelivered, infoOf, poll, pollOne, resultCode } from "./im_support.ts";

const contentKey = (user: string, id: string) => ["im", "content", user, id];

/** A message record as earlier versions wrote it: no content in it. */
function earlierRecord(sender: string, recipient: string, deliveryReport = false): StoredMessage {
  return {
    id: sortableId(),
    sender,
    recipient,
    contentType: "text/plain",
    encoding: "None",
    size: 9,
    sentAt: Date.now(),
    deliveryReport,
  };
}

/** The mutations earlier versions stored a message with. */
const earlierStore = (record: StoredMessage, content: string) => [
  set(["im", "pending", record.recipient, record.id], record),
  set(contentKey(record.recipient, record.id), content),
  add(["im", "count", record.recipient], 1),
];

async function leftovers(h: Harness, user: string, ids: string[]) {
  const { store } = h.server.context;
  const contents = await Promise.all(ids.map((id) => store.get(contentKey(user, id))));
  const mailbox = h.server.elements.im.mailbox;
  return {
    pending: (await mailbox.pending(user)).length,
    count: await mailbox.count(user),
    contents: contents.filter((c) => c !== undefined).length,
  };
}

Deno.test("records of an earlier version are picked up, fetched and forwarded with their content", async () => {
  await using h = await startServer();
  const [alice, carol] = await loggedIn(h, "1.2", "alice", "carol");
  await h.addUser("bob", PASSWORD);
  const bob = h.client("bob", "1.2");
  const first = earlierRecord(alice.userId, bob.userId);
  const second = earlierRecord(alice.userId, bob.userId);
  await h.server.context.store.write(
    ...earlierStore(first, "first old"),
    ...earlierStore(second, "second old"),
  );

  assert.equal((await bob.login(PASSWORD)).code, 200);
  const pushed = await pollOne(bob, "NewMessage");
  assert.equal(infoOf(pushed).MessageID, first.id);
  assert.equal(pushed.primitive.body.ContentData, "first old");
  await ackDelivered(bob, pushed);

  const got = await bob.send(
    `<GetMessage-Request><MessageID>${second.id}</MessageID></GetMessage-Request>`,
  );
  assert.equal(got.body.ContentData, "second old", got.text);
  const forwarded = await bob.send(
    `<ForwardMessage-Request><MessageID>${second.id}</MessageID><Recipient><User>` +
      `<UserID>${carol.userId}</UserID></User></Recipient></ForwardMessage-Request>`,
  );
  assert.equal(forwarded.code, 200, forwarded.text);
  assert.equal((await pollOne(carol, "NewMessage")).primitive.body.ContentData, "second old");
  assert.deepEqual(
    await leftovers(h, bob.userId, [first.id, second.id]),
    { pending: 0, count: 0, contents: 0 },
    "both left the mailbox, content keys and all",
  );
});

Deno.test("a session that outlived the upgrade gets a copy queued by an earlier version once, from the mailbox", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    const record = { id: "", sessions: { alice: "", bob: "" } };
    {
      await using h = await startServer({ env });
      const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
      const earlier = earlierRecord(alice.userId, bob.userId, true);
      const { outbox, store } = h.server.context;
      // What an earlier version left: the record, and a copy of it in bob's queue.
      await store.write(
        ...earlierStore(earlier, "queued before"),
        ...await outbox.enqueueMutations(bob.sessionId!, {
          primitive: new Presenter().newMessage(earlier, "queued before"),
          ackHandler: MESSAGE_ACK,
          ackData: { message: earlier.id, stored: earlier },
        }),
      );
      record.id = earlier.id;
      record.sessions = { alice: alice.sessionId!, bob: bob.sessionId! };
    }

    // The upgraded server: both sessions are still valid.
    await using h = await startServer({ env });
    const alice = h.client("alice", "1.2");
    const bob = h.client("bob", "1.2");
    alice.sessionId = record.sessions.alice;
    bob.sessionId = record.sessions.bob;
    const tx = await pollOne(bob, "NewMessage");
    assert.equal(tx.transactionId, record.id, "handed out from the mailbox, under its MessageID");
    assert.equal(tx.primitive.body.ContentData, "queued before");
    await ackDelivered(bob, tx);
    assert.deepEqual(await poll(bob), [], "the earlier copy does not come again");
    assert.deepEqual(await leftovers(h, bob.userId, [record.id]), {
      pending: 0,
      count: 0,
      contents: 0,
    });
    assert.deepEqual(await h.server.context.outbox.all(record.sessions.bob), []);
    assert.equal(resultCode((await pollOne(alice, "DeliveryReport-Request")).primitive.body), 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
