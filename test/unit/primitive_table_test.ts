/**
 * The README's table "primitive → file" is the registry's: every primitive a server answers is
 * listed with the one file that declares its module, named after it, and nothing else is listed.
 */
import assert from "node:assert/strict";
import {
  fileNameOf,
  primitiveRows,
  README,
  readmeRows,
  registeredPrimitives,
  renderTable,
  requireNamedAfter,
  withTable,
} from "../support/primitive_table.ts";

const registered = await registeredPrimitives();

Deno.test("the README's primitive table is the registry's, file by file", async () => {
  const readme = await Deno.readTextFile(README);
  assert.deepEqual(readmeRows(readme), await primitiveRows(registered));
});

Deno.test("a README missing a primitive or naming another file disagrees", async () => {
  const readme = await Deno.readTextFile(README);
  const rows = await primitiveRows(registered);
  const missing = readme.split("\n").filter((l) => !l.includes("GetWatcherList-Request"));
  assert.notDeepEqual(readmeRows(missing.join("\n")), rows);
  const moved = readme.replace(
    "`src/services/presence/get_watcher_list.ts`",
    "`src/services/presence/mod.ts`",
  );
  assert.notDeepEqual(readmeRows(moved), rows);
  assert.deepEqual(readmeRows(withTable(readme, renderTable(rows))), rows);
});

Deno.test("a registered primitive no file declares is refused", async () => {
  await assert.rejects(
    primitiveRows([...registered, { name: "NoSuch-Request", versions: "all" }]),
    /NoSuch-Request is declared in 0 files/,
  );
});

Deno.test("a primitive's file is its name in snake_case, without -Request", () => {
  assert.equal(fileNameOf("GetWatcherList-Request"), "get_watcher_list.ts");
  assert.equal(fileNameOf("GetSPInfo-Request"), "get_sp_info.ts");
  assert.equal(fileNameOf("WV-CSP-VersionDiscovery-Request"), "wv_csp_version_discovery.ts");
  assert.equal(fileNameOf("InviteUser-Response"), "invite_user_response.ts");
  assert.equal(fileNameOf("PresenceAuth-User"), "presence_auth_user.ts");
  assert.equal(fileNameOf("MessageDelivered"), "message_delivered.ts");
});

Deno.test("a primitive in a file not named after it is refused", () => {
  const row = { primitive: "GetMessageList-Request", versions: "all" };
  requireNamedAfter([{ ...row, file: "src/services/im/get_message_list.ts" }]);
  assert.throws(
    () => requireNamedAfter([{ ...row, file: "src/services/im/get_message.ts" }]),
    /GetMessageList-Request is in src\/services\/im\/get_message.ts, not in get_message_list.ts/,
  );
});
