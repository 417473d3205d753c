/**
 * Server configuration, read from the environment once at start. Every value is validated so an
 * operator learns of a typo at start, not at the first request that needs it.
 */

import type { CoreKind } from "./core/mod.ts";

export interface Config {
  host: string;
  port: number;
  /** The IMPS domain this server serves: users are `wv:name@<domain>`. */
  domain: string;
  /** Deno KV path, or `:memory:`. */
  dataPath: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Server key for what is sealed at rest (digest-login passwords). Absent: digest login is off. */
  secret?: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Bounds and default of a session's keep-alive time, in seconds. */
  ttlMin: number;
  ttlMax: number;
  ttlDefault: number;
  /** Shortest interval between polls the server asks clients to keep, in seconds. */
  pollMin: number;
  /** Which implementation of the hot-path routines to use. */
  core: CoreKind;
  /** Service provider name returned by GetSPInfo. */
  spName: string;
  /** Whether a watcher the user has not decided about sees presence without asking. */
  presenceAutoGrant: boolean;
  /** Largest message content (ContentData as sent), bytes. */
  maxMessageBytes: number;
  /** Messages waiting for one user before further sends are refused (507). */
  mailboxSize: number;
}

interface Setting {
  env: string;
  help: string;
  default?: string;
}

/** Every setting the server reads, in the order `--help` lists them. */
export const SETTINGS: readonly Setting[] = [
  { env: "IMPS_HOST", help: "address to listen on", default: "127.0.0.1" },
  { env: "IMPS_PORT", help: "TCP port to listen on (0 picks a free one)", default: "8080" },
  {
    env: "IMPS_DOMAIN",
    help: "the IMPS domain served (users are wv:name@domain)",
    default: "localhost",
  },
  { env: "IMPS_DATA", help: "Deno KV path, or :memory:", default: "./data/imps.kv" },
  { env: "IMPS_TLS_CERT", help: "PEM certificate file; with IMPS_TLS_KEY serves HTTPS" },
  { env: "IMPS_TLS_KEY", help: "PEM private key file; with IMPS_TLS_CERT serves HTTPS" },
  {
    env: "IMPS_SECRET",
    help: "server key (16+ chars) sealing data at rest; needed for digest (4-way) login",
  },
  { env: "IMPS_MAX_BODY", help: "largest request body in bytes", default: String(256 * 1024) },
  { env: "IMPS_TTL_MIN", help: "shortest session keep-alive time in seconds", default: "30" },
  { env: "IMPS_TTL_MAX", help: "longest session keep-alive time in seconds", default: "3600" },
  { env: "IMPS_TTL_DEFAULT", help: "keep-alive time when a client asks none", default: "600" },
  {
    env: "IMPS_POLL_MIN",
    help: "shortest polling interval asked of clients, seconds",
    default: "5",
  },
  { env: "IMPS_CORE", help: "hot-path implementation: wasm or ts", default: "wasm" },
  { env: "IMPS_SP_NAME", help: "service provider name shown by GetSPInfo", default: "IMPS server" },
  {
    env: "IMPS_PRESENCE_AUTOGRANT",
    help: "true: watchers see presence without the user's authorisation",
    default: "false",
  },
  { env: "IMPS_MAX_MESSAGE", help: "largest message content in bytes", default: "32768" },
  { env: "IMPS_MAILBOX_SIZE", help: "messages kept waiting per user", default: "100" },
];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function helpText(): string {
  const width = Math.max(...SETTINGS.map((s) => s.env.length));
  const lines = SETTINGS.map((s) =>
    `  ${s.env.padEnd(width)}  ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ""}`
  );
  return [
    "IMPS server (OMA IMPS / Wireless Village CSP 1.1-1.3)",
    "",
    "Configuration is read from the environment:",
    ...lines,
  ].join("\n");
}

const DOMAIN_RE =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const get = (name: string): string | undefined => {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") return value.trim();
    return SETTINGS.find((s) => s.env === name)?.default;
  };
  const integer = (name: string, min: number, max: number): number => {
    const raw = get(name)!;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return Number(raw);
  };

  const domain = get("IMPS_DOMAIN")!.toLowerCase();
  if (!DOMAIN_RE.test(domain)) {
    throw new ConfigError(`IMPS_DOMAIN must be a DNS domain name, got "${domain}"`);
  }
  const tlsCert = get("IMPS_TLS_CERT");
  const tlsKey = get("IMPS_TLS_KEY");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError("IMPS_TLS_CERT and IMPS_TLS_KEY must be set together");
  }
  const secret = get("IMPS_SECRET");
  if (secret !== undefined && secret.length < 16) {
    throw new ConfigError("IMPS_SECRET must be at least 16 characters long");
  }
  const core = get("IMPS_CORE")!;
  if (core !== "ts" && core !== "wasm") {
    throw new ConfigError(`IMPS_CORE must be "wasm" or "ts", got "${core}"`);
  }
  const ttlMin = integer("IMPS_TTL_MIN", 1, 86_400);
  const ttlMax = integer("IMPS_TTL_MAX", ttlMin, 86_400 * 7);
  const ttlDefault = integer("IMPS_TTL_DEFAULT", 1, 86_400 * 7);
  if (ttlDefault < ttlMin || ttlDefault > ttlMax) {
    throw new ConfigError(
      `IMPS_TTL_DEFAULT must lie between IMPS_TTL_MIN (${ttlMin}) and IMPS_TTL_MAX (${ttlMax})`,
    );
  }
  const autoGrant = get("IMPS_PRESENCE_AUTOGRANT")!;
  if (autoGrant !== "true" && autoGrant !== "false") {
    throw new ConfigError(`IMPS_PRESENCE_AUTOGRANT must be "true" or "false", got "${autoGrant}"`);
  }
  const dataPath = get("IMPS_DATA")!;
  return {
    host: get("IMPS_HOST")!,
    port: integer("IMPS_PORT", 0, 65_535),
    domain,
    dataPath,
    tlsCert,
    tlsKey,
    secret,
    maxBodyBytes: integer("IMPS_MAX_BODY", 1024, 64 * 1024 * 1024),
    ttlMin,
    ttlMax,
    ttlDefault,
    pollMin: integer("IMPS_POLL_MIN", 1, 86_400),
    core,
    spName: get("IMPS_SP_NAME")!,
    presenceAutoGrant: autoGrant === "true",
    // A stored message and its queued copy are each one KV value (at most 64 KiB).
    maxMessageBytes: integer("IMPS_MAX_MESSAGE", 1, 60_000),
    mailboxSize: integer("IMPS_MAILBOX_SIZE", 1, 100_000),
  };
}
