import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { FairQueue } from "./fair_queue.ts";

/** Password hashing, sealing at rest and login digests. */

const enc = new TextEncoder();

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array | undefined {
  try {
    const s = atob(text.replace(/\s+/g, ""));
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Compares without an early exit, so timing does not tell how much of a secret matched. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export interface PasswordHash {
  alg: "pbkdf2-sha256";
  iterations: number;
  salt: string;
  hash: string;
}

/** OWASP's 2021 figure for PBKDF2-SHA256; about 45 ms per login on a small server core. */
export const PBKDF2_ITERATIONS = 310_000;

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(
  password: string,
  iterations = PBKDF2_ITERATIONS,
): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, iterations);
  return { alg: "pbkdf2-sha256", iterations, salt: toBase64(salt), hash: toBase64(hash) };
}

/**
 * Password checks of the whole process, one at a time on a machine of two cores (one fewer than
 * its cores): hashing never takes every core from the requests that need none, and a flood of
 * logins from one address waits its own turn, not the others' (see FairQueue). An address may
 * have 2 checks waiting, the process 64; beyond, `checkPassword` throws QueueFull.
 */
const passwordChecks = new FairQueue({
  concurrency: Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1),
  perLane: 2,
  total: 64,
});

/** verifyPassword through the process's queue of password checks, in the lane of `client`. */
export function checkPassword(
  password: string,
  stored: PasswordHash,
  client: string,
): Promise<boolean> {
  return passwordChecks.run(client, () => verifyPassword(password, stored));
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const salt = fromBase64(stored.salt)!;
  const expected = fromBase64(stored.hash)!;
  return constantTimeEqual(await pbkdf2(password, salt, stored.iterations), expected);
}

/** AES-GCM sealed bytes. The key is derived from the operator's IMPS_SECRET. */
export interface Sealed {
  iv: string;
  data: string;
}

export class Sealer {
  private constructor(private readonly key: CryptoKey) {}

  static async fromSecret(secret: string): Promise<Sealer> {
    const material = await crypto.subtle.importKey("raw", enc.encode(secret), "HKDF", false, [
      "deriveKey",
    ]);
    const key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: enc.encode("imps-seal-v1"), info: new Uint8Array() },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    return new Sealer(key);
  }

  async seal(plain: string, context: string): Promise<Sealed> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: enc.encode(context) },
      this.key,
      enc.encode(plain),
    );
    return { iv: toBase64(iv), data: toBase64(new Uint8Array(data)) };
  }

  /** Undefined when the secret changed or the record was tampered with. */
  async open(sealed: Sealed, context: string): Promise<string | undefined> {
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: fromBase64(sealed.iv)! as BufferSource,
          additionalData: enc.encode(context),
        },
        this.key,
        fromBase64(sealed.data)! as BufferSource,
      );
      return new TextDecoder().decode(plain);
    } catch {
      return undefined;
    }
  }
}

/** Digest schemas of the 4-way login, strongest first. */
export const DIGEST_SCHEMAS = ["SHA", "MD5"] as const;
export type DigestSchema = typeof DIGEST_SCHEMAS[number];

/** `HASH(nonce ‖ password)` with both taken as ISO-8859-1 bytes (digest §2.2). */
export function loginDigest(schema: DigestSchema, nonce: string, password: string): Uint8Array {
  // WebCrypto has no MD5, which the protocol's MD5 schema needs; node:crypto has both.
  const hash = createHash(schema === "SHA" ? "sha1" : "md5");
  hash.update(Buffer.from(nonce + password, "latin1"));
  return new Uint8Array(hash.digest());
}
