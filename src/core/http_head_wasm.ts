/** The WebAssembly HTTP head scanner behind the HeadScanner interface. */
import {
  DEFAULT_MAX_HEAD_BYTES,
  F_END,
  F_STATE,
  FieldSlots,
  HEAD_FIELDS,
  HeadScan,
  type HeadScanner,
  STATE_COMPLETE,
} from "./http_head.ts";
import type { WasmCore } from "./wasm_instance.ts";

/** As many messages per call as the module's results area holds. */
const ALL = 0x7fffffff;

export class WasmHeadScanner implements HeadScanner {
  private readonly slots = new FieldSlots();
  /** Word index of the module's head results area. */
  private readonly results: number;

  constructor(private readonly core: WasmCore) {
    this.results = core.exports.headResultsPtr() >> 2;
  }

  scan(input: Uint8Array, start = 0, maxHeadBytes = DEFAULT_MAX_HEAD_BYTES): HeadScan {
    // One message is read no further than start + maxHeadBytes: leave bodies behind.
    const end = Math.min(input.length, start + maxHeadBytes);
    this.core.copyIn(start === 0 && end === input.length ? input : input.subarray(start, end));
    this.core.exports.scanHeads(start, start, input.length, maxHeadBytes, 1);
    const base = this.copyOut(1);
    return new HeadScan(input, this.slots.words, base);
  }

  scanAll(input: Uint8Array, start = 0, maxHeadBytes = DEFAULT_MAX_HEAD_BYTES): HeadScan[] {
    const scans: HeadScan[] = [];
    if (start >= input.length) return scans;
    const origin = start;
    this.core.copyIn(start === 0 ? input : input.subarray(start)); // once for the whole stream
    for (;;) {
      const count = this.core.exports.scanHeads(origin, start, input.length, maxHeadBytes, ALL);
      const base = this.copyOut(count), words = this.slots.words;
      for (let i = 0; i < count; i++) {
        scans.push(new HeadScan(input, words, base + i * HEAD_FIELDS));
      }
      const last = base + (count - 1) * HEAD_FIELDS;
      start = words[last + F_END];
      if (words[last + F_STATE] !== STATE_COMPLETE || start >= input.length) return scans;
    }
  }

  /** Copies the fields of the last call's `count` scans out of linear memory; returns their base. */
  private copyOut(count: number): number {
    const base = this.slots.reserve(count), words = this.slots.words;
    const i32 = this.core.i32, r = this.results;
    // For one scan, a loop beats making a view to copy from.
    if (count === 1) {
      for (let i = 0; i < HEAD_FIELDS; i++) words[base + i] = i32[r + i];
    } else {
      words.set(i32.subarray(r, r + count * HEAD_FIELDS), base);
    }
    return base;
  }
}
