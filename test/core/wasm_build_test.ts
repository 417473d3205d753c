import { equal } from "node:assert/strict";
import { WASM_SOURCE_HASH } from "../../src/core/core_wasm.ts";
import { sourceHash } from "../../wasm/build.ts";

Deno.test("the embedded WebAssembly core was built from the current wasm/assembly sources", async () => {
  // Byte-for-byte: `deno task build:wasm --verify` (recompiles, about 3 s).
  equal(WASM_SOURCE_HASH, await sourceHash(), "run `deno task build:wasm` and commit the result");
});
