/**
 * SMS per number per hour: at most `perHour` in any hour-long window that starts with the
 * number's first SMS of it. In memory and bounded: past `maxKeys` numbers, windows that are over
 * are dropped first, and if none is, all (which only forgives).
 */
export class HourlyBudget {
  readonly #windows = new Map<string, { start: number; used: number }>();

  constructor(
    private readonly perHour: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `count` from the number's budget; false (taking nothing) when it has not that much. */
  take(key: string, count = 1): boolean {
    const window = this.#window(key);
    if (window.used + count > this.perHour) return false;
    window.used += count;
    return true;
  }

  /** Whether nothing is left this hour. */
  exhausted(key: string): boolean {
    return this.#window(key, false).used >= this.perHour;
  }

  #window(key: string, keep = true): { start: number; used: number } {
    const now = this.now();
    let window = this.#windows.get(key);
    if (!window || now - window.start >= 3_600_000) {
      window = { start: now, used: 0 };
      if (!keep) return window;
      if (this.#windows.size >= this.maxKeys) this.#prune(now);
      this.#windows.set(key, window);
    }
    return window;
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= 3_600_000) this.#windows.delete(key);
    }
    if (this.#windows.size >= this.maxKeys) this.#windows.clear();
  }
}
