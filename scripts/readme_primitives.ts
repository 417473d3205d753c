/**
 * Writes the README's table "primitive → file" from the primitives a server registers
 * (`test/support/primitive_table.ts`). Run it after adding, moving or renaming a primitive;
 * `test/unit/primitive_table_test.ts` fails until the README is in step.
 */
import {
  primitiveRows,
  README,
  registeredPrimitives,
  renderTable,
  withTable,
} from "../test/support/primitive_table.ts";

const readme = await Deno.readTextFile(README);
const table = renderTable(await primitiveRows(await registeredPrimitives()));
await Deno.writeTextFile(README, withTable(readme, table));
console.log("README.md: primitive table written");
