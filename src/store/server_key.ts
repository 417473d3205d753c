/**
 * The server key: what seals passwords at rest for digest (4-way) login. IMPS_SECRET when the
 * operator sets it; otherwise a random key made once and kept in a file beside the KV file
 * (owner-only), so that handsets, which log in only with a digest, can log in from the first
 * start. A `:memory:` store gets a key that lives as long as the process, like its data. A remote
 * store has no local directory to keep a file in: the configuration refuses it without
 * IMPS_SECRET (config.ts).
 */
import type { Config } from "../config.ts";
import { toBase64 } from "../util/crypto.ts";
import { isKvFile } from "./kv.ts";

export interface ServerKey {
  secret: string;
  /** Where the key comes from: the setting, the key file, or the process's memory. */
  source: "IMPS_SECRET" | "file" | "memory";
  /** The key file, for the "file" source. */
  path?: string;
  /** Whether the file was made just now. */
  created: boolean;
  /** Something the operator should hear about the file (its permissions). */
  warning?: string;
}

/** Shortest key accepted, in characters (IMPS_SECRET has the same bound). */
export const MIN_KEY_CHARS = 16;

export class ServerKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerKeyError";
  }
}

/** The key file of an embedded store: the KV file's path with `.key` added. */
export function keyFilePath(dataPath: string): string | undefined {
  if (!isKvFile(dataPath)) return undefined;
  return `${dataPath}.key`;
}

/** A new random key: 32 bytes, as base64 text. */
export function newKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** Finds (or, for an embedded store, makes) the key the server and the admin command use. */
export async function loadServerKey(config: Config): Promise<ServerKey> {
  if (config.secret !== undefined) {
    return { secret: config.secret, source: "IMPS_SECRET", created: false };
  }
  const path = keyFilePath(config.dataPath);
  if (path === undefined) {
    if (config.dataPath === ":memory:") {
      return { secret: newKey(), source: "memory", created: false };
    }
    // config.ts refuses this; kept so that no caller can end up with an unsealed shared store.
    throw new ServerKeyError("IMPS_SECRET is required with a remote or the platform's store");
  }
  // Loaded only for a key file: the file system is no part of a host without one.
  const { createKeyFile, readKeyFile } = await import("./server_key_file.ts");
  const existing = await readKeyFile(path);
  if (existing !== undefined) return { ...existing, source: "file", path, created: false };
  const secret = newKey();
  if (await createKeyFile(path, secret)) return { secret, source: "file", path, created: true };
  // Another process (the admin command beside the server) made it first: theirs is the key.
  return { ...(await readKeyFile(path))!, source: "file", path, created: false };
}

/** One line for the start-up log: where the key is and what to do with it. */
export function describeKey(key: ServerKey): string {
  switch (key.source) {
    case "IMPS_SECRET":
      return "server key: IMPS_SECRET";
    case "memory":
      return "server key: made for this process (the store is :memory:)";
    case "file":
      return `server key: ${key.created ? "generated " : ""}${key.path} ` +
        "(back it up with the KV file: it seals the passwords for digest login)";
  }
}
