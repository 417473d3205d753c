/**
 * What the service access point keeps, declared for its primitives: the nonces of 4-way (digest)
 * logins, handed out at step 1 and used up at step 2. `nonces.ts` keeps them in Deno KV, with the
 * bounds per user and per client address.
 */
import type { DigestSchema } from "../../util/crypto.ts";

export interface Nonce {
  nonce: string;
  schema: DigestSchema;
}

/** The outstanding nonces of 4-way logins, as Login uses them. */
export interface LoginNonceStorage {
  /** A new nonce for `userId` asked from `address`, or undefined when the user has too many
   * attempts in progress from other addresses. */
  issue(userId: string, schema: DigestSchema, from: string): Promise<Nonce | undefined>;

  /**
   * Step 2: finds the outstanding nonce of `userId` that `proves` accepts and uses it up. When
   * none does, the oldest nonce `address` was handed for the user is used up instead.
   */
  redeem(
    userId: string,
    from: string,
    proves: (nonce: Nonce) => boolean,
  ): Promise<boolean>;
}
