/**
 * Backup and restore while the server runs: alice has a contact list and a group, and a message
 * waits for carol; `admin backup` copies the store meanwhile. After the server stops, its data
 * is wiped and `admin restore` brings the backup back into a fresh directory: the restarted
 * server has the same users, list, group and waiting message, and nothing written after the
 * backup.
 */
import assert from "node:assert/strict";
import { CspClient, PASSWORD, type Transport } from "../support/harness.ts";
import { runAdminProcess, spawnServer } from "../support/process.ts";

const transport = (url: string): Transport => (body, type) =>
  fetch(`${url}/csp`, { method: "POST", body, headers: { "content-type": type } });

const message = (to: string, text: string) =>
  `<SendMessage-Request><MessageInfo><ContentType>text/plain</ContentType><Recipient><User>` +
  `<UserID>${to}</UserID></User></Recipient></MessageInfo><ContentData>${text}</ContentData>` +
  `</SendMessage-Request>`;

Deno.test("backup while the server runs, wipe, restore: the same users, list, group, messages", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/data/imps.kv`, IMPS_DOMAIN: "example.com" };
  await Deno.writeTextFile(
    `${dir}/users`,
    `alice ${PASSWORD}\nbob ${PASSWORD}\ncarol ${PASSWORD}\n`,
  );
  try {
    let server = await spawnServer({ ...env, IMPS_USERS: `${dir}/users` });
    const client = (name: string) =>
      new CspClient(name, "1.2", transport(server.url), "example.com");
    const alice = client("alice");
    assert.equal((await alice.login(PASSWORD)).code, 200);
    const list = "wv:alice/friends@example.com";
    assert.equal(
      (await alice.send(
        `<CreateList-Request><ContactList>${list}</ContactList><NickList>` +
          `<NickName><Name>Bob</Name><UserID>wv:bob@example.com</UserID></NickName></NickList>` +
          `</CreateList-Request>`,
      )).code,
      200,
    );
    const group = "wv:alice/club@example.com";
    assert.equal(
      (await alice.send(
        `<CreateGroup-Request><GroupID>${group}</GroupID><GroupProperties>` +
          `<Property><Name>Name</Name><Value>club</Value></Property></GroupProperties>` +
          `</CreateGroup-Request>`,
      )).code,
      200,
    );
    assert.equal(
      (await alice.send(message("wv:carol@example.com", "before the backup"))).code,
      200,
    );

    const backup = `${dir}/backups/imps.kv`;
    assert.match(await runAdminProcess(["backup", backup], env), /backed up .* and its server key/);
    assert.equal((await alice.send(message("wv:carol@example.com", "after the backup"))).code, 200);
    await server.stop();

    await Deno.remove(`${dir}/data`, { recursive: true });
    assert.match(await runAdminProcess(["restore", backup], env), /restored .* and its server key/);
    server = await spawnServer(env);
    try {
      assert.equal(
        (await runAdminProcess(["user", "list"], env)).trim(),
        "wv:alice@example.com\nwv:bob@example.com\nwv:carol@example.com",
      );
      const again = client("alice");
      assert.equal((await again.loginDigest(PASSWORD)).code, 200, "digest login: the key came too");
      const lists = await again.send(
        `<ListManage-Request><ContactList>${list}</ContactList>` +
          `<ReceiveList>T</ReceiveList></ListManage-Request>`,
      );
      assert.match(lists.text, /<UserID>wv:bob@example\.com<\/UserID>/);
      const props = await again.send(
        `<GetGroupProps-Request><GroupID>${group}</GroupID>` +
          `</GetGroupProps-Request>`,
      );
      assert.equal(props.primitive.name, "GetGroupProps-Response");
      const carol = client("carol");
      assert.equal((await carol.login(PASSWORD)).code, 200);
      const waiting = await carol.send("<Polling-Request/>");
      assert.match(waiting.text, /before the backup/);
      const listed = await carol.send("<GetMessageList-Request/>");
      assert.doesNotMatch(listed.text + waiting.text, /after the backup/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
