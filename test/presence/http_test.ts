/** The presence conversation over a real HTTP port, in CSP 1.2 and 1.3 side by side. */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import {
  authorise,
  id,
  loggedIn,
  notified,
  pollAll,
  subscribeUsers,
  update,
  value,
} from "./support.ts";

Deno.test("over HTTP: a 1.3 watcher follows a 1.2 user's presence", async () => {
  await using h = await startServer({ overHttp: true });
  const [alice] = await loggedIn(h, "1.2", "alice");
  const [bob] = await loggedIn(h, "1.3", "bob");

  assert.equal((await alice.send(authorise("1.2", [id("bob")], "StatusText"))).code, 200);
  assert.equal((await bob.send(subscribeUsers("1.3", [id("alice")]))).code, 200);
  await pollAll(bob);
  await alice.send(update({ StatusText: "over the wire" }));

  const polled = await pollAll(bob);
  assert.equal(polled.length, 1);
  assert.equal(value(notified(polled).get(id("alice")), "StatusText"), "over the wire");
});
