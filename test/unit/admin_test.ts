import assert from "node:assert/strict";
import { type AdminIo, runAdmin } from "../../src/admin.ts";
import { Store } from "../../src/store/kv.ts";
import { UserRepo } from "../../src/store/users.ts";
import { verifyPassword } from "../../src/util/crypto.ts";

/** An operator who types `typed` when asked, and whose warnings are kept. */
function operator(typed = "") {
  const warnings: string[] = [];
  const prompts: string[] = [];
  const io: AdminIo = {
    password(prompt) {
      prompts.push(prompt);
      return Promise.resolve(typed);
    },
    warn: (message) => warnings.push(message),
  };
  return { io, warnings, prompts };
}

Deno.test("the admin command adds, lists, re-keys and removes users, naming the store", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com" };
  try {
    const { io, prompts } = operator("pw");
    assert.equal(
      await runAdmin(["user", "add", "alice"], env, io),
      `added wv:alice@example.com to ${dir}/imps.kv (server key: generated ${dir}/imps.kv.key ` +
        "(back it up with the KV file: it seals the passwords for digest login))",
    );
    assert.deepEqual(prompts, ["Password for wv:alice@example.com: "]);
    await runAdmin(["user", "add", "wv:Bob@example.com"], env, io);
    assert.equal(await runAdmin(["user", "list"], env), "wv:alice@example.com\nwv:bob@example.com");
    await assert.rejects(runAdmin(["user", "add", "alice"], env, io), /already exists/);
    await assert.rejects(runAdmin(["user", "add", "carol"], env, operator("").io), /empty/);
    await assert.rejects(runAdmin(["user", "add", "x@other.org"], env, io), /domain/);
    assert.match(await runAdmin(["user", "passwd", "alice"], env, operator("new").io), /changed/);
    assert.equal(
      await runAdmin(["user", "msisdn", "alice", "+447700900123"], env, io),
      "phone number of wv:alice@example.com is +447700900123",
    );
    await assert.rejects(runAdmin(["user", "msisdn", "alice", "call me"], env, io), /phone number/);
    assert.match(await runAdmin(["user", "msisdn", "alice", "-"], env, io), /no phone number/);
    assert.match(await runAdmin(["user", "del", "bob"], env), /removed wv:bob@example\.com/);
    await assert.rejects(runAdmin(["user", "del", "bob"], env), /no user/);
    assert.equal(await runAdmin(["user", "list"], env), "wv:alice@example.com");
    await assert.rejects(runAdmin(["group", "list"], env), /usage/);

    const store = await Store.open(env.IMPS_DATA);
    const alice = await new UserRepo(store).get("wv:alice@example.com");
    await store.close();
    assert.ok(await verifyPassword("new", alice!.password), "the password typed is the one kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--password still works for scripts, with a warning that others can see it", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    const { io, warnings, prompts } = operator();
    assert.match(await runAdmin(["user", "add", "alice", "--password", "pw"], env, io), /added/);
    assert.deepEqual(prompts, [], "not asked");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /process list/);
    assert.doesNotMatch(warnings[0], /pw\b/);
    await assert.rejects(runAdmin(["user", "add", "bob", "--password"], env, io), /needs a value/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an in-memory store cannot be reached by the admin command: it says to use IMPS_USERS", async () => {
  await assert.rejects(
    runAdmin(["user", "add", "alice"], { IMPS_DATA: ":memory:" }, operator("pw").io),
    /IMPS_USERS/,
  );
});

Deno.test("a store holds one domain: adding a user of another one is refused", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/a.kv`;
  try {
    const { io } = operator("pw");
    await runAdmin(["user", "add", "alice"], { IMPS_DATA: data, IMPS_DOMAIN: "a.example" }, io);
    await assert.rejects(
      runAdmin(["user", "add", "bob"], { IMPS_DATA: data, IMPS_DOMAIN: "b.example" }, io),
      new RegExp(`${data} holds the domain a\\.example, not b\\.example`),
    );
    assert.equal(
      await runAdmin(["user", "list"], { IMPS_DATA: data, IMPS_DOMAIN: "a.example" }),
      "wv:alice@a.example",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup copies the store into a new file; restore puts it back, never under a server", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com" };
  try {
    await runAdmin(["user", "add", "alice"], env, operator("pw").io);
    const copy = `${dir}/backup/imps.kv`;
    assert.match(
      await runAdmin(["backup", copy], env),
      /backed up .*imps\.kv and its server key to .*backup\/imps\.kv/,
    );
    const key = await Deno.readTextFile(`${dir}/imps.kv.key`);
    assert.equal(await Deno.readTextFile(`${copy}.key`), key, "the key goes with the copy");
    await assert.rejects(runAdmin(["backup", copy], env), /exists/, "never overwrites");
    assert.equal(
      await runAdmin(["user", "list"], { ...env, IMPS_DATA: copy }),
      "wv:alice@example.com",
    );
    await assert.rejects(runAdmin(["backup", copy], { IMPS_DATA: ":memory:" }), /KV file/);

    await runAdmin(["user", "add", "carol"], env, operator("pw").io);
    const server = await Store.open(env.IMPS_DATA, { lock: true });
    await assert.rejects(
      runAdmin(["restore", copy], env),
      /in use by another server.*stop it first/,
    );
    await server.close();
    await Deno.writeTextFile(`${dir}/imps.kv.key`, "a key made after the backup, lost");
    assert.match(
      await runAdmin(["restore", copy], env),
      /restored .*imps\.kv and its server key from .*backup/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/imps.kv.key`), key);
    assert.equal(await runAdmin(["user", "list"], env), "wv:alice@example.com", "carol came later");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("key rotate refuses while a server uses the store", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    await runAdmin(["user", "add", "alice"], env, operator("pw").io);
    const key = await Deno.readTextFile(`${dir}/imps.kv.key`);
    const server = await Store.open(env.IMPS_DATA, { lock: true });
    try {
      await assert.rejects(runAdmin(["key", "rotate"], env), /in use by another server.*stop it/);
    } finally {
      await server.close();
    }
    assert.equal(await Deno.readTextFile(`${dir}/imps.kv.key`), key, "the key is unchanged");
    assert.match(await runAdmin(["key", "rotate"], env), /1 password\(s\) sealed again/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a user's phone number: given at add or later, one user's only, found by its digits", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com" };
  try {
    const { io } = operator("pw");
    assert.match(
      await runAdmin(["user", "add", "alice", "--msisdn", "+447700900001"], env, io),
      /^added wv:alice@example\.com .* with phone number \+447700900001/,
    );
    await assert.rejects(
      runAdmin(["user", "add", "bob", "--msisdn", "447700900001"], env, io),
      /is the phone number of wv:alice@example\.com/,
    );
    await assert.rejects(runAdmin(["user", "add", "bob", "--msisdn", "call me"], env, io), /phone/);
    await runAdmin(["user", "add", "bob"], env, io);
    await assert.rejects(runAdmin(["user", "msisdn", "bob", "+447700900001"], env), /alice/);
    assert.equal(
      await runAdmin(["user", "msisdn", "bob", "+447700900002"], env),
      "phone number of wv:bob@example.com is +447700900002",
    );
    assert.equal(
      await runAdmin(["user", "msisdn", "alice", "-"], env),
      "wv:alice@example.com has no phone number",
    );
    await assert.rejects(runAdmin(["user", "msisdn", "carol", "+1555000"], env), /no user/);
    const store = await Store.open(env.IMPS_DATA);
    try {
      const users = new UserRepo(store);
      assert.equal(await users.byMsisdn("+447700900001"), undefined, "alice gave hers up");
      assert.equal(await users.byMsisdn("00447700900002"), "wv:bob@example.com");
      await users.delete("wv:bob@example.com");
      assert.equal(await users.byMsisdn("+447700900002"), undefined);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
