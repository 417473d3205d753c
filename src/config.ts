/**
 * Server configuration, read from the environment once at start. Every value is validated so an
 * operator learns of a typo at start, not at the first request that needs it.
 */

import type { CoreKind } from "./core/mod.ts";
import { isSharedStore, PLATFORM_STORE } from "./store/kv.ts";
import { parseUserId } from "./services/shared/ids.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./observe/log.ts";
import { AddressList } from "./util/address_list.ts";

/** How an instance in shared mode is woken for what other instances pass it. */
export type SharedWake = "watch" | "look";

export interface Config {
  host: string;
  port: number;
  /** The IMPS domain this server serves: users are `wv:name@<domain>`. */
  domain: string;
  /** Deno KV path, `:memory:`, a KV Connect URL, or PLATFORM_STORE (`Deno.openKv()`). */
  dataPath: string;
  /** Whether several server processes use the store at once (IMPS_SHARED, or a store that only
   * exists shared: a URL, the platform's): each then reads what it would otherwise keep in
   * memory, and a KV file is locked as shared. */
  shared: boolean;
  /** In shared mode, how an instance learns that other instances passed it something (SSP
   * answers, CIR wake-ups) while it awaits any (IMPS_SHARED_WAKE): `watch`, a KV watch of a key
   * of its own, where the store carries watches across instances (a URL, the platform's: the
   * default there); `look`, looks alone (the default on a KV file, where watches do not cross
   * processes). */
  sharedWake: SharedWake;
  /** In shared mode, ms between looks into the instance's inbox while it awaits anything
   * (IMPS_SHARED_LOOK_MS): 50 by default with `look`; with `watch`, a safety net should a
   * watch stall, 1000 by default. */
  sharedLookMs: number;
  /** File of users created at start when missing (IMPS_USERS). */
  usersFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Server key for what is sealed at rest (digest-login passwords). Absent: the key file beside
   * the KV file (store/server_key.ts); required with a remote store. */
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
  /** Whether users of other domains are reached over SSP (else they get 516). */
  federation: boolean;
  /** Static SSP endpoints of peer domains (IMPS_PEERS); others are found by DNS SRV. */
  sspPeers: Record<string, string>;
  /** Peer domains federated with (with subdomains); empty: all not denied. */
  sspAllow: string[];
  sspDeny: string[];
  /** Shared SSP secret of every peer without its own (IMPS_SSP_PEER_SECRETS). */
  sspSecret?: string;
  sspPeerSecrets: Record<string, string>;
  /** Peers proving MD5(token) (Baraza's way) even where a shared secret is set. */
  sspMd5Peers: string[];
  /** Endpoint a peer's first SendSecretToken is redirected to, spreading load. */
  sspRedirect?: string;
  /** Connection pairs per peer at most. */
  sspPairs: number;
  /** Pause before sending our SSP LoginRequest, ms (Baraza needs about 1000). */
  sspLoginDelayMs: number;
  /** How long relayed work is retried while a peer is unreachable, seconds. */
  sspGiveUpS: number;
  /** PEM file of CA certificates trusted for https peers, besides the system's (IMPS_SSP_CA). */
  sspCaFile?: string;
  /** Connections held at once; absent: as many as the open-file limit allows; 0: no guard
   * (served by Deno.serve alone, behind a proxy that bounds connections and times them out). */
  maxConnections?: number;
  /** Connections held at once from one client address. */
  maxConnectionsPerAddress: number;
  /** Seconds a request head may take from its first byte (or from connecting). */
  headTimeoutS: number;
  /** Seconds from the end of a request head to the start of its answer (the body arrives). */
  bodyTimeoutS: number;
  /** Seconds a connection may stay idle between requests. */
  idleTimeoutS: number;
  /** Waiting bytes of message content per user (507 beyond). */
  mailboxBytes: number;
  /** Share of a user's mailbox (messages and bytes) one sender may fill, percent (507 beyond). */
  mailboxSenderShare: number;
  /** Sessions one user may hold at once. */
  sessionsPerUser: number;
  /** Invitations pending for one invitee. */
  invitationsPerUser: number;
  /** Searches a session keeps open at once. */
  searchesPerSession: number;
  /** Lowest level logged, and text or JSON lines. */
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Bearer token of GET /metrics and /admin/ (both off without it). */
  adminToken?: string;
  /** Sender of notices to clients older than CSP 1.3 (they have no SystemMessage). */
  systemUser: string;
  /** Login throttling: failures per user, per client address, before a lockout of so long. */
  loginFailures: number;
  loginAddressFailures: number;
  loginLockoutS: number;
  /** Rate limits (rates.ts): requests/s per session and per user, messages/s, recipients/min,
   * group creations/hour, searches/min and content uploads/min per user. */
  rateSessionRequests: number;
  rateUserRequests: number;
  rateMessages: number;
  rateRecipients: number;
  rateGroups: number;
  rateSearches: number;
  rateUploads: number;
  /** Waking clients (CIR): which channels are on and their bounds. */
  cir: CirConfig;
  /** The SMS gateway (Kannel's sendsms interface); absent: no SMS is sent. */
  sms?: SmsGatewayConfig;
  /** SMS from phones (POST /sms): the SMS binding and CLP; absent: not served. */
  smsIn?: SmsBindingConfig;
}

/** The SMS binding's settings (IMPS_SMS_*, IMPS_CLP_IDLE). */
export interface SmsBindingConfig {
  /** Shared secret Kannel puts in the callback URL (`secret=`). */
  secret?: string;
  /** Addresses and networks allowed to call back. */
  allow: string[];
  /** The application port PTS data SMS go to (AOSP: 3590). */
  ptsPort: number;
  /** SMS accepted from one number, and sent to one, per hour. */
  perHour: number;
  /** Bytes of one incoming SMS (as the gateway hands it on, concatenation undone). */
  maxLength: number;
  /** Parts of one PTS message, each way (at most 26). */
  maxParts: number;
  /** How long the first part of a PTS message waits for the others, seconds. */
  partsTimeoutS: number;
  /** Whether numbers no user is registered with may use PTS (logging in by password). */
  open: boolean;
  /** How long a CLP session lasts without an SMS from its phone, seconds. */
  clpIdleS: number;
}

/** The CIR channels (digest §5.2), all off unless set. */
export interface CirConfig {
  /** STCP: the TCP listener clients say HELO on; absent: STCP is off. */
  tcp?: {
    host: string;
    /** 0 picks a free port (the one bound is announced). */
    port: number;
    /** Announced as TCPAddress; absent: the host the client reached /csp at. */
    address?: string;
    /** Serve TLS with IMPS_TLS_CERT and IMPS_TLS_KEY. */
    tls: boolean;
  };
  /** STCP connections held at most, and WebSocket ones; absent: half of what the open-file
   * limit allows (at most 20,000). */
  maxConnections?: number;
  /** STCP connections held at most from one address, and WebSocket ones. */
  maxPerAddress: number;
  /** Seconds a new STCP or WebSocket connection has to say HELO. */
  heloTimeoutS: number;
  /** Seconds an STCP connection may stay silent (no PING) before it is closed. */
  idleTimeoutS: number;
  /** SHTTP: the per-session URL on the HTTP server. */
  http: boolean;
  /** Longest a long poll of the SHTTP URL is held, seconds. */
  httpWaitS: number;
  /** Base of announced CIR URLs; absent: the origin the client reached /csp at. */
  publicUrl?: string;
  /** SUDP and WAPUDP. */
  udp: boolean;
  /** Networks (IPv4 CIDR) inside which a client's own UDPAddress is believed; elsewhere the
   * datagram goes to the address the client connects from. */
  udpNetworks: string[];
  /** Datagrams sent per second at most, by the whole server. */
  udpRate: number;
  /** The WebSocket channel for browsers (`GET /cir/ws`, capability `X-WEBSOCKET`). */
  websocket: boolean;
  /** Keep-alive time of a session with an agreed CIR method, seconds. */
  ttlS: number;
  /** Shortest time between two wake-ups of one session, ms. */
  minGapMs: number;
  /** Wake-up SMS (WAPSMS, SSMS) per user per hour at most. */
  smsPerHour: number;
  /** Whether the MSISDN a client states (HTTP header, ClientID) is believed. */
  trustMsisdn: boolean;
}

/** Kannel's `sendsms` HTTP interface. */
export interface SmsGatewayConfig {
  url: string;
  username?: string;
  password?: string;
  /** Sender address of the SMS; absent: the gateway's own. */
  from?: string;
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
  {
    env: "IMPS_DATA",
    help: `Deno KV file, :memory:, a KV Connect URL, or ${PLATFORM_STORE} (Deno.openKv())`,
    default: "./data/imps.kv",
  },
  {
    env: "IMPS_SHARED",
    help: "true: several servers use the IMPS_DATA file at once (start each with it)",
    default: "false",
  },
  {
    env: "IMPS_SHARED_WAKE",
    help: "shared mode: how an instance learns of SSP answers and CIR wake-ups other instances " +
      "passed it: watch (a KV watch; default on a KV Connect URL and the platform's store) or " +
      "look (looks every IMPS_SHARED_LOOK_MS; default on a KV file, where watches do not cross " +
      "processes)",
  },
  {
    env: "IMPS_SHARED_LOOK_MS",
    help: "shared mode: ms between looks for what other instances passed this one, only while " +
      "it awaits any (default 50 with look; 1000 with watch, a safety net should a watch stall)",
  },
  {
    env: "IMPS_USERS",
    help: "file of users created at start if missing, one '<user-id> <password>' a line",
  },
  { env: "IMPS_TLS_CERT", help: "PEM certificate file; with IMPS_TLS_KEY serves HTTPS" },
  { env: "IMPS_TLS_KEY", help: "PEM private key file; with IMPS_TLS_CERT serves HTTPS" },
  {
    env: "IMPS_SECRET",
    help: "server key (16+ chars) sealing passwords for digest login; unset: a key file " +
      "<IMPS_DATA>.key is made (required with a remote store)",
  },
  {
    env: "IMPS_NEW_SECRET",
    help: "admin key rotate only: the new IMPS_SECRET every password is sealed under",
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
  {
    env: "IMPS_FEDERATION",
    help: "true: reach users of other domains over SSP (default: true when IMPS_PEERS is set)",
  },
  {
    env: "IMPS_PEERS",
    help: "static SSP peers, domain=url,... (others by DNS SRV _imps-server._tcp.<domain>)",
  },
  { env: "IMPS_SSP_ALLOW", help: "comma-separated peer domains allowed (default: all)" },
  { env: "IMPS_SSP_DENY", help: "comma-separated peer domains refused" },
  { env: "IMPS_SSP_SECRET", help: "shared SSP secret of every peer without its own" },
  { env: "IMPS_SSP_PEER_SECRETS", help: "shared SSP secrets per peer, domain=secret,..." },
  {
    env: "IMPS_SSP_MD5_PEERS",
    help: "peers proving MD5(token) as Baraza does, not HMAC-MD5 with a secret",
  },
  { env: "IMPS_SSP_REDIRECT", help: "URL a peer's first SendSecretToken is redirected to" },
  { env: "IMPS_SSP_PAIRS", help: "SSP connection pairs per peer at most", default: "2" },
  {
    env: "IMPS_SSP_LOGIN_DELAY_MS",
    help: "pause before the SSP LoginRequest, ms (Baraza peers need 1000)",
    default: "0",
  },
  {
    env: "IMPS_SSP_GIVE_UP",
    help: "seconds relayed work is retried while a peer is down",
    default: "86400",
  },
  { env: "IMPS_SSP_CA", help: "PEM file of extra CA certificates trusted for https SSP peers" },
  {
    env: "IMPS_MAX_CONNECTIONS",
    help: "connections held at once (default: what the open-file limit allows, 3 each, half " +
      "of it with STCP on; 0: no bounds nor timeouts, only behind a proxy that has them)",
  },
  {
    env: "IMPS_MAX_CONNECTIONS_PER_ADDRESS",
    help: "connections held at once from one client address",
    default: "256",
  },
  { env: "IMPS_HEAD_TIMEOUT", help: "seconds a request head may take", default: "10" },
  {
    env: "IMPS_BODY_TIMEOUT",
    help: "seconds from a request head to its answer (the body must arrive)",
    default: "30",
  },
  {
    env: "IMPS_IDLE_TIMEOUT",
    help: "seconds a connection may idle between requests",
    default: "120",
  },
  {
    env: "IMPS_MAILBOX_BYTES",
    help: "bytes of message content kept waiting per user",
    default: String(1024 * 1024),
  },
  {
    env: "IMPS_MAILBOX_SENDER_SHARE",
    help: "percent of a user's mailbox (messages and bytes) one sender may fill",
    default: "50",
  },
  { env: "IMPS_SESSIONS_PER_USER", help: "sessions one user may hold at once", default: "20" },
  {
    env: "IMPS_INVITATIONS_PER_USER",
    help: "invitations pending for one invitee",
    default: "100",
  },
  {
    env: "IMPS_SEARCHES_PER_SESSION",
    help: "searches one session keeps open at once",
    default: "8",
  },
  {
    env: "IMPS_LOG_LEVEL",
    help: "lowest level logged: debug, info, warn or error",
    default: "info",
  },
  { env: "IMPS_LOG_FORMAT", help: "log lines as text or json", default: "text" },
  {
    env: "IMPS_ADMIN_TOKEN",
    help: "bearer token (16+ chars) of GET /metrics and the /admin/ API; unset: both are off",
  },
  {
    env: "IMPS_SYSTEM_USER",
    help: "sender of admin notices to clients older than CSP 1.3",
    default: "system",
  },
  {
    env: "IMPS_LOGIN_FAILURES",
    help: "failed logins of one user before a lockout (backoff from half of them)",
    default: "10",
  },
  {
    env: "IMPS_LOGIN_ADDRESS_FAILURES",
    help: "failed logins from one client address before a lockout (backoff from half)",
    default: "100",
  },
  { env: "IMPS_LOGIN_LOCKOUT", help: "seconds a lockout lasts", default: "300" },
  { env: "IMPS_RATE_SESSION_REQUESTS", help: "CSP requests/s per session", default: "500" },
  { env: "IMPS_RATE_USER_REQUESTS", help: "CSP requests/s per user", default: "1000" },
  { env: "IMPS_RATE_MESSAGES", help: "messages sent/s per user", default: "300" },
  { env: "IMPS_RATE_RECIPIENTS", help: "message recipients/min per user", default: "30000" },
  { env: "IMPS_RATE_GROUPS", help: "groups created/hour per user", default: "100" },
  { env: "IMPS_RATE_SEARCHES", help: "searches/min per user", default: "600" },
  { env: "IMPS_RATE_UPLOADS", help: "content uploads/min per user", default: "120" },
  {
    env: "IMPS_CIR_TCP_PORT",
    help: "STCP CIR: TCP port clients say HELO on (0 picks one; unset: off)",
  },
  { env: "IMPS_CIR_TCP_HOST", help: "STCP CIR: address to listen on (default IMPS_HOST)" },
  { env: "IMPS_CIR_TCP_ADDRESS", help: "STCP CIR: TCPAddress announced (default: host of /csp)" },
  { env: "IMPS_CIR_TCP_TLS", help: "STCP CIR over TLS (IMPS_TLS_CERT/KEY)", default: "false" },
  {
    env: "IMPS_CIR_TCP_MAX",
    help: "STCP and WebSocket CIR: connections held at most, each (default: half of what the " +
      "open-file limit allows, at most 20000)",
  },
  {
    env: "IMPS_CIR_TCP_PER_IP",
    help: "STCP and WebSocket CIR: connections per address, each",
    default: "100",
  },
  {
    env: "IMPS_CIR_HELO_TIMEOUT",
    help: "CIR: seconds a connection has to say HELO",
    default: "10",
  },
  {
    env: "IMPS_CIR_IDLE_TIMEOUT",
    help: "STCP CIR: seconds without a PING before the connection is closed",
    default: "1800",
  },
  { env: "IMPS_CIR_HTTP", help: "SHTTP CIR: true offers a per-session URL", default: "false" },
  { env: "IMPS_CIR_HTTP_WAIT", help: "SHTTP CIR: longest long poll, seconds", default: "55" },
  { env: "IMPS_CIR_PUBLIC_URL", help: "base of announced CIR URLs (default: origin of /csp)" },
  { env: "IMPS_CIR_UDP", help: "SUDP and WAPUDP CIR: true sends datagrams", default: "false" },
  { env: "IMPS_CIR_UDP_NETWORKS", help: "IPv4 CIDRs where a client's own UDPAddress is believed" },
  { env: "IMPS_CIR_UDP_RATE", help: "CIR datagrams per second at most", default: "1000" },
  {
    env: "IMPS_CIR_WEBSOCKET",
    help: "WebSocket CIR (GET /cir/ws) for clients offering X-WEBSOCKET",
    default: "false",
  },
  { env: "IMPS_CIR_TTL", help: "keep-alive time of sessions with a CIR, seconds", default: "7200" },
  {
    env: "IMPS_CIR_MIN_GAP_MS",
    help: "shortest time between wake-ups of a session",
    default: "250",
  },
  { env: "IMPS_CIR_SMS_PER_HOUR", help: "wake-up SMS per user per hour at most", default: "12" },
  {
    env: "IMPS_SMS_URL",
    help: "Kannel sendsms URL SMS go out by: WAPSMS and SSMS CIR, answers to phones (e.g. " +
      "http://127.0.0.1:13013/cgi-bin/sendsms)",
  },
  { env: "IMPS_SMS_USER", help: "Kannel sendsms-user username" },
  { env: "IMPS_SMS_PASSWORD", help: "Kannel sendsms-user password" },
  { env: "IMPS_SMS_FROM", help: "sender address of SMS (default: the gateway's)" },
  {
    env: "IMPS_SMS_TRUST_MSISDN",
    help: "true: believe the MSISDN a client states (header, ClientID)",
    default: "false",
  },
  {
    env: "IMPS_SMS_SECRET",
    help: "shared secret of Kannel's sms-service callback (POST /sms?secret=...)",
  },
  {
    env: "IMPS_SMS_ALLOW",
    help: "addresses and networks that may call POST /sms, comma-separated (e.g. 127.0.0.1)",
  },
  {
    env: "IMPS_SMS_PER_HOUR",
    help: "SMS binding and CLP: SMS taken from one number, and sent to one, per hour",
    default: "60",
  },
  {
    env: "IMPS_SMS_MAX_LENGTH",
    help: "bytes of one incoming SMS as the gateway hands it on",
    default: "1600",
  },
  {
    env: "IMPS_SMS_MAX_PARTS",
    help: "parts of one PTS message, either way (<= 26)",
    default: "26",
  },
  {
    env: "IMPS_SMS_PARTS_TIMEOUT",
    help: "seconds the parts of a PTS message wait for the rest",
    default: "60",
  },
  {
    env: "IMPS_SMS_PTS_PORT",
    help: "application port of PTS data SMS (the Android engine's 3590)",
    default: "3590",
  },
  {
    env: "IMPS_SMS_OPEN",
    help: "true: numbers no user has may log in by PTS with a password",
    default: "false",
  },
  {
    env: "IMPS_CLP_IDLE",
    help: "seconds a CLP session lasts without an SMS from its phone",
    default: "86400",
  },
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
    "usage: deno task start [--version | --help | --env-example]",
    "",
    "Configuration is read from the environment (or a file: deno task --env-file=FILE start;",
    "--env-example prints one listing every setting):",
    ...lines,
  ].join("\n");
}

/**
 * An example settings file for Deno's `--env-file` (`deno task --env-file=imps.env start`): every
 * setting with what it means and its default, commented out, to uncomment and change.
 * `deploy/imps.env.example` is this text (a test keeps them in step).
 */
export function envExample(): string {
  const blocks = SETTINGS.map((s) => `# ${s.help}\n# ${s.env}=${s.default ?? ""}`);
  return [
    "# IMPS server settings, for: deno task --env-file=imps.env start",
    "# Every setting is listed with its default; uncomment a line to change it. Variables set in",
    "# the environment itself win over this file. Written by: deno task start --env-example",
    "",
    ...blocks.map((b) => b + "\n"),
  ].join("\n").trimEnd() + "\n";
}

const DOMAIN_RE =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Where the settings are read: `process` for `deno task start` (a process of its own, its own
 * port and files); `deploy` for the fetch entry (`src/deploy.ts`, Deno Deploy and `deno serve`),
 * where the host listens and terminates TLS, the store defaults to the platform's, every isolate
 * is one of several instances, and IMPS_SECRET is required.
 */
export type Host = "process" | "deploy";

/** Settings the deploy entry has no use for: the host listens, and terminates TLS. */
const PROCESS_ONLY = ["IMPS_HOST", "IMPS_PORT", "IMPS_TLS_CERT", "IMPS_TLS_KEY"];

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(
  env: Record<string, string | undefined>,
  runsOn: Host = "process",
): Config {
  const get = (name: string): string | undefined => {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") return value.trim();
    if (runsOn === "deploy" && name === "IMPS_DATA") return PLATFORM_STORE;
    return SETTINGS.find((s) => s.env === name)?.default;
  };
  if (runsOn === "deploy") {
    const set = PROCESS_ONLY.find((name) => env[name] !== undefined && env[name]!.trim() !== "");
    if (set) {
      throw new ConfigError(
        `${set} has no effect on the deploy entry: the host (Deno Deploy, deno serve) listens ` +
          "and terminates TLS; unset it",
      );
    }
    const socketCir = ["IMPS_CIR_TCP_PORT", "IMPS_CIR_UDP"].find((name) =>
      get(name) !== undefined && get(name) !== "false"
    );
    if (socketCir) {
      throw new ConfigError(
        `${socketCir} needs sockets of the server's own, which the deploy entry has not: CIR ` +
          "there is SHTTP (IMPS_CIR_HTTP) or WebSocket (IMPS_CIR_WEBSOCKET)",
      );
    }
    if (get("IMPS_SECRET") === undefined) {
      throw new ConfigError(
        "IMPS_SECRET is required on the deploy entry: a deployment keeps no key file, and every " +
          "isolate must seal with the same key",
      );
    }
  }
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
  const host = get("IMPS_HOST")!;
  if (!validHost(host)) {
    throw new ConfigError(`IMPS_HOST must be an IP address or a host name, got "${host}"`);
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
  if (isSharedStore(dataPath) && secret === undefined) {
    throw new ConfigError(
      `IMPS_SECRET is required with a remote store (IMPS_DATA is ${
        dataPath === PLATFORM_STORE ? PLATFORM_STORE : "a URL"
      }): there is no local directory to keep a generated key in, and every instance must use ` +
        "the same key",
    );
  }
  const sharedWake = (get("IMPS_SHARED_WAKE") ?? (isSharedStore(dataPath) ? "watch" : "look"))
    .toLowerCase();
  if (sharedWake !== "watch" && sharedWake !== "look") {
    throw new ConfigError(`IMPS_SHARED_WAKE must be "watch" or "look", got "${sharedWake}"`);
  }
  const sharedSetting = get("IMPS_SHARED")!;
  if (sharedSetting !== "true" && sharedSetting !== "false") {
    throw new ConfigError(`IMPS_SHARED must be "true" or "false", got "${sharedSetting}"`);
  }
  if (sharedSetting === "true" && dataPath === ":memory:") {
    throw new ConfigError(
      "IMPS_SHARED=true needs a store several processes can open: a :memory: store lives in " +
        "one process (give IMPS_DATA a KV file or a URL)",
    );
  }
  // Static peers mean federation: IMPS_PEERS alone turns it on, and contradicting it is refused.
  const federation = get("IMPS_FEDERATION") ?? (get("IMPS_PEERS") ? "true" : "false");
  if (federation !== "true" && federation !== "false") {
    throw new ConfigError(`IMPS_FEDERATION must be "true" or "false", got "${federation}"`);
  }
  if (federation === "false" && get("IMPS_PEERS")) {
    throw new ConfigError("IMPS_PEERS names SSP peers but IMPS_FEDERATION is false");
  }
  const domainList = (name: string): string[] =>
    (get(name) ?? "").split(",").map((d) => d.trim().toLowerCase()).filter((d) => {
      if (d !== "" && !DOMAIN_RE.test(d)) {
        throw new ConfigError(`${name} must list DNS domain names, got "${d}"`);
      }
      return d !== "";
    });
  const domainMap = (name: string, isUrl: boolean): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const entry of (get(name) ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
      const eq = entry.indexOf("=");
      const key = entry.slice(0, eq).trim().toLowerCase();
      const value = entry.slice(eq + 1).trim();
      if (eq < 1 || !DOMAIN_RE.test(key) || value === "" || (isUrl && !httpUrl(value))) {
        throw new ConfigError(
          `${name} must be domain=${isUrl ? "http(s) URL" : "value"},..., got "${entry}"`,
        );
      }
      out[key] = value;
    }
    return out;
  };
  const logLevel = get("IMPS_LOG_LEVEL")!.toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`IMPS_LOG_LEVEL must be ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  const logFormat = get("IMPS_LOG_FORMAT")!.toLowerCase();
  if (logFormat !== "text" && logFormat !== "json") {
    throw new ConfigError(`IMPS_LOG_FORMAT must be "text" or "json", got "${logFormat}"`);
  }
  const adminToken = get("IMPS_ADMIN_TOKEN");
  if (adminToken !== undefined && (adminToken.length < 16 || /\s/.test(adminToken))) {
    throw new ConfigError("IMPS_ADMIN_TOKEN must be at least 16 characters, without spaces");
  }
  const sspRedirect = get("IMPS_SSP_REDIRECT");
  if (sspRedirect !== undefined && !httpUrl(sspRedirect)) {
    throw new ConfigError(`IMPS_SSP_REDIRECT must be an http(s) URL, got "${sspRedirect}"`);
  }
  return {
    host,
    port: integer("IMPS_PORT", 0, 65_535),
    domain,
    dataPath,
    // Under the deploy entry every isolate is one instance of several (but for :memory:, which
    // only suits one `deno serve` worker).
    shared: sharedSetting === "true" || isSharedStore(dataPath) ||
      (runsOn === "deploy" && dataPath !== ":memory:"),
    sharedWake,
    sharedLookMs: get("IMPS_SHARED_LOOK_MS") === undefined
      ? (sharedWake === "watch" ? 1_000 : 50)
      : integer("IMPS_SHARED_LOOK_MS", 5, 60_000),
    usersFile: get("IMPS_USERS"),
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
    federation: federation === "true",
    sspPeers: domainMap("IMPS_PEERS", true),
    sspAllow: domainList("IMPS_SSP_ALLOW"),
    sspDeny: domainList("IMPS_SSP_DENY"),
    sspSecret: get("IMPS_SSP_SECRET"),
    sspPeerSecrets: domainMap("IMPS_SSP_PEER_SECRETS", false),
    sspMd5Peers: domainList("IMPS_SSP_MD5_PEERS"),
    sspRedirect,
    sspPairs: integer("IMPS_SSP_PAIRS", 1, 16),
    sspLoginDelayMs: integer("IMPS_SSP_LOGIN_DELAY_MS", 0, 10_000),
    sspGiveUpS: integer("IMPS_SSP_GIVE_UP", 1, 30 * 86_400),
    sspCaFile: get("IMPS_SSP_CA"),
    maxConnections: get("IMPS_MAX_CONNECTIONS") === undefined
      ? undefined
      : integer("IMPS_MAX_CONNECTIONS", 0, 1_000_000),
    maxConnectionsPerAddress: integer("IMPS_MAX_CONNECTIONS_PER_ADDRESS", 1, 1_000_000),
    headTimeoutS: integer("IMPS_HEAD_TIMEOUT", 1, 3600),
    bodyTimeoutS: integer("IMPS_BODY_TIMEOUT", 1, 3600),
    idleTimeoutS: integer("IMPS_IDLE_TIMEOUT", 1, 86_400),
    mailboxBytes: integer("IMPS_MAILBOX_BYTES", 1024, 1024 * 1024 * 1024),
    mailboxSenderShare: integer("IMPS_MAILBOX_SENDER_SHARE", 1, 100),
    sessionsPerUser: integer("IMPS_SESSIONS_PER_USER", 1, 10_000),
    invitationsPerUser: integer("IMPS_INVITATIONS_PER_USER", 1, 100_000),
    searchesPerSession: integer("IMPS_SEARCHES_PER_SESSION", 1, 1000),
    logLevel,
    logFormat,
    adminToken,
    systemUser: systemUser(get("IMPS_SYSTEM_USER")!, domain),
    loginFailures: integer("IMPS_LOGIN_FAILURES", 1, 1_000_000),
    loginAddressFailures: integer("IMPS_LOGIN_ADDRESS_FAILURES", 1, 1_000_000),
    loginLockoutS: integer("IMPS_LOGIN_LOCKOUT", 1, 86_400),
    rateSessionRequests: integer("IMPS_RATE_SESSION_REQUESTS", 1, 1_000_000),
    rateUserRequests: integer("IMPS_RATE_USER_REQUESTS", 1, 1_000_000),
    rateMessages: integer("IMPS_RATE_MESSAGES", 1, 1_000_000),
    rateRecipients: integer("IMPS_RATE_RECIPIENTS", 1, 100_000_000),
    rateGroups: integer("IMPS_RATE_GROUPS", 1, 1_000_000),
    rateSearches: integer("IMPS_RATE_SEARCHES", 1, 1_000_000),
    rateUploads: integer("IMPS_RATE_UPLOADS", 1, 1_000_000),
    cir: cirConfig(get, integer, ttlMin),
    ...smsConfig(get, integer),
  };
}

type Getter = (name: string) => string | undefined;

function flag(get: Getter, name: string): boolean {
  const value = get(name)!;
  if (value !== "true" && value !== "false") {
    throw new ConfigError(`${name} must be "true" or "false", got "${value}"`);
  }
  return value === "true";
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function cirConfig(
  get: Getter,
  integer: (name: string, min: number, max: number) => number,
  ttlMin: number,
): CirConfig {
  const tcpPort = get("IMPS_CIR_TCP_PORT");
  const publicUrl = get("IMPS_CIR_PUBLIC_URL");
  if (publicUrl !== undefined && !httpUrl(publicUrl)) {
    throw new ConfigError(`IMPS_CIR_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }
  const udpNetworks = (get("IMPS_CIR_UDP_NETWORKS") ?? "").split(",").map((n) => n.trim())
    .filter((n) => n !== "");
  for (const network of udpNetworks) {
    const m = network.match(IPV4_CIDR);
    if (!m || m.slice(1, 5).some((b) => Number(b) > 255) || Number(m[5]) > 32) {
      throw new ConfigError(`IMPS_CIR_UDP_NETWORKS must list IPv4 CIDRs, got "${network}"`);
    }
  }
  const tls = flag(get, "IMPS_CIR_TCP_TLS");
  if (tls && (get("IMPS_TLS_CERT") === undefined || tcpPort === undefined)) {
    throw new ConfigError(
      "IMPS_CIR_TCP_TLS needs IMPS_CIR_TCP_PORT, IMPS_TLS_CERT and IMPS_TLS_KEY",
    );
  }
  const tcpHost = get("IMPS_CIR_TCP_HOST") ?? get("IMPS_HOST")!;
  if (!validHost(tcpHost)) {
    throw new ConfigError(
      `IMPS_CIR_TCP_HOST must be an IP address or a host name, got "${tcpHost}"`,
    );
  }
  return {
    tcp: tcpPort === undefined ? undefined : {
      host: tcpHost,
      port: integer("IMPS_CIR_TCP_PORT", 0, 65_535),
      address: get("IMPS_CIR_TCP_ADDRESS"),
      tls,
    },
    maxConnections: get("IMPS_CIR_TCP_MAX") === undefined
      ? undefined
      : integer("IMPS_CIR_TCP_MAX", 1, 1_000_000),
    maxPerAddress: integer("IMPS_CIR_TCP_PER_IP", 1, 1_000_000),
    heloTimeoutS: integer("IMPS_CIR_HELO_TIMEOUT", 1, 300),
    idleTimeoutS: integer("IMPS_CIR_IDLE_TIMEOUT", 1, 86_400),
    http: flag(get, "IMPS_CIR_HTTP"),
    httpWaitS: integer("IMPS_CIR_HTTP_WAIT", 1, 600),
    publicUrl: publicUrl?.replace(/\/+$/, ""),
    udp: flag(get, "IMPS_CIR_UDP"),
    udpNetworks,
    udpRate: integer("IMPS_CIR_UDP_RATE", 1, 1_000_000),
    websocket: flag(get, "IMPS_CIR_WEBSOCKET"),
    ttlS: integer("IMPS_CIR_TTL", ttlMin, 86_400 * 7),
    minGapMs: integer("IMPS_CIR_MIN_GAP_MS", 0, 60_000),
    smsPerHour: integer("IMPS_CIR_SMS_PER_HOUR", 0, 3600),
    trustMsisdn: flag(get, "IMPS_SMS_TRUST_MSISDN"),
  };
}

/** The gateway's sendsms settings, and whether (and how) SMS from phones are taken. */
function smsConfig(
  get: Getter,
  integer: (name: string, min: number, max: number) => number,
): Pick<Config, "sms" | "smsIn"> {
  const url = get("IMPS_SMS_URL");
  if (url !== undefined && !httpUrl(url)) {
    throw new ConfigError(`IMPS_SMS_URL must be an http(s) URL, got "${url}"`);
  }
  const sms = url === undefined ? undefined : {
    url,
    username: get("IMPS_SMS_USER"),
    password: get("IMPS_SMS_PASSWORD"),
    from: get("IMPS_SMS_FROM"),
  };
  const secret = get("IMPS_SMS_SECRET");
  const allow = (get("IMPS_SMS_ALLOW") ?? "").split(",").map((a) => a.trim()).filter(Boolean);
  try {
    new AddressList(allow);
  } catch (error) {
    throw new ConfigError(`IMPS_SMS_ALLOW: ${(error as Error).message}`);
  }
  if (secret === undefined && allow.length === 0) return { sms };
  if (!sms) {
    throw new ConfigError(
      "IMPS_SMS_SECRET or IMPS_SMS_ALLOW takes SMS in, which are answered through IMPS_SMS_URL: " +
        "set it too",
    );
  }
  if (secret !== undefined && secret.length < 16) {
    throw new ConfigError("IMPS_SMS_SECRET must be at least 16 characters long");
  }
  return {
    sms,
    smsIn: {
      secret,
      allow,
      ptsPort: integer("IMPS_SMS_PTS_PORT", 1, 65_535),
      perHour: integer("IMPS_SMS_PER_HOUR", 1, 100_000),
      maxLength: integer("IMPS_SMS_MAX_LENGTH", 140, 64 * 1024),
      maxParts: integer("IMPS_SMS_MAX_PARTS", 1, 26),
      partsTimeoutS: integer("IMPS_SMS_PARTS_TIMEOUT", 1, 3600),
      open: flag(get, "IMPS_SMS_OPEN"),
      clpIdleS: integer("IMPS_CLP_IDLE", 60, 30 * 86_400),
    },
  };
}

function systemUser(raw: string, domain: string): string {
  const address = parseUserId(raw, domain);
  if (!address || address.domain !== domain) {
    throw new ConfigError(`IMPS_SYSTEM_USER must be a user id of ${domain}, got "${raw}"`);
  }
  return address.id;
}

/** An IPv4 or IPv6 address, or a DNS host name (looked up when the server listens). */
function validHost(host: string): boolean {
  if (/^[\d.]+$/.test(host)) {
    const parts = host.split(".");
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
  }
  if (host.includes(":")) {
    try {
      return new URL(`http://[${host}]/`).hostname !== "";
    } catch {
      return false;
    }
  }
  return DOMAIN_RE.test(host.toLowerCase());
}

function httpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}
