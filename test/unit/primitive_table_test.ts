/**
 * The README's table "primitive → file" is the registry's: every primitive a server answers is
 * listed with the one file that declares its module, and nothing else is listed.
 */
import assert from "node:assert/strict";
import {
  primitiveRows,
  README,
  readmeRows,
  registeredPrimitives,
  renderTable,
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
