/** The WebAssembly XML envelope tokenizer behind the XmlTokenizer interface. */
import type { WasmCore } from "./wasm_instance.ts";
import { FACT_COUNT, TOKEN_WORDS, type TokenizeResult, type XmlTokenizer } from "./xml_tokens.ts";

// Results words written by tokenizeXml: count, error code, error offset, facts.
const R_COUNT = 0, R_ERROR = 1, R_OFFSET = 2, R_FACTS = 3;

export class WasmXmlTokenizer implements XmlTokenizer {
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
    return {
      tokens: i32.subarray(first, first + count * TOKEN_WORDS),
      count,
      facts: i32.slice(r + R_FACTS, r + R_FACTS + FACT_COUNT),
      errorCode: i32[r + R_ERROR],
      errorOffset: i32[r + R_OFFSET],
    };
  }
}
