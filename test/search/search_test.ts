/** Conversations about finding people and groups: what is searchable, paging, StopSearch. */
import assert from "node:assert/strict";
import { MAX_FINDINGS, MAX_SEARCH_LIMIT } from "../../src/services/search/limits.ts";
import { loggedIn, startServer, VERSIONS } from "../support/harness.ts";
import {
  bulkUsers,
  continueXml,
  fakeGroupDirectory,
  found,
  publish,
  publishAlias,
  publishVCard,
  search,
  stopXml,
} from "./support.ts";
import { at } from "../support/body_reader.ts";

const id = (name: string) => `wv:${name}@example.com`;

for (const version of VERSIONS) {
  Deno.test(`${version}: bob finds alice by her alias and by her user id`, async () => {
    await using h = await startServer();
    const [alice, bob] = await loggedIn(h, version, "alice", "bob");
    await publish(alice, publishAlias("Alice Anderson"));

    for (const query of ["Alice Anderson", "anderson", "ALICE a", "alic"]) {
      const reply = await search(bob, [["USER_ALIAS", query]]);
      assert.deepEqual(found(reply), [id("alice")], query);
      assert.equal(reply.body.SearchFindings, 1);
      assert.equal(reply.body.CompletionFlag, true);
      assert.equal(reply.body.SearchIndex, 1);
      assert.match(String(reply.body.SearchID), /^\d+$/);
    }
    assert.deepEqual(found(await search(bob, [["USER_ALIAS", "nderson"]])), []);
    assert.deepEqual(found(await search(bob, [["USER_ID", "ali"]])), [id("alice")]);
    assert.deepEqual(found(await search(bob, [["USER_ID", "WV:Alice@Example.com"]])), [
      id("alice"),
    ]);
    const none = await search(bob, [["USER_ID", "carol"]]);
    assert.deepEqual(found(none), []);
    assert.equal(none.body.SearchFindings, 0);
    assert.equal(none.body.CompletionFlag, true);
  });
}

Deno.test("a new alias replaces the old one in the index, and criteria combine", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob", "albert");
  await publish(alice, publishAlias("Wonderland"));
  await publish(alice, publishAlias("Looking Glass"));
  assert.deepEqual(found(await search(bob, [["USER_ALIAS", "wonder"]])), []);
  assert.deepEqual(found(await search(bob, [["USER_ALIAS", "glass"]])), [id("alice")]);
  assert.deepEqual(found(await search(bob, [["USER_ID", "al"]])), [id("albert"), id("alice")]);
  assert.deepEqual(found(await search(bob, [["USER_ID", "al"], ["USER_ALIAS", "looking"]])), [
    id("alice"),
  ]);
});

Deno.test("names, e-mail and mobile are searchable only from a vCard marked CLASS:PUBLIC", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const card = (extra: string) =>
    `BEGIN:VCARD\r\nVERSION:3.0\r\nN:Liddell;Alice;;;\r\nFN:Alice Liddell\r\n` +
    `EMAIL;TYPE=INTERNET:alice@wonder.example\r\nTEL;TYPE=CELL:+44 20 7946 0001\r\n` +
    `ADR;TYPE=HOME:;;1 Rabbit Hole;Oxford;;OX1;GB\r\n${extra}END:VCARD`;

  await publish(alice, publishVCard(card("")));
  assert.deepEqual(found(await search(bob, [["USER_LAST_NAME", "Liddell"]])), []);

  await publish(alice, publishVCard(card("CLASS:PUBLIC\r\n")));
  const criteria: [string, string][] = [
    ["USER_LAST_NAME", "liddell"],
    ["USER_FIRST_NAME", "Alice"],
    ["USER_FRIENDLY_NAME", "liddell"],
    ["USER_EMAIL_ADDRESS", "Alice@Wonder"],
    ["USER_MOBILE_NUMBER", "+44 (20) 7946-0001"],
    ["USER_CITY", "oxford"],
    ["USER_COUNTRY", "GB"],
  ];
  for (const criterion of criteria) {
    assert.deepEqual(found(await search(bob, [criterion])), [id("alice")], criterion[0]);
  }
  assert.deepEqual(found(await search(bob, criteria)), [id("alice")], "all at once");

  await publish(alice, publishVCard(card("CLASS:PRIVATE\r\n")));
  assert.deepEqual(found(await search(bob, [["USER_EMAIL_ADDRESS", "alice"]])), []);
});

Deno.test("seven findings come in pages: SearchID and SearchIndex continue, StopSearch ends", async () => {
  await using h = await startServer();
  const [bob] = await loggedIn(h, "1.2", "bob");
  const names = ["he", "she", "matthias", "francisco", "john", "mary", "anna"];
  await bulkUsers(h, names, () => "party people");

  const first = await search(bob, [["USER_ALIAS", "party"]], 5);
  assert.equal(first.body.SearchFindings, 7);
  assert.equal(first.body.CompletionFlag, false);
  assert.equal(first.body.SearchIndex, 5);
  const sorted = names.map(id).sort();
  assert.deepEqual(found(first), sorted.slice(0, 5));
  const searchId = first.body.SearchID;

  const second = await bob.send(continueXml(searchId, 6));
  assert.equal(second.body.SearchID, searchId);
  assert.equal(second.body.CompletionFlag, true);
  assert.equal(second.body.SearchIndex, 7);
  assert.deepEqual(found(second), sorted.slice(5));

  const again = await bob.send(continueXml(searchId, 3));
  assert.deepEqual(found(again), sorted.slice(2, 7), "any index may be asked again");

  assert.equal((await bob.send(continueXml(searchId, 8))).code, 425);
  assert.equal((await bob.send(continueXml(searchId, 0))).code, 425);
  assert.equal((await bob.send(continueXml("12345", 1))).code, 424);

  assert.equal((await bob.send(stopXml(searchId))).code, 200);
  assert.equal((await bob.send(continueXml(searchId, 6))).code, 424);
  assert.equal((await bob.send(stopXml(searchId))).code, 424);
});

Deno.test("a search belongs to its session: another session and a new login do not see it", async () => {
  await using h = await startServer();
  const [bob, alice] = await loggedIn(h, "1.2", "bob", "alice");
  await bulkUsers(h, ["u1", "u2", "u3"], () => "same");
  const first = await search(bob, [["USER_ALIAS", "same"]], 1);
  assert.equal(first.body.CompletionFlag, false);
  assert.equal((await alice.send(continueXml(first.body.SearchID, 2))).code, 424);
  await bob.send("<Logout-Request/>");
  await bob.login("pw");
  assert.equal((await bob.send(continueXml(first.body.SearchID, 2))).code, 424);
});

Deno.test("SearchLimit is bounded, and a criterion matching too many needs a narrower partner", async () => {
  await using h = await startServer();
  const [bob] = await loggedIn(h, "1.2", "bob");
  const names = Array.from({ length: MAX_FINDINGS + 1 }, (_, i) => `crowd${i}`);
  await bulkUsers(h, names, (i) => (i % 100 === 0 ? `rare ${i}` : `common ${i}`));

  const tooMany = await search(bob, [["USER_ID", "crowd"]]);
  assert.equal(tooMany.code, 536, tooMany.text);

  const rare = await search(bob, [["USER_ID", "crowd"], ["USER_ALIAS", "rare"]], 1_000_000);
  assert.equal(rare.body.SearchFindings, 11);
  assert.equal(found(rare).length, 11);

  const page = await search(bob, [["USER_ALIAS", "common 1"]], 1_000_000);
  assert.ok(Number(page.body.SearchFindings) > MAX_SEARCH_LIMIT);
  assert.equal(found(page).length, MAX_SEARCH_LIMIT);
  assert.equal(page.body.SearchIndex, MAX_SEARCH_LIMIT);
  assert.equal(page.body.CompletionFlag, false);
});

Deno.test("a removed account drops out of results", async () => {
  await using h = await startServer();
  const [bob] = await loggedIn(h, "1.2", "bob");
  await bulkUsers(h, ["gone", "kept"], () => "twins");
  await h.server.context.users.delete(id("gone"));
  assert.deepEqual(found(await search(bob, [["USER_ALIAS", "twins"]])), [id("kept")]);
});

Deno.test("1.3: several SearchPairs in one SearchPairList", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  await publish(alice, publishAlias("Queen"));
  const reply = await bob.send(
    `<Search-Request><SearchPairList>` +
      `<SearchPair><SearchElement>USER_ID</SearchElement><SearchString>alice</SearchString>` +
      `<PairID>1</PairID></SearchPair>` +
      `<SearchPair><SearchElement>USER_ALIAS</SearchElement><SearchString>queen</SearchString>` +
      `<PairID>2</PairID></SearchPair></SearchPairList><SearchLimit>5</SearchLimit>` +
      `</Search-Request>`,
  );
  assert.deepEqual(found(reply), [id("alice")]);
});

Deno.test("groups are found through the group directory, and none without one", async () => {
  await using h = await startServer();
  const [bob] = await loggedIn(h, "1.2", "bob");
  delete h.server.elements.search.hooks.groups;
  const none = await search(bob, [["GROUP_NAME", "party"]]);
  assert.deepEqual(found(none), []);
  assert.equal(none.body.SearchFindings, 0);

  const { directory, asked } = fakeGroupDirectory({
    "wv:john/partygroup@example.com": { name: "Party", members: [] },
    "wv:/partyline@example.com": { name: "Party line", members: [] },
    "wv:/chess@example.com": { name: "Chess", members: [] },
  });
  h.server.elements.search.hooks.groups = directory;
  const first = await search(bob, [["GROUP_NAME", "party"]], 1);
  assert.deepEqual(asked.at(-1), [{ key: "GROUP_NAME", value: "party" }]);
  assert.equal(first.body.SearchFindings, 2);
  assert.deepEqual(at(first.body, "SearchResult", "GroupList"), {
    GroupID: ["wv:/partyline@example.com"],
  });
  const second = await bob.send(continueXml(first.body.SearchID, 2));
  assert.deepEqual(found(second), ["wv:john/partygroup@example.com"]);
  assert.equal(second.body.CompletionFlag, true);
});

Deno.test("bad searches get clear codes", async () => {
  await using h = await startServer();
  const [bob] = await loggedIn(h, "1.2", "bob");
  const cases: [string, number][] = [
    ["<Search-Request><SearchLimit>5</SearchLimit></Search-Request>", 400],
    [
      "<Search-Request><SearchPairList><SearchElement>USER_ID</SearchElement></SearchPairList></Search-Request>",
      400,
    ],
    ["<Search-Request><SearchPairList/></Search-Request>", 400],
    [searchOf("USER_ID", "a", "<SearchLimit>0</SearchLimit>"), 402],
    [searchOf("USER_ID", "a", "<SearchLimit>lots</SearchLimit>"), 402],
    [searchOf("USER_ID", "   "), 402],
    [searchOf("USER_ID", "x".repeat(101)), 402],
    [searchOf("USER_ID", "a", "<AdvancedCriteria>x</AdvancedCriteria>"), 405],
    [`<Search-Request><SearchID>1</SearchID></Search-Request>`, 424],
    ["<StopSearch-Request/>", 400],
    [
      `<Search-Request>${
        "<SearchPairList><SearchElement>USER_ID</SearchElement><SearchString>a</SearchString></SearchPairList>"
          .repeat(9)
      }</Search-Request>`,
      537,
    ],
    [
      `<Search-Request><SearchPairList><SearchElement>USER_ID</SearchElement><SearchString>a</SearchString></SearchPairList>` +
      `<SearchPairList><SearchElement>GROUP_NAME</SearchElement><SearchString>a</SearchString></SearchPairList></Search-Request>`,
      402,
    ],
  ];
  for (const [xml, code] of cases) {
    const reply = await bob.send(xml);
    assert.equal(reply.primitive.name, "Status", xml);
    assert.equal(reply.code, code, `${xml}: ${reply.text}`);
  }
  const unknown = await bob.send(searchOf("USER_SHOE_SIZE", "42"));
  assert.equal(unknown.code, 402);
  assert.deepEqual(at(unknown.body, "Result", "DetailedResult", 0, "SearchElement"), [
    "USER_SHOE_SIZE",
  ]);
  assert.equal((await bob.send(searchOf("USER_ONLINE_STATUS", "T"))).code, 402);
});

const searchOf = (element: string, value: string, extra = "") =>
  `<Search-Request><SearchPairList><SearchElement>${element}</SearchElement>` +
  `<SearchString>${value}</SearchString></SearchPairList>${extra}</Search-Request>`;

Deno.test("without a session a search gets 604", async () => {
  await using h = await startServer();
  const stranger = h.client("nobody", "1.2");
  assert.equal((await stranger.send(searchOf("USER_ID", "a"))).code, 604);
});
