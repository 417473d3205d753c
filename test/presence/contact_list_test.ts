/** Conversations about contact lists: create, read, change, delete, and lists as subscriptions. */
import assert from "node:assert/strict";
import { startServer, VERSIONS } from "../support/harness.ts";
import {
  authorise,
  detailCodes,
  id,
  listId,
  loggedIn,
  notified,
  pollAll,
  update,
  value,
} from "./support.ts";
import { at } from "../support/body_reader.ts";

const FRIENDS = listId("bob", "friends");

const createList = (list: string, extra = "") =>
  `<CreateList-Request><ContactList>${list}</ContactList>${extra}</CreateList-Request>`;
const properties = (displayName: string, isDefault: boolean) =>
  `<ContactListProperties><Property><Name>DisplayName</Name><Value>${displayName}</Value></Property>` +
  `<Property><Name>Default</Name><Value>${
    isDefault ? "T" : "F"
  }</Value></Property></ContactListProperties>`;
const add = (list: string, contacts: [string, string][], receive = true) =>
  `<ListManage-Request><ContactList>${list}</ContactList><AddNickList>${
    contacts.map(([name, user]) =>
      `<NickName><Name>${name}</Name><UserID>${user}</UserID></NickName>`
    )
      .join("")
  }</AddNickList><ReceiveList>${receive ? "T" : "F"}</ReceiveList></ListManage-Request>`;
const remove = (list: string, users: string[]) =>
  `<ListManage-Request><ContactList>${list}</ContactList><RemoveNickList>${
    users.map((u) => `<UserID>${u}</UserID>`).join("")
  }</RemoveNickList><ReceiveList>T</ReceiveList></ListManage-Request>`;

for (const version of VERSIONS) {
  Deno.test(`${version}: bob keeps a contact list of friends`, async () => {
    await using h = await startServer();
    const [bob] = await loggedIn(h, version, "bob");

    const created = await bob.send(createList(FRIENDS, properties("Friends", true)));
    if (version === "1.3") {
      assert.equal(created.primitive.name, "CreateList-Response");
      assert.equal(created.body.ContactList, FRIENDS);
    } else assert.equal(created.code, 200);

    const lists = await bob.send("<GetList-Request/>");
    assert.equal(lists.primitive.name, "GetList-Response");
    const ids = version === "1.3"
      ? at(lists.body, "ContactListIDList", "ContactList")
      : lists.body.ContactList;
    assert.deepEqual(ids, [FRIENDS]);
    assert.equal(lists.body.DefaultContactList, FRIENDS);

    const added = await bob.send(add(FRIENDS, [["Alice", id("alice")], ["Carol", "carol"]]));
    assert.equal(added.primitive.name, "ListManage-Response");
    assert.equal(added.code, 200);
    assert.deepEqual(at(added.body, "NickList", "NickName"), [
      { Name: "Alice", UserID: id("alice") },
      { Name: "Carol", UserID: id("carol") },
    ]);
    assert.deepEqual(at(added.body, "ContactListProperties", "Property"), [
      { Name: "DisplayName", Value: "Friends" },
      { Name: "Default", Value: "T" },
    ]);

    const removed = await bob.send(remove(FRIENDS, [id("carol")]));
    assert.deepEqual(at(removed.body, "NickList", "NickName"), [
      { Name: "Alice", UserID: id("alice") },
    ]);

    const renamed = await bob.send(
      `<ListManage-Request><ContactList>${FRIENDS}</ContactList>${
        properties("Pals", false)
      }<ReceiveList>F</ReceiveList></ListManage-Request>`,
    );
    assert.equal(renamed.code, 200);
    assert.equal(renamed.body.NickList, undefined, "ReceiveList F: no list in the answer");
    assert.equal((await bob.send("<GetList-Request/>")).body.DefaultContactList, undefined);

    const deleted = await bob.send(
      `<DeleteList-Request><ContactList>${FRIENDS}</ContactList></DeleteList-Request>`,
    );
    assert.equal(deleted.code, 200);
    const again = await bob.send(
      `<DeleteList-Request><ContactList>${FRIENDS}</ContactList></DeleteList-Request>`,
    );
    assert.equal(again.code, 700);
  });

  Deno.test(`${version}: contact-list mistakes get their own codes`, async () => {
    await using h = await startServer();
    const [bob] = await loggedIn(h, version, "bob", "alice");
    await bob.send(createList(FRIENDS));

    assert.equal((await bob.send(createList(FRIENDS))).code, 701, "already exists");
    assert.equal((await bob.send(add(listId("bob", "nope"), []))).code, 700, "unknown list");
    assert.equal(
      (await bob.send(add(listId("alice", "friends"), []))).code,
      403,
      "another user's list, whether or not it exists",
    );
    assert.equal((await bob.send(createList(listId("alice", "mine")))).code, 403);
    assert.equal((await bob.send(createList("wv:no-slash@example.com"))).code, 402);
    assert.equal((await bob.send("<CreateList-Request/>")).code, 400);
    const badProperty = await bob.send(
      createList(
        listId("bob", "x"),
        "<ContactListProperties><Property><Name>Colour</Name><Value>red</Value></Property></ContactListProperties>",
      ),
    );
    assert.equal(badProperty.code, 752);

    const partly = await bob.send(add(FRIENDS, [["Alice", id("alice")], ["Bad", "wv:a b@/x"]]));
    assert.equal(partly.code, 201);
    assert.deepEqual(detailCodes(partly.body), [531]);
    assert.deepEqual(at(partly.body, "NickList", "NickName"), [
      { Name: "Alice", UserID: id("alice") },
    ]);
  });
}

Deno.test("1.2: bob subscribes to his list with AutoSubscribe; contacts added later follow", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  for (const owner of [alice, carol]) {
    await owner.send(authorise("1.2", [id("bob")], "OnlineStatus", "StatusText"));
  }
  await bob.send(createList(FRIENDS));
  await bob.send(add(FRIENDS, [["Alice", id("alice")]]));

  const subscribed = await bob.send(
    `<SubscribePresence-Request><ContactList>${FRIENDS}</ContactList>` +
      `<AutoSubscribe>T</AutoSubscribe></SubscribePresence-Request>`,
  );
  assert.equal(subscribed.code, 200);
  assert.deepEqual([...notified(await pollAll(bob)).keys()], [id("alice")]);

  await bob.send(add(FRIENDS, [["Carol", id("carol")]], false));
  assert.deepEqual([...notified(await pollAll(bob)).keys()], [id("carol")], "carol followed");
  await carol.send(update({ StatusText: "hi bob" }));
  assert.equal(value(notified(await pollAll(bob)).get(id("carol")), "StatusText"), "hi bob");

  await bob.send(remove(FRIENDS, [id("carol")]));
  await carol.send(update({ StatusText: "bye" }));
  assert.deepEqual(await pollAll(bob), [], "removed from the list: no longer watched");

  const unsubscribed = await bob.send(
    `<UnsubscribePresence-Request><ContactList>${FRIENDS}</ContactList></UnsubscribePresence-Request>`,
  );
  assert.equal(unsubscribed.code, 200);
  await alice.send(update({ StatusText: "anyone?" }));
  assert.deepEqual(await pollAll(bob), []);
});

Deno.test("1.3: GetPresence of a whole contact list (ContactListIDList)", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  await alice.send(authorise("1.3", [id("bob")], "StatusText"));
  await alice.send(update({ StatusText: "listed" }));
  await bob.send(createList(FRIENDS));
  await bob.send(add(FRIENDS, [["Alice", id("alice")]]));
  const got = await bob.send(
    `<GetPresence-Request><ContactListIDList><ContactList>${FRIENDS}</ContactList>` +
      `</ContactListIDList></GetPresence-Request>`,
  );
  assert.equal(got.code, 200);
  assert.equal(at(got.body, "Presence", 0, "UserID"), id("alice"));
});
