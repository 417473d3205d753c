/** Lists of IP addresses and networks (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`). */

interface Network {
  v6: boolean;
  base: bigint;
  bits: number;
}

/** Throws on an entry that is not an address or a network. */
export class AddressList {
  readonly #networks: Network[];

  constructor(entries: string[]) {
    this.#networks = entries.map((entry) => {
      const [address, prefix] = entry.trim().split("/");
      const parsed = parseAddress(address);
      const max = parsed?.v6 ? 128 : 32;
      const bits = prefix === undefined ? max : Number(prefix);
      if (!parsed || !Number.isInteger(bits) || bits < 0 || bits > max) {
        throw new Error(`not an address or network: "${entry}"`);
      }
      return { v6: parsed.v6, base: mask(parsed.value, bits, max), bits };
    });
  }

  get empty(): boolean {
    return this.#networks.length === 0;
  }

  includes(address: string | undefined): boolean {
    const parsed = address === undefined ? undefined : parseAddress(address);
    if (!parsed) return false;
    return this.#networks.some((n) =>
      n.v6 === parsed.v6 && mask(parsed.value, n.bits, n.v6 ? 128 : 32) === n.base
    );
  }
}

function mask(value: bigint, bits: number, width: number): bigint {
  return (value >> BigInt(width - bits)) << BigInt(width - bits);
}

/** An IPv4 or IPv6 address as a number; an IPv4-mapped IPv6 address is read as IPv4. */
function parseAddress(text: string): { v6: boolean; value: bigint } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { v6: false, value: parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n) };
  }
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(text);
  if (mapped) return parseAddress(mapped[1]);
  if (!/^[0-9a-f:]+$/i.test(text) || (text.match(/::/g)?.length ?? 0) > 1) return undefined;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (s: string) => s === "" ? [] : s.split(":");
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array(Math.max(0, missing)).fill("0"), ...right];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return { v6: true, value: all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n) };
}
