/** Conversations about bob's block and grant lists, and what they do to messages sent to him. */
import { blocks } from "../../src/services/shared/privacy.ts";
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { poll, send, sendOk } from "./im_support.ts";
import { element } from "../support/body_reader.ts";

async function threeUsers(version: "1.1" | "1.2" | "1.3" = "1.2") {
  const h = await startServer();
  for (const name of ["alice", "bob", "erin"]) await h.addUser(name, "secret");
  const [alice, bob, erin] = ["alice", "bob", "erin"].map((n) => h.client(n, version));
  for (const c of [alice, bob, erin]) await c.login("secret");
  return { h, alice, bob, erin };
}

const blockEntity = (name: string, lists: string) => `<${name}>${lists}</${name}>`;

for (
  const [version, primitive] of [["1.1", "BlockUser-Request"], [
    "1.2",
    "BlockEntity-Request",
  ]] as const
) {
  Deno.test(`${version}: bob blocks erin; her message gets 532, alice's still arrives`, async () => {
    const { h, alice, bob, erin } = await threeUsers(version);
    await using _ = h;
    const blocked = await bob.send(
      blockEntity(
        primitive,
        `<BlockList><InUse>T</InUse><AddList><UserID>wv:erin@example.com</UserID></AddList></BlockList>`,
      ),
    );
    assert.equal(blocked.code, 200);

    const list = await bob.send("<GetBlockedList-Request/>");
    assert.equal(list.primitive.name, "GetBlockedList-Response");
    assert.deepEqual(list.body.BlockList, {
      InUse: true,
      EntityList: { UserID: ["wv:erin@example.com"] },
    });
    assert.deepEqual(list.body.GrantList, { InUse: false });

    const refused = await send(erin, [bob.userId], "Can you read this?");
    assert.equal(refused.code, 532);
    assert.equal(refused.body.MessageID, undefined);
    const detail = element(refused.body, "Result", "DetailedResult", 0);
    assert.deepEqual(detail.UserID, [bob.userId]);
    assert.equal(detail.Description, "Recipient blocked the sender");

    await sendOk(alice, [bob.userId], "hello");
    const delivered = await poll(bob);
    assert.equal(delivered.length, 1, "only alice's message");
    assert.equal(delivered[0].primitive.body.ContentData, "hello");
  });
}

Deno.test("1.3: the lists' use is switched with BlockListInUse and GrantListInUse", async () => {
  const { h, alice, bob, erin } = await threeUsers("1.3");
  await using _ = h;
  const changed = await bob.send(
    "<BlockEntity-Request><GrantList><AddList><UserID>alice</UserID></AddList></GrantList>" +
      "<GrantListInUse>T</GrantListInUse></BlockEntity-Request>",
  );
  assert.equal(changed.code, 200);

  const list = await bob.send("<GetBlockedList-Request/>");
  assert.equal(list.body.GrantListInUse, true);
  assert.equal(list.body.BlockListInUse, false);
  assert.deepEqual(list.body.GrantList, { EntityList: { UserID: ["wv:alice@example.com"] } });

  assert.equal((await send(erin, [bob.userId], "hi")).code, 532, "not granted");
  await sendOk(alice, [bob.userId], "granted");

  await bob.send(
    "<BlockEntity-Request><GrantList><RemoveList><UserID>wv:alice@example.com</UserID>" +
      "</RemoveList></GrantList></BlockEntity-Request>",
  );
  assert.equal(
    (await send(alice, [bob.userId], "hi")).code,
    532,
    "an empty grant list in use admits nobody",
  );
  await bob.send("<BlockEntity-Request><GrantListInUse>F</GrantListInUse></BlockEntity-Request>");
  await sendOk(erin, [bob.userId], "open again");
});

Deno.test("a list not in use blocks nobody, and unblocking lets erin through", async () => {
  const { h, bob, erin } = await threeUsers();
  await using _ = h;
  await bob.send(
    "<BlockEntity-Request><BlockList><InUse>F</InUse><AddList><UserID>erin</UserID></AddList>" +
      "</BlockList></BlockEntity-Request>",
  );
  await sendOk(erin, [bob.userId], "list kept but off");
  await bob.send(
    "<BlockEntity-Request><BlockList><InUse>T</InUse></BlockList></BlockEntity-Request>",
  );
  assert.equal((await send(erin, [bob.userId], "now?")).code, 532);
  await bob.send(
    "<BlockEntity-Request><BlockList><RemoveList><UserID>wv:erin@example.com</UserID>" +
      "</RemoveList></BlockList></BlockEntity-Request>",
  );
  await sendOk(erin, [bob.userId], "unblocked");
});

Deno.test("the block list IM offers presence answers the question messaging asks", async () => {
  const { h, bob } = await threeUsers();
  await using _ = h;
  await bob.send(
    "<BlockEntity-Request><BlockList><InUse>T</InUse><AddList><UserID>erin</UserID></AddList>" +
      "</BlockList></BlockEntity-Request>",
  );
  const isBlocked = async (owner: string, other: string) =>
    blocks(await h.server.elements.im.blockList(owner), other);
  assert.equal(await isBlocked(bob.userId, "wv:erin@example.com"), true);
  assert.equal(await isBlocked(bob.userId, "wv:alice@example.com"), false);
  assert.equal(await isBlocked("wv:erin@example.com", bob.userId), false);
});

Deno.test("bad block requests are refused and change nothing", async () => {
  const { h, bob, erin } = await threeUsers();
  await using _ = h;
  const badId = await bob.send(
    "<BlockEntity-Request><BlockList><InUse>T</InUse><AddList><UserID>wv:a/b@example.com</UserID>" +
      "</AddList></BlockList></BlockEntity-Request>",
  );
  assert.equal(badId.code, 402);
  const badFlag = await bob.send(
    "<BlockEntity-Request><BlockList><InUse>maybe</InUse></BlockList></BlockEntity-Request>",
  );
  assert.equal(badFlag.code, 402);
  await sendOk(erin, [bob.userId], "still open");
});
