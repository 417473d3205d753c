/** The WebAssembly WBXML tokenizer behind the WbxmlTokenizer interface. */
import type { WasmCore } from "./wasm_instance.ts";
import type { WbxmlTokenizer, WbxmlTokens } from "./wbxml_tokens.ts";

// Results words written by tokenizeWbxml: count, error code, error offset, the header, and
// where the tokens are.
const R_COUNT = 0, R_ERROR = 1, R_OFFSET = 2, R_VERSION = 3, R_PUBLIC_ID = 4;
const R_PUBLIC_ID_START = 5, R_PUBLIC_ID_END = 6, R_CHARSET = 7, R_TOKENS = 8;

export class WasmWbxmlTokenizer implements WbxmlTokenizer {
  /** Views the output buffer from its start to the memory's end; re-made when either moves. */
  private tokens: Int32Array = new Int32Array(0);

  constructor(private readonly core: WasmCore) {}

  /** `tokens` is valid until the next call into the core. */
  tokenize(input: Uint8Array, maxDepth: number, maxElements: number): WbxmlTokens {
    const core = this.core;
    core.copyIn(input);
    core.exports.tokenizeWbxml(input.length, maxDepth, maxElements);
    core.refresh();
    const i32 = core.i32, r = core.results;
    const first = i32[r + R_TOKENS] >> 2;
    if (this.tokens.buffer !== i32.buffer || this.tokens.byteOffset !== first << 2) {
      this.tokens = i32.subarray(first);
    }
    return {
      tokens: this.tokens,
      count: i32[r + R_COUNT],
      errorCode: i32[r + R_ERROR],
      errorOffset: i32[r + R_OFFSET],
      version: i32[r + R_VERSION],
      publicId: i32[r + R_PUBLIC_ID],
      publicIdStart: i32[r + R_PUBLIC_ID_START],
      publicIdEnd: i32[r + R_PUBLIC_ID_END],
      charset: i32[r + R_CHARSET],
    };
  }
}
