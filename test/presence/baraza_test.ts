/**
 * Baraza's captured presence conversation (fixtures 010–023 in the shared directory beside the
 * checkout) replayed against this server: the same primitives come back with the same codes,
 * and the notifications carry the same attributes, except the CommCap Baraza adds on its own.
 * Skipped, with a note, when the fixtures are absent.
 */
import assert from "node:assert/strict";
import {
  capturedAnswer,
  capturedContent,
  haveBarazaFixtures,
  readFixture,
} from "../support/baraza.ts";
import { type CspClient, startServer } from "../support/harness.ts";
import { names, notified, pollAll, subList } from "./support.ts";
import { at } from "../support/body_reader.ts";

const haveFixtures = await haveBarazaFixtures("presence replay");

Deno.test({
  name: "Baraza's captured presence conversation gets the same answers",
  ignore: !haveFixtures,
  async fn() {
    await using h = await startServer({ env: { IMPS_DOMAIN: "a.test" } });
    const clients: Record<string, CspClient> = {};
    for (const name of ["alice", "bob"]) {
      await h.addUser(name, "pw");
      clients[name] = h.client(name, "1.2");
      await clients[name].login("pw");
    }
    const replay = async (fixture: string, user: string) => {
      const reply = await clients[user].send(
        capturedContent(await readFixture(`${fixture}.request.xml`)),
      );
      const want = capturedAnswer(await readFixture(`${fixture}.response.xml`));
      assert.equal(reply.primitive.name, want.primitive, fixture);
      if (want.code !== undefined) assert.equal(reply.code, want.code, fixture);
      return reply;
    };
    /** The attributes of Baraza's notification in a fixture (the elements holding a Qualifier),
     * without the CommCap it adds on its own. */
    const capturedNotification = async (fixture: string) =>
      [...(await readFixture(`${fixture}.response.xml`)).matchAll(/<(\w+)>\s*<Qualifier>/g)]
        .map((m) => m[1]).filter((n) => n !== "CommCap").sort();

    await replay("010-createlist", "bob");
    const lists = await replay("011-getlist", "bob");
    assert.equal(lists.body.DefaultContactList, "wv:bob/friends@a.test");
    const added = await replay("012-listmanage-add", "bob");
    assert.deepEqual(
      at(added.body, "NickList", "NickName"),
      [{ Name: "Alice", UserID: "wv:alice@a.test" }],
    );
    await replay("013-createattributelist-authorize", "alice");
    const subscribed = await replay("014-subscribepresence", "bob");
    assert.equal(subscribed.poll, true);
    const initial = notified(await pollAll(clients.bob)).get("wv:alice@a.test");
    // Baraza sets only OnlineStatus at login; this server also sets UserAvailability.
    assert.deepEqual(
      names(initial),
      [...await capturedNotification("015-poll-presencenotification-initial"), "UserAvailability"]
        .sort(),
    );

    await replay("017-updatepresence", "alice");
    const updated = notified(await pollAll(clients.bob)).get("wv:alice@a.test");
    assert.deepEqual(
      names(updated),
      await capturedNotification("018-poll-presencenotification-update"),
    );

    const got = await replay("019-getpresence", "bob");
    assert.deepEqual(
      names(subList(at(got.body, "Presence", 0))),
      ["OnlineStatus", "StatusText", "UserAvailability"],
    );
    const watchers = await replay("020-getwatcherlist", "alice");
    assert.deepEqual(watchers.body.Watcher, [{
      User: { UserID: "wv:bob@a.test" },
      WatcherStatus: "CURRENT_SUBSCRIBER",
    }]);
    await replay("021-unsubscribepresence", "bob");
    await replay("022-updatepresence-after-unsubscribe", "alice");
    assert.deepEqual(await pollAll(clients.bob), [], "023: nothing after Unsubscribe");
  },
});
