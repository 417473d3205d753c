/**
 * The one WebAssembly instance behind every WASM-backed routine, and the byte-level access to
 * it: input is copied into one reused buffer, results are read through views of linear memory.
 * Views are re-made whenever memory has grown (growth detaches the old buffer).
 */
import { WASM_BASE64 } from "./core_wasm.ts";

/** The module's exports (see wasm/assembly/index.ts). */
interface CoreExports {
  memory: WebAssembly.Memory;
  reserveInput(length: number): number;
  outputPtr(): number;
  resultsPtr(): number;
  headResultsPtr(): number;
  scanHeads(
    origin: number,
    start: number,
    length: number,
    maxHeadBytes: number,
    maxMessages: number,
  ): number;
  tokenizeXml(length: number, maxDepth: number, maxElements: number): number;
  tokenizeWbxml(length: number, maxDepth: number, maxElements: number): number;
  seedNames(seed: number): void;
  tableCreate(seed: number): number;
  tableFree(table: number): void;
  tableSize(table: number): number;
  tableBytes(table: number): number;
  tableInsert(
    table: number,
    sessionLen: number,
    txLen: number,
    slot: number,
    deadline: number,
  ): number;
  tableLookup(table: number, sessionLen: number, txLen: number): number;
  tableRemove(table: number, sessionLen: number, txLen: number): number;
  tableSweep(table: number, now: number): number;
}

export class WasmCore {
  readonly exports: CoreExports;
  /** Word index of the results area in `i32` (its byte address / 4). */
  readonly results: number;
  private buffer: ArrayBufferLike;
  /** The input buffer as last reserved; other routines may move it, never shrink it. */
  private inputPtr = 0;
  private inputCapacity = 0;
  u8!: Uint8Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  f64!: Float64Array;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as CoreExports;
    this.buffer = this.exports.memory.buffer;
    this.makeViews();
    this.results = this.exports.resultsPtr() >> 2;
  }

  /** Call after anything that may have grown memory. Growing detaches the old buffer, which
   * leaves the views empty: checking that is cheaper than asking the memory for its buffer. */
  refresh(): void {
    if (this.u8.byteLength === 0) {
      this.buffer = this.exports.memory.buffer;
      this.makeViews();
    }
  }

  /** Copies `bytes` into the input buffer; returns its address. */
  copyIn(bytes: Uint8Array): number {
    const ptr = this.reserve(bytes.length);
    this.u8.set(bytes, ptr);
    return ptr;
  }

  /** Copies a correlation key (session bytes, then transaction bytes) into the input buffer. */
  copyKey(session: Uint8Array, transaction: Uint8Array): void {
    const ptr = this.reserve(session.length + transaction.length), u8 = this.u8;
    // Keys are short: a plain loop beats two TypedArray.set calls.
    for (let i = 0; i < session.length; i++) u8[ptr + i] = session[i];
    const t = ptr + session.length;
    for (let i = 0; i < transaction.length; i++) u8[t + i] = transaction[i];
  }

  private reserve(length: number): number {
    if (length > this.inputCapacity) {
      this.inputPtr = this.exports.reserveInput(length);
      this.inputCapacity = length;
    }
    this.refresh(); // the previous call may have grown memory
    return this.inputPtr;
  }

  private makeViews(): void {
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }
}

let loading: Promise<WasmCore> | undefined;

/** The shared instance, compiled from the embedded module on first use. */
export function loadWasmCore(): Promise<WasmCore> {
  loading ??= (async () => {
    const binary = Uint8Array.from(atob(WASM_BASE64), (ch) => ch.charCodeAt(0));
    const { instance } = await WebAssembly.instantiate(binary, {});
    const core = new WasmCore(instance);
    core.exports.seedNames(crypto.getRandomValues(new Uint32Array(1))[0]);
    return core;
  })();
  return loading;
}
