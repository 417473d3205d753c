/** What the service access point works with: the server, and the digest nonces of its logins. */
import type { ServerContext } from "../../session/handler.ts";
import { hashPassword, type PasswordHash } from "../../util/crypto.ts";
import { randomHex } from "../../util/ids.ts";
import { LoginNonces } from "./nonces.ts";

export class Access {
  /** The outstanding nonces of 4-way logins. */
  readonly nonces: LoginNonces;
  /** A hash of no password, made once, checked for an unknown user so that their login costs
   * as much as a real one. */
  readonly decoy: Promise<PasswordHash>;

  constructor(readonly server: ServerContext) {
    this.nonces = new LoginNonces(server.store);
    this.decoy = hashPassword(randomHex(16));
  }
}
