/** The WebAssembly HTTP head scanner behind the HeadScanner interface. */
import {
  DEFAULT_MAX_HEAD_BYTES,
  F_CONNECTION,
  F_CONTENT_TYPE,
  F_END,
  F_ERROR_OFFSET,
  F_HEAD_END,
  F_LOCATION,
  F_METHOD,
  F_SESSION_ID,
  F_START,
  F_TARGET,
  F_TRANSACTION_ID,
  HEAD_FIELDS,
  HeadScan,
  type HeadScanner,
} from "./http_head.ts";
import type { WasmCore } from "./wasm_instance.ts";

/** Fields holding offsets, shifted back by where the copied input began. */
const OFFSET_FIELDS = [
  F_ERROR_OFFSET,
  F_START,
  F_HEAD_END,
  F_END,
  F_METHOD,
  F_METHOD + 1,
  F_TARGET,
  F_TARGET + 1,
  F_CONTENT_TYPE,
  F_CONTENT_TYPE + 1,
  F_CONNECTION,
  F_CONNECTION + 1,
  F_LOCATION,
  F_LOCATION + 1,
  F_TRANSACTION_ID,
  F_TRANSACTION_ID + 1,
  F_SESSION_ID,
  F_SESSION_ID + 1,
];

export class WasmHeadScanner implements HeadScanner {
  constructor(private readonly core: WasmCore) {}

  scan(input: Uint8Array, start = 0, maxHeadBytes = DEFAULT_MAX_HEAD_BYTES): HeadScan {
    // Only the head and what follows matter; copy from `start` and shift offsets back.
    const bytes = start === 0 ? input : input.subarray(start);
    this.core.copyIn(bytes);
    return this.run(input, 0, bytes.length, start, maxHeadBytes);
  }

  scanAll(input: Uint8Array, start = 0, maxHeadBytes = DEFAULT_MAX_HEAD_BYTES): HeadScan[] {
    const bytes = start === 0 ? input : input.subarray(start);
    this.core.copyIn(bytes); // once for the whole stream
    const scans: HeadScan[] = [];
    let at = 0;
    while (at < bytes.length) {
      const scan = this.run(input, at, bytes.length, start, maxHeadBytes);
      scans.push(scan);
      if (!scan.complete) break;
      at = scan.end - start;
    }
    return scans;
  }

  private run(input: Uint8Array, at: number, length: number, shift: number, max: number): HeadScan {
    const core = this.core;
    core.exports.scanHead(at, length, max);
    const r = core.results;
    const fields = core.i32.slice(r, r + HEAD_FIELDS);
    if (shift !== 0) {
      for (const f of OFFSET_FIELDS) if (fields[f] >= 0) fields[f] += shift;
    }
    return new HeadScan(input, fields);
  }
}
