/**
 * Login throttling: a password-guessing client is slowed down and then locked out, per user id
 * and per client address, with a 503 the clients take as "try later" (and TryAgainTimeout in
 * 1.3); a correct password waits out the lock too. The clock is the throttle's own argument in
 * the unit part, so the backoff and the lock's end are seen without waiting.
 */
import assert from "node:assert/strict";
import { LoginThrottle } from "../../src/services/access/login_throttle.ts";
import { startServer } from "../support/harness.ts";
import { at } from "../support/body_reader.ts";

Deno.test("a guessing bot gets 409 five times, then waits 1, 2, 4, 8 s, then is locked out", () => {
  const throttle = new LoginThrottle({
    userFailures: 10,
    addressFailures: 100,
    lockoutMs: 300_000,
  });
  let now = 1_000_000;
  const waits = [];
  for (let attempt = 1; attempt <= 10; attempt++) {
    assert.equal(throttle.hold("wv:alice@x", "192.0.2.1", now), undefined, `attempt ${attempt}`);
    const hold = throttle.failed("wv:alice@x", "192.0.2.1", now);
    waits.push(hold ? `${hold.seconds}${hold.locked ? " locked" : ""}` : "-");
    now += (hold?.seconds ?? 0) * 1000;
  }
  assert.deepEqual(waits, ["-", "-", "-", "-", "-", "1", "2", "4", "8", "300 locked"]);
  now -= 300_000;
  assert.equal(throttle.hold("wv:alice@x", "198.51.100.7", now + 299_000)?.by, "user");
  assert.equal(throttle.hold("wv:alice@x", "198.51.100.7", now + 300_001), undefined);
});

Deno.test("an address trying many user ids is locked out by its own count", () => {
  const throttle = new LoginThrottle({ userFailures: 10, addressFailures: 4, lockoutMs: 60_000 });
  const now = 5_000;
  for (let i = 0; i < 3; i++) throttle.failed(`wv:user${i}@x`, "2001:db8::1", now);
  const hold = throttle.failed("wv:user3@x", "2001:db8::2", now); // the same /64
  assert.deepEqual(hold, { seconds: 60, locked: true, by: "address" });
  assert.equal(throttle.hold("wv:nobody@x", "2001:db8::99", now)?.by, "address");
  assert.equal(throttle.hold("wv:nobody@x", "192.0.2.9", now), undefined);
});

Deno.test("alice's guesser is locked out; her correct password from that address waits too", async () => {
  await using h = await startServer({
    env: { IMPS_LOGIN_FAILURES: "3", IMPS_LOGIN_LOCKOUT: "60" },
  });
  await h.addUser("alice", "right");
  const bot = h.client("alice", "1.3");
  bot.address = "192.0.2.66";
  assert.equal((await bot.login("wrong1")).code, 409);
  assert.equal((await bot.login("wrong2")).code, 409, "the second failure starts a backoff");
  const waiting = await bot.login("wrong3");
  assert.equal(waiting.code, 503);
  assert.match(
    String(at(waiting.body, "Result", "Description")),
    /try again in 1 s/,
  );
  assert.equal(at(waiting.body, "Result", "TryAgainTimeout"), 1);

  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal((await bot.login("wrong3")).code, 409, "the third failure locks alice out");
  const locked = await bot.login("right");
  assert.equal(locked.code, 503, "the right password waits out the lock");
  assert.match(
    String(at(locked.body, "Result", "Description")),
    /Too many failed logins/,
  );
  assert.equal(locked.primitive.name, "Login-Response");

  const phone = h.client("alice", "1.2");
  phone.address = "198.51.100.20";
  assert.equal((await phone.login("right")).code, 503, "the user id is locked from everywhere");

  const counted = await h.server.context.metrics.registry.getSingleMetricAsString(
    "imps_limited_total",
  );
  assert.match(counted, /imps_limited_total\{limit="login_lockout"\} 2/);
  assert.match(
    await h.server.context.metrics.registry.getSingleMetricAsString("imps_login_failures_total"),
    /imps_login_failures_total 3/,
  );

  await h.addUser("bob", "pw");
  const bob = h.client("bob");
  bob.address = "198.51.100.20";
  assert.equal((await bob.login("pw")).code, 200, "another user from another address logs in");
});
