/** What the group element needs besides the server; `services/mod.ts` fills it in. */
import type { SspTransport } from "../../federation/relay.ts";

export interface GroupHooks {
  /** The SSP transport (federation on): groups of other domains, and users of other domains in
   * ours. Without it, a request about a group of another domain gets 516, and users of other
   * domains cannot join (so they hear nothing). */
  federation?: SspTransport;
}
