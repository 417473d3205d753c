/** Conversations about stored content: upload, download, delete, who may see it, quotas. */
import assert from "node:assert/strict";
import { CHUNK_BYTES, MAX_CONTENT_BYTES, QUOTA_BYTES } from "../../src/services/content/limits.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import { fakeGroupDirectory } from "../search/support.ts";
import { poll, sendOk } from "../im/im_support.ts";
import { contentApi, randomBytes, statusOf, uploadOk } from "./support.ts";
import { ContentRepo } from "../../src/services/content/repo.ts";

Deno.test("alice stores a picture, reads it back, and strangers cannot tell it exists", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await using api = contentApi(h);
  const picture = randomBytes(2 * CHUNK_BYTES + 123);
  const location = await uploadOk(api, alice, picture, "image/png");

  const res = await api.get(alice, location);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "image/png");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), picture);

  assert.equal(await statusOf(api.get(bob, location)), 404, "a stranger sees nothing");
  assert.equal(await statusOf(api.delete(bob, location)), 404);
  assert.equal(await statusOf(api.get(alice, "/content/" + "0".repeat(32))), 404);
  assert.equal(await statusOf(api.get(alice, "/content/not-an-id")), 404);
  assert.equal(await statusOf(api.get(undefined, location)), 401);
  assert.equal(await statusOf(api.get("f".repeat(32), location)), 401, "unknown session");
  assert.equal(await statusOf(api.get("x".repeat(5000), location)), 401, "hostile session id");
  assert.equal(await statusOf(api.upload(undefined, picture, "image/png")), 401);

  await alice.send("<Logout-Request/>");
  assert.equal(await statusOf(api.get(alice, location)), 401, "an ended session");
});

Deno.test("alice sends bob a message naming her upload: bob may read it, carol may not", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  await using api = contentApi(h);
  const location = await uploadOk(api, alice, randomBytes(10), "audio/amr");
  const url = `http://imps.example.com${location}`;
  assert.equal(await statusOf(api.get(bob, location)), 404, "not shared yet");

  await sendOk(alice, [bob.userId], `listen: ${url} !`);
  const [delivered] = await poll(bob);
  assert.equal(delivered.primitive.name, "NewMessage");
  assert.match(String(delivered.primitive.body.ContentData), new RegExp(location));
  assert.equal(await statusOf(api.get(bob, location)), 200);
  assert.equal(await statusOf(api.get(carol, location)), 404);

  // bob naming alice's URL to carol shares nothing: only the owner's references count.
  await sendOk(bob, [carol.userId], `alice says: ${url}`);
  assert.equal(await statusOf(api.get(carol, location)), 404);

  assert.equal(await statusOf(api.delete(bob, location)), 403);
  assert.equal(await statusOf(api.delete(alice, location)), 204);
  assert.equal(await statusOf(api.get(alice, location)), 404);
  assert.equal(await statusOf(api.get(bob, location)), 404);
  assert.equal(await statusOf(api.delete(alice, location)), 404);
});

Deno.test("content shared with a group is readable by its members only", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  await using api = contentApi(h);
  const location = await uploadOk(api, alice, randomBytes(100), "text/plain");
  const group = "wv:alice/book@example.com";
  await h.server.context.store.write(
    ...await h.server.elements.content.sharing.shareMutations(alice.userId, [location], {
      groups: [group],
    }),
  );
  assert.equal(
    await statusOf(api.get(bob, location)),
    404,
    "a group the directory does not know has no members",
  );

  const { directory } = fakeGroupDirectory({
    [group]: { name: "Book club", members: [alice.userId, bob.userId] },
  });
  h.server.elements.content.hooks.groups = directory;
  assert.equal(await statusOf(api.get(bob, location)), 200);
  assert.equal(await statusOf(api.get(carol, location)), 404);
});

Deno.test("uploads are bounded: one item, and each user's quota", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await using api = contentApi(h);
  assert.equal(await statusOf(api.upload(alice, randomBytes(MAX_CONTENT_BYTES + 1))), 413);
  assert.equal(await statusOf(api.upload(alice, new Uint8Array(0))), 400);
  assert.equal(await statusOf(api.upload(alice, randomBytes(5), "not a type")), 415);
  assert.equal(await statusOf(api.upload(alice, randomBytes(5), "x".repeat(300) + "/y")), 415);

  const locations = [];
  for (let used = 0; used + MAX_CONTENT_BYTES <= QUOTA_BYTES; used += MAX_CONTENT_BYTES) {
    locations.push(await uploadOk(api, alice, randomBytes(MAX_CONTENT_BYTES)));
  }
  assert.equal(await statusOf(api.upload(alice, randomBytes(MAX_CONTENT_BYTES))), 507);
  assert.equal(await statusOf(api.upload(bob, randomBytes(10))), 201, "quotas are per user");
  assert.equal(await statusOf(api.delete(alice, locations[0])), 204);
  await uploadOk(api, alice, randomBytes(MAX_CONTENT_BYTES));
});

Deno.test("uploads and deletes at once: the quota holds and the usage counts every one", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  await using api = contentApi(h);
  const item = MAX_CONTENT_BYTES;
  const room = QUOTA_BYTES / item;
  const locations = [];
  for (let i = 0; i < room - 2; i++) locations.push(await uploadOk(api, alice, randomBytes(item)));

  // Room for two more: four arrive at once, exactly two get in.
  const racing = await Promise.all(
    Array.from({ length: 4 }, () => statusOf(api.upload(alice, randomBytes(item)))),
  );
  assert.deepEqual(racing.sort(), [201, 201, 507, 507]);
  const usage = () => new ContentRepo(h.server.context.store).usage(alice.userId);
  assert.deepEqual(await usage(), { bytes: QUOTA_BYTES, items: room });

  // Two deletes of one item and one of another, at once: each item is given back once.
  const deleted = await Promise.all([
    statusOf(api.delete(alice, locations[0])),
    statusOf(api.delete(alice, locations[0])),
    statusOf(api.delete(alice, locations[1])),
  ]);
  assert.equal(deleted.filter((s) => s === 204).length >= 2, true, String(deleted));
  assert.deepEqual(await usage(), { bytes: QUOTA_BYTES - 2 * item, items: room - 2 });
});

Deno.test("over HTTP with a Bearer session: upload, download, delete", async () => {
  await using h = await startServer({ overHttp: true });
  const [alice] = await loggedIn(h, "1.3", "alice");
  await using api = contentApi(h, { overHttp: true, bearer: true });
  const doc = randomBytes(CHUNK_BYTES * 3);
  const location = await uploadOk(api, alice, doc, "application/pdf");
  const res = await api.get(alice, location);
  assert.equal(res.status, 200);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), doc);
  assert.equal(await statusOf(api.delete(alice, location)), 204);
  assert.equal(await statusOf(api.upload(alice, randomBytes(MAX_CONTENT_BYTES + 10))), 413);
});

Deno.test("stored content and its sharing survive a restart", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    const bytes = randomBytes(CHUNK_BYTES + 1);
    let location;
    {
      await using h = await startServer({ env });
      const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
      await using api = contentApi(h);
      location = await uploadOk(api, alice, bytes, "image/jpeg");
      await h.server.context.store.write(
        ...await h.server.elements.content.sharing.shareMutations(
          alice.userId,
          [location],
          { users: [bob.userId] },
        ),
      );
    }
    await using h = await startServer({ env });
    const bob = h.client("bob", "1.2");
    await bob.login("pw");
    await using api = contentApi(h);
    const res = await api.get(bob, location);
    assert.equal(res.headers.get("content-type"), "image/jpeg");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
