/** Searches a session keeps open are bounded (IMPS_SEARCHES_PER_SESSION), sent at once too. */
import assert from "node:assert/strict";
import { loggedIn, startServer } from "../support/harness.ts";
import { bulkUsers, searchXml } from "./support.ts";

Deno.test("twelve searches sent at once leave three open, the newest", async () => {
  await using h = await startServer({ env: { IMPS_SEARCHES_PER_SESSION: "3" } });
  const [bob] = await loggedIn(h, "1.2", "bob");
  await bulkUsers(h, ["ann", "amy", "abe"], () => "party people");
  const replies = await Promise.all(
    Array.from({ length: 12 }, () => bob.send(searchXml([["USER_ALIAS", "party"]], 1))),
  );
  assert.ok(replies.every((r) => r.code === 200 || r.body.SearchID !== undefined));
  const open = await h.server.context.store.list(["search", "open", bob.sessionId!]);
  assert.equal(open.length, 3);
});
