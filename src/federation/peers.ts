/**
 * Where a peer domain's SSP endpoint is and whether we talk to it at all: the static map
 * IMPS_PEERS first, else DNS SRV `_imps-server._tcp.<domain>` (digest §9.1), tried over https
 * then http at `/` as Baraza does; domains are filtered by the allow and deny lists.
 */
import type { FederationConfig } from "./settings.ts";

/** How long a domain DNS says has no IMPS server is not asked about again, ms. */
const MISSING_REMEMBERED_MS = 60_000;

export type SrvResolver = (name: string) => Promise<Deno.SrvRecord[]>;

const resolveSrv: SrvResolver = (name) => Deno.resolveDns(name, "SRV");

export class PeerDirectory {
  /** Domains DNS said have no IMPS server, until when that is believed. */
  readonly #missing = new Map<string, number>();

  constructor(
    private readonly config: FederationConfig,
    private readonly srv: SrvResolver = resolveSrv,
  ) {}

  /** Whether this server federates with `domain` at all. */
  allowed(domain: string): boolean {
    if (domain === this.config.domain) return false;
    if (this.config.deny.some((d) => matches(domain, d))) return false;
    return this.config.allow.length === 0 || this.config.allow.some((d) => matches(domain, d));
  }

  /** Endpoint URLs to try for `domain`, best first; empty when none is known. */
  async endpoints(domain: string): Promise<URL[]> {
    const fixed = this.config.peers[domain];
    if (fixed) return [new URL(fixed)];
    let records: Deno.SrvRecord[];
    try {
      records = await this.srv(`_imps-server._tcp.${domain}`);
    } catch {
      return [];
    }
    this.#missing.delete(domain);
    records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    return records.flatMap((r) => {
      const host = r.target.replace(/\.$/, "");
      return [new URL(`https://${host}:${r.port}/`), new URL(`http://${host}:${r.port}/`)];
    });
  }

  /**
   * False when `domain` names no IMPS server at all: no static endpoint and DNS says the SRV
   * record does not exist (NXDOMAIN or no such record). A DNS failure (timeout, no resolver)
   * is not an answer: true, so that work for it is queued and retried.
   */
  async exists(domain: string): Promise<boolean> {
    if (this.config.peers[domain]) return true;
    const cached = this.#missing.get(domain);
    if (cached !== undefined && cached > Date.now()) return false;
    try {
      await this.srv(`_imps-server._tcp.${domain}`);
      return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return true;
      this.#missing.set(domain, Date.now() + MISSING_REMEMBERED_MS);
      return false;
    }
  }
}

/** `example.com` matches itself and its subdomains. */
function matches(domain: string, entry: string): boolean {
  return domain === entry || domain.endsWith(`.${entry}`);
}
