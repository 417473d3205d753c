/** What the SSP session layer needs from the server configuration. */
import type { Config } from "../config.ts";

export interface FederationConfig {
  domain: string;
  /** Static peer endpoints: domain → URL of its SSP endpoint. */
  peers: Record<string, string>;
  /** Domains federated with (and their subdomains); empty: every domain not denied. */
  allow: string[];
  deny: string[];
  /** Shared secret per peer domain, else the server-wide one, else none (Baraza-compatible). */
  secrets: Record<string, string>;
  secret?: string;
  /** Peers that prove MD5(token), Baraza's way, whatever secret is configured. */
  md5Peers: string[];
  /** Redirect a peer's first SendSecretToken to this node (seed §5.5), to spread load. */
  redirect?: string;
  /** Connection pairs opened at most per peer (seed §5.3). */
  pairs: number;
  /** Pause before our LoginRequest, ms: Baraza commits its side of the handshake late. */
  loginDelayMs: number;
  /** With other instances on the store: how often one waiting on another looks, ms. */
  lookMs: number;
  /** Extra PEM certificates trusted for https peers. */
  caCerts?: string[];
}

export function federationConfig(config: Config, caCerts?: string[]): FederationConfig {
  return {
    domain: config.domain,
    peers: config.sspPeers,
    allow: config.sspAllow,
    deny: config.sspDeny,
    secrets: config.sspPeerSecrets,
    secret: config.sspSecret,
    md5Peers: config.sspMd5Peers,
    redirect: config.sspRedirect,
    pairs: config.sspPairs,
    loginDelayMs: config.sspLoginDelayMs,
    // A wait for another instance's handshake is short and bounded: looked at no slower than
    // the inbox's looks are by default, even where those are only a watch's safety net.
    lookMs: Math.min(config.sharedLookMs, 50),
    caCerts,
  };
}
