/** The WebAssembly XML envelope tokenizer behind the XmlTokenizer interface. */
import type { WasmCore } from "./wasm_instance.ts";
import { FACT_COUNT, TOKEN_WORDS, type TokenizeResult, type XmlTokenizer } from "./xml_tokens.ts";

// Results words written by tokenizeXml: count, error code, error offset, facts, generation of
// the interned ids.
const R_COUNT = 0, R_ERROR = 1, R_OFFSET = 2, R_FACTS = 3, R_NAME_GENERATION = R_FACTS + FACT_COUNT;

/** Ids the core gives out at most (wasm/assembly/names.ts). */
const MAX_NAME_IDS = 2048;

export class WasmXmlTokenizer implements XmlTokenizer {
  /** The strings of the core's interned ids, filled in as they are first decoded. */
  private readonly names: (string | undefined)[] = new Array(MAX_NAME_IDS).fill(undefined);
  /** The generation of ids `names` holds: the core's table starts over when full. */
  private generation = 0;

  constructor(private readonly core: WasmCore) {}

  /** `tokens` is a view of linear memory, valid until the next call into the core. */
  tokenize(input: Uint8Array, maxDepth: number, maxElements: number): TokenizeResult {
    const core = this.core;
    core.copyIn(input);
    core.exports.tokenizeXml(input.length, maxDepth, maxElements);
    core.refresh();
    const i32 = core.i32, r = core.results;
    const count = i32[r + R_COUNT];
    const first = core.exports.outputPtr() >> 2;
    if (i32[r + R_NAME_GENERATION] !== this.generation) {
      this.generation = i32[r + R_NAME_GENERATION];
      this.names.fill(undefined);
    }
    return {
      tokens: i32.subarray(first, first + count * TOKEN_WORDS),
      count,
      facts: i32.slice(r + R_FACTS, r + R_FACTS + FACT_COUNT),
      errorCode: i32[r + R_ERROR],
      errorOffset: i32[r + R_OFFSET],
      names: this.names,
    };
  }
}
