/**
 * Rate limits per session and per user: a client over a limit gets 503 with the seconds to wait
 * (TryAgainTimeout in 1.3), never a dropped connection, and others are not held back.
 */
import assert from "node:assert/strict";
import { TokenBuckets } from "../../src/session/rates.ts";
import { contentApi, randomBytes, statusOf } from "../content/support.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import { at, type Value } from "../support/body_reader.ts";

const message = (to: string[], text = "hi") =>
  `<SendMessage-Request><MessageInfo><ContentType>text/plain</ContentType><Recipient>${
    to.map((u) => `<User><UserID>${u}</UserID></User>`).join("")
  }</Recipient></MessageInfo><ContentData>${text}</ContentData></SendMessage-Request>`;

Deno.test("a token bucket grants its burst, then refills at its rate", () => {
  const buckets = new TokenBuckets(4, 2 / 1000);
  const granted = [0, 0, 0, 0, 0].map(() => buckets.take("k", 1, 0));
  assert.deepEqual(granted, [0, 0, 0, 0, 500]);
  assert.equal(buckets.take("k", 1, 500), 0);
  assert.equal(buckets.take("other", 1, 500), 0, "each key has its own bucket");
  assert.equal(buckets.take("k", 10, 10_000), 0, "a cost above the capacity passes when full");
  assert.equal(buckets.take("k", 1, 10_000), 500);
});

Deno.test("a session hammering the server gets 503 past its requests/s, others go on", async () => {
  await using h = await startServer({ env: { IMPS_RATE_SESSION_REQUESTS: "1" } });
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  const codes = [];
  for (let i = 0; i < 5; i++) {
    codes.push(
      (await alice.send("<KeepAlive-Request><TimeToLive>600</TimeToLive></KeepAlive-Request>"))
        .code,
    );
  }
  assert.deepEqual(codes, [200, 200, 503, 503, 503], "a burst of two seconds' worth");
  const refused = await alice.send("<KeepAlive-Request/>");
  assert.equal(refused.primitive.name, "Status");
  assert.equal(at(refused.body, "Result", "TryAgainTimeout"), 1);
  assert.equal((await bob.send("<KeepAlive-Request/>")).code, 200);
});

Deno.test("messages/s and recipients/min are counted per user, over all their sessions", async () => {
  await using h = await startServer({
    env: { IMPS_RATE_MESSAGES: "1", IMPS_RATE_RECIPIENTS: "5" },
  });
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  const both = [bob.userId, carol.userId];
  const description = (reply: { body: Value }) => String(at(reply.body, "Result", "Description"));
  assert.equal((await alice.send(message(both))).code, 200);
  assert.equal((await alice.send(message(both))).code, 200);
  const third = await alice.send(message([bob.userId]));
  assert.equal(third.code, 503, "a third message at once: over 1/s with a 2 s burst");
  assert.match(description(third), /Rate limit \(messages\): try again in 1 s/);

  const second = h.client("alice", "1.2");
  assert.equal((await second.login("pw")).code, 200);
  assert.equal((await second.send(message([bob.userId]))).code, 503, "the same user elsewhere");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const again = await second.send(message(both));
  assert.equal(again.code, 503, "a message may go again, but only 1 of 5 recipients is left");
  assert.match(description(again), /recipients/);
  assert.equal((await bob.send(message([alice.userId]))).code, 200, "bob is not held back");
});

Deno.test("group creations and searches have limits of their own", async () => {
  await using h = await startServer({ env: { IMPS_RATE_GROUPS: "1", IMPS_RATE_SEARCHES: "1" } });
  const [alice] = await loggedIn(h, "1.2", "alice");
  const create = (name: string) =>
    alice.send(
      `<CreateGroup-Request><GroupID>wv:alice/${name}@example.com</GroupID><GroupProperties>` +
        `<Property><Name>Name</Name><Value>${name}</Value></Property></GroupProperties>` +
        `</CreateGroup-Request>`,
    );
  assert.equal((await create("one")).code, 200);
  assert.equal((await create("two")).code, 503);
  const search = () =>
    alice.send(
      `<Search-Request><SearchPairList><SearchElement>USER_ID</SearchElement>` +
        `<SearchString>bob</SearchString></SearchPairList><SearchLimit>5</SearchLimit>` +
        `</Search-Request>`,
    );
  assert.notEqual((await search()).code, 503);
  assert.equal((await search()).code, 503);
});

Deno.test("content uploads past the user's limit get 429 with Retry-After, over all sessions", async () => {
  await using h = await startServer({ env: { IMPS_RATE_UPLOADS: "2" } });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await using api = contentApi(h);
  const statuses = [];
  for (let i = 0; i < 2; i++) statuses.push(await statusOf(api.upload(alice, randomBytes(16))));
  assert.deepEqual(statuses, [201, 201]);
  const second = h.client("alice", "1.2");
  assert.equal((await second.login("pw")).code, 200);
  const refused = await api.upload(second, randomBytes(16));
  assert.equal(refused.status, 429, "the same user in another session");
  assert.match(await refused.text(), /Too many uploads: try again in \d+ s/);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  assert.equal(await statusOf(api.upload(bob, randomBytes(16))), 201, "bob is not held back");
});
