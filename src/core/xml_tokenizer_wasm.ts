/** The WebAssembly XML envelope tokenizer behind the XmlTokenizer interface. */
import type { WasmCore } from "./wasm_instance.ts";
import { FACT_COUNT, type TokenizeResult, type XmlTokenizer } from "./xml_tokens.ts";

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
  /** Reused by every run (as TokenizeResult allows): making typed arrays costs more than a run
   * of a short document. `tokens` views the output buffer from its start to the memory's end. */
  private tokens: Int32Array = new Int32Array(0);
  private readonly facts = new Int32Array(FACT_COUNT);

  constructor(private readonly core: WasmCore) {}

  /** `tokens` and `facts` are valid until the next call into the core. */
  tokenize(input: Uint8Array, maxDepth: number, maxElements: number): TokenizeResult {
    const core = this.core;
    core.copyIn(input);
    core.exports.tokenizeXml(input.length, maxDepth, maxElements);
    core.refresh();
    const i32 = core.i32, r = core.results;
    const count = i32[r + R_COUNT];
    const first = core.exports.outputPtr() >> 2;
    if (this.tokens.buffer !== i32.buffer || this.tokens.byteOffset !== first << 2) {
      this.tokens = i32.subarray(first);
    }
    for (let f = 0; f < FACT_COUNT; f++) this.facts[f] = i32[r + R_FACTS + f];
    if (i32[r + R_NAME_GENERATION] !== this.generation) {
      this.generation = i32[r + R_NAME_GENERATION];
      this.names.fill(undefined);
    }
    return {
      tokens: this.tokens,
      count,
      facts: this.facts,
      errorCode: i32[r + R_ERROR],
      errorOffset: i32[r + R_OFFSET],
      names: this.names,
    };
  }
}
