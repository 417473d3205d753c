/**
 * A user's sessions are bounded in number (IMPS_SESSIONS_PER_USER: a new login ends the oldest),
 * and what is done per session of a user costs the same however many sessions they hold.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";

Deno.test("alice logs in five times with room for three: her two oldest sessions end", async () => {
  await using h = await startServer({ env: { IMPS_SESSIONS_PER_USER: "3" } });
  await h.addUser("alice", "secret");
  const phones = Array.from({ length: 5 }, () => h.client("alice", "1.2"));
  for (const phone of phones) assert.equal((await phone.login("secret")).code, 200);
  const answers = [];
  for (const phone of phones) answers.push((await phone.send("<KeepAlive-Request/>")).code);
  assert.deepEqual(answers, [604, 604, 200, 200, 200]);
  const held = await h.server.context.sessions.repo.listByUser(phones[0].userId);
  assert.equal(held.length, 3);
});

Deno.test("expiring 600 sessions of one user lists them once, not once per session", async () => {
  await using h = await startServer({ env: { IMPS_SESSIONS_PER_USER: "10000" } });
  await h.addUser("alice", "secret");
  const { sessions, store } = h.server.context;
  for (let i = 0; i < 600; i++) {
    await sessions.start({
      userId: "wv:alice@example.com",
      version: "1.2",
      ttl: 30,
      multiTrans: 1,
    });
  }
  let listed = 0;
  const list = store.list.bind(store);
  store.list = (async (prefix: Deno.KvKey, options?: Deno.KvListOptions) => {
    const entries = await list(prefix, options);
    if (prefix[0] === "session_by_user") listed += entries.length;
    return entries;
  }) as typeof store.list;
  let ended = 0;
  while (true) {
    const swept = await sessions.sweep(Date.now() + 3_600_000);
    if (swept === 0) break;
    ended += swept;
  }
  assert.equal(ended, 600);
  assert.ok(listed <= 1_200, `session index entries read while ending 600 sessions: ${listed}`);
});
