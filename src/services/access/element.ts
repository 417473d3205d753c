/** What the service access point works with: the server, the digest nonces of its logins and
 * their throttle. */
import type { ServerContext } from "../../session/handler.ts";
import { hashPassword, type PasswordHash } from "../../util/crypto.ts";
import { randomHex } from "../../util/ids.ts";
import { LoginThrottle } from "./login_throttle.ts";
import type { LoginNonceStorage } from "./storage.ts";

export class Access {
  /** A hash of no password, made once, checked for an unknown user so that their login costs
   * as much as a real one. */
  readonly decoy: Promise<PasswordHash>;
  /** Failed logins per user id and client address, and the holds they earned. */
  readonly throttle: LoginThrottle;

  constructor(
    readonly server: ServerContext,
    /** The outstanding nonces of 4-way logins. */
    readonly nonces: LoginNonceStorage,
  ) {
    const { loginFailures, loginAddressFailures, loginLockoutS } = server.config;
    this.throttle = new LoginThrottle({
      userFailures: loginFailures,
      addressFailures: loginAddressFailures,
      lockoutMs: loginLockoutS * 1000,
    });
    this.decoy = hashPassword(randomHex(16));
  }
}
