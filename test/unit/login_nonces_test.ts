import assert from "node:assert/strict";
import { clientKey } from "../../src/services/access/client_key.ts";
import { LoginNonces } from "../../src/services/access/nonces.ts";
import type { Nonce } from "../../src/services/access/storage.ts";
import { Store } from "../../src/store/kv.ts";

const LIMITS = { ttlMs: 60_000, perUser: 4, perUserAddress: 2, perAddress: 3 };
const BOB = "wv:bob@example.com";

async function book(now: () => number = Date.now) {
  const store = await Store.open(":memory:");
  return { nonces: new LoginNonces(store, LIMITS, now), store };
}

const is = (wanted: Nonce | undefined) => (n: Nonce) => n.nonce === wanted?.nonce;

Deno.test("a nonce proves one login, and only for the user it was given for", async () => {
  const { nonces, store } = await book();
  const nonce = await nonces.issue(BOB, "MD5", "10.0.0.1");
  assert.ok(nonce);
  assert.equal(await nonces.redeem("wv:eve@example.com", "10.0.0.1", is(nonce)), false);
  assert.equal(await nonces.redeem(BOB, "10.0.0.1", is(nonce)), true);
  assert.equal(await nonces.redeem(BOB, "10.0.0.1", is(nonce)), false, "used up");
  await store.close();
});

Deno.test("a nonce expires after its time", async () => {
  let now = 1_000_000;
  const { nonces, store } = await book(() => now);
  const nonce = await nonces.issue(BOB, "SHA", "10.0.0.1");
  now += LIMITS.ttlMs;
  assert.equal(await nonces.redeem(BOB, "10.0.0.1", is(nonce)), false);
  assert.deepEqual(await store.list(["login_nonce"]), [], "and is deleted on the way");
  await store.close();
});

Deno.test("an address asking again replaces its own oldest nonce for the user, no one else's", async () => {
  let now = 1_000_000;
  const { nonces, store } = await book(() => now++);
  const bobs = await nonces.issue(BOB, "MD5", "10.0.0.1");
  const first = await nonces.issue(BOB, "MD5", "10.6.6.6");
  for (let i = 0; i < 5; i++) await nonces.issue(BOB, "MD5", "10.6.6.6");
  assert.equal(await nonces.redeem(BOB, "10.6.6.6", is(first)), false, "replaced");
  assert.equal(await nonces.redeem(BOB, "10.0.0.1", is(bobs)), true);
  await store.close();
});

Deno.test("past perUser attempts from other addresses a new one is refused, not let in over one", async () => {
  let now = 1_000_000;
  const { nonces, store } = await book(() => now++);
  const bobs = await nonces.issue(BOB, "MD5", "10.0.0.1");
  for (const address of ["10.0.0.2", "10.0.0.3", "10.0.0.4"]) {
    assert.ok(await nonces.issue(BOB, "MD5", address));
  }
  assert.equal(await nonces.issue(BOB, "MD5", "10.0.0.5"), undefined);
  assert.equal(await nonces.redeem(BOB, "10.0.0.1", is(bobs)), true);
  assert.ok(await nonces.issue(BOB, "MD5", "10.0.0.5"), "room again once one is used");
  await store.close();
});

Deno.test("one address holds at most perAddress nonces over all users: its own oldest go", async () => {
  let now = 1_000_000;
  const { nonces, store } = await book(() => now++);
  const issued = [];
  for (let i = 0; i < 5; i++) {
    issued.push(await nonces.issue(`wv:u${i}@example.com`, "MD5", "10.6.6.6"));
  }
  assert.equal((await store.list(["login_nonce"])).length, LIMITS.perAddress);
  assert.equal(await nonces.redeem("wv:u0@example.com", "10.6.6.6", is(issued[0])), false);
  assert.equal(await nonces.redeem("wv:u4@example.com", "10.6.6.6", is(issued[4])), true);
  await store.close();
});

Deno.test("a wrong digest uses up a nonce of the address that sent it, never another's", async () => {
  let now = 1_000_000;
  const { nonces, store } = await book(() => now++);
  const bobs = await nonces.issue(BOB, "MD5", "10.0.0.1");
  const guess = await nonces.issue(BOB, "MD5", "10.6.6.6");
  assert.equal(await nonces.redeem(BOB, "10.6.6.6", () => false), false);
  assert.equal(await nonces.redeem(BOB, "10.6.6.6", is(guess)), false, "the guess cost its own");
  assert.equal(await nonces.redeem(BOB, "10.7.7.7", () => false), false);
  assert.equal(await nonces.redeem(BOB, "10.0.0.1", is(bobs)), true);
  await store.close();
});

Deno.test("an IPv6 client counts by its /64, an IPv4-mapped one by its IPv4 address", () => {
  assert.equal(clientKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(clientKey("2001:DB8:1:2:bbbb:cccc:dddd:eeee"), "2001:db8:1:2::/64");
  assert.equal(clientKey("2001:db8::5"), "2001:db8:0:0::/64");
  assert.equal(clientKey("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(clientKey("10.0.0.1"), "10.0.0.1");
});
