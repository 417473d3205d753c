/** The WebAssembly correlation table behind the CorrelationTable interface. */
import { checkEntry, type CorrelationTable, MAX_KEY_PART } from "./correlation_table.ts";
import type { WasmCore } from "./wasm_instance.ts";

export class WasmCorrelationTable implements CorrelationTable {
  private readonly table: number;

  constructor(private readonly core: WasmCore) {
    this.table = core.exports.tableCreate(crypto.getRandomValues(new Uint32Array(1))[0]);
  }

  get size(): number {
    return this.core.exports.tableSize(this.table);
  }

  get byteSize(): number {
    return this.core.exports.tableBytes(this.table);
  }

  insert(session: Uint8Array, transaction: Uint8Array, slot: number, deadline: number): boolean {
    checkEntry(session, transaction, slot);
    this.core.copyKey(session, transaction);
    const inserted = this.core.exports.tableInsert(
      this.table,
      session.length,
      transaction.length,
      slot,
      deadline,
    );
    return inserted === 1;
  }

  lookup(session: Uint8Array, transaction: Uint8Array): number {
    if (session.length > MAX_KEY_PART || transaction.length > MAX_KEY_PART) return -1;
    this.core.copyKey(session, transaction);
    return this.core.exports.tableLookup(this.table, session.length, transaction.length);
  }

  remove(session: Uint8Array, transaction: Uint8Array): number {
    if (session.length > MAX_KEY_PART || transaction.length > MAX_KEY_PART) return -1;
    this.core.copyKey(session, transaction);
    return this.core.exports.tableRemove(this.table, session.length, transaction.length);
  }

  sweep(now: number): Uint32Array {
    const core = this.core;
    const removed = core.exports.tableSweep(this.table, now);
    core.refresh();
    const first = core.u32[core.results] >> 2;
    return core.u32.slice(first, first + removed);
  }

  free(): void {
    this.core.exports.tableFree(this.table);
  }
}
