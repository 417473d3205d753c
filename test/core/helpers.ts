/** Shared by the core tests: fixtures beside the checkout, a seeded PRNG. */

const SHARED = new URL("../../../shared/fixtures/", import.meta.url);

/** Files of a fixture directory ending in `suffix`, sorted; [] (and a note) when absent. */
export function fixtureFiles(dir: string, suffix: string): { name: string; bytes: Uint8Array }[] {
  const url = new URL(`${dir}/`, SHARED);
  let names: string[];
  try {
    names = [...Deno.readDirSync(url)].map((e) => e.name).filter((n) => n.endsWith(suffix));
  } catch {
    console.warn(`NOTE: fixtures ${dir} not found beside the checkout; skipped`);
    return [];
  }
  return names.sort().map((name) => ({ name, bytes: Deno.readFileSync(new URL(name, url)) }));
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

export const latin1 = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
