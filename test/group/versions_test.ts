/** Where the group primitives differ between CSP 1.1, 1.2 and 1.3. */
import assert from "node:assert/strict";
import { loggedIn, startServer, VERSIONS } from "../support/harness.ts";
import { pollOne } from "../im/im_support.ts";
import { ask, createGroup, GROUP, joinOk, snames } from "./support.ts";
import { at } from "../support/body_reader.ts";

for (const version of VERSIONS) {
  Deno.test(`${version}: JoinGroup-Response and GroupChangeNotice in the shapes of the version`, async () => {
    await using h = await startServer();
    const [alice, bob] = await loggedIn(h, version, "alice", "bob");
    await createGroup(alice, GROUP, {
      join: true,
      screenName: "Alice",
      subscribe: true,
      welcome: "Hi there",
    });
    const reply = await joinOk(bob, GROUP, "Bob", { joined: true });
    const body = reply.body;
    if (version === "1.1") {
      assert.deepEqual(at(body, "UserList", "ScreenName"), [
        { SName: "Alice", GroupID: GROUP },
        { SName: "Bob", GroupID: GROUP },
      ]);
    } else {
      const mapList = version === "1.3" ? at(body, "Joined", "UserMapList") : body.UserMapList;
      assert.deepEqual(snames(at(mapList, "UserMapping")), ["Alice", "Bob"]);
    }
    assert.equal(body.ScreenName === undefined, version !== "1.3", "1.3 confirms the name");
    assert.deepEqual(body.WelcomeNote, {
      ContentType: "text/plain",
      ContentEncoding: "None",
      ContentData: "Hi there",
    });

    const notice = await pollOne(alice, "GroupChangeNotice");
    const joined = notice.primitive.body.Joined;
    if (version === "1.1") {
      assert.deepEqual(joined, { UserList: { ScreenName: [{ SName: "Bob", GroupID: GROUP }] } });
    } else {
      assert.deepEqual(joined, {
        UserMapList: { UserMapping: { Mapping: [{ SName: "Bob", UserID: bob.userId }] } },
      });
    }
    const joinedUsers = await ask(alice, "GetJoinedUsers-Request", GROUP);
    if (version === "1.1") assert.equal(joinedUsers.code, 405, "GetJoinedUsers is 1.2+");
    else assert.equal(joinedUsers.primitive.name, "GetJoinedUsers-Response");
  });
}

Deno.test("a group that shows ids: plain users see UserIDs in the joined list", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await createGroup(alice, GROUP, { properties: { ShowID: "T" }, join: true, screenName: "A" });
  await joinOk(bob, GROUP, "B");
  const joined = await ask(bob, "GetJoinedUsers-Request", GROUP);
  assert.deepEqual(
    at(joined.body, "UserMapList", "UserMapping", "Mapping"),
    [{ SName: "A", UserID: alice.userId }, { SName: "B", UserID: bob.userId }],
  );
});
