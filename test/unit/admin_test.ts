import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";

Deno.test("the admin command adds, lists, re-keys and removes users", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com" };
  try {
    assert.equal(
      await runAdmin(["user", "add", "alice", "--password", "pw"], env),
      `added wv:alice@example.com (server key: generated ${dir}/imps.kv.key (back it up with ` +
        "the KV file: it seals the passwords for digest login))",
    );
    await runAdmin(["user", "add", "wv:Bob@example.com", "--password", "pw"], env);
    assert.equal(await runAdmin(["user", "list"], env), "wv:alice@example.com\nwv:bob@example.com");
    await assert.rejects(
      runAdmin(["user", "add", "alice", "--password", "x"], env),
      /already exists/,
    );
    await assert.rejects(runAdmin(["user", "add", "carol"], env), /--password/);
    await assert.rejects(
      runAdmin(["user", "add", "x@other.org", "--password", "x"], env),
      /domain/,
    );
    assert.match(await runAdmin(["user", "passwd", "alice", "--password", "new"], env), /changed/);
    assert.equal(
      await runAdmin(["user", "msisdn", "alice", "+447700900123"], env),
      "phone number of wv:alice@example.com is +447700900123",
    );
    await assert.rejects(runAdmin(["user", "msisdn", "alice", "call me"], env), /phone number/);
    assert.match(await runAdmin(["user", "msisdn", "alice", "-"], env), /no phone number/);
    assert.match(await runAdmin(["user", "del", "bob"], env), /removed wv:bob@example\.com/);
    await assert.rejects(runAdmin(["user", "del", "bob"], env), /no user/);
    assert.equal(await runAdmin(["user", "list"], env), "wv:alice@example.com");
    await assert.rejects(runAdmin(["group", "list"], env), /usage/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
