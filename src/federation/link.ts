/** One peer domain as the session layer sees it: handshake state, session ids, connections. */
import type { PipelinedConnection } from "../transport/ssp/pipeline_client.ts";

export type LinkState = "idle" | "handshaking" | "established";

/** How a peer stood when last dealt with, and why (logged on every change). */
export interface PeerHealth {
  state?: "up" | "down";
  /** The kind of reason: "session up", "no endpoint", "connection refused", "handshake
   * refused", "wrong secret", "unreachable", "give-up". */
  kind?: string;
  reason?: string;
  /** Epoch ms since which it stands so. */
  since?: number;
}

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

export function deferred(): Deferred {
  let resolve!: () => void, reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Waiters attach their own handlers; an unwaited failure is not an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export class PeerLink {
  state: LinkState = "idle";
  role?: "initiator" | "responder";
  /** Transaction id of the SetupTransaction exchange under way. */
  setupTid?: string;
  /** The token we sent: the peer proves it with its LoginRequest digest. */
  ownToken?: string;
  /** The peer's token: we prove it in ours. */
  peerToken?: string;
  /** The session id we issued (ours in every envelope we send) and the one the peer issued. */
  ownSessionId?: string;
  peerSessionId?: string;
  expiresAt = 0;
  /** Settled when a handshake under way ends, whichever side began it. */
  waiting?: Deferred;
  /** The endpoint in use, once found (and after a redirect, the redirected one). */
  url?: URL;
  /** Our outbound connections to the peer: connection 1 of each pair. */
  readonly connections: PipelinedConnection[] = [];
  /** Connections being opened, so concurrent senders share them. */
  opening?: Promise<PipelinedConnection>;
  health?: PeerHealth;
  /** Pause before our LoginRequest learned from this peer (see BARAZA_LOGIN_DELAY_MS), ms. */
  loginDelayMs = 0;
  /** Connections in a row that closed without replying to a session post, the last of them. */
  silentCloses = 0;
  lastSilentClose?: PipelinedConnection;

  constructor(readonly domain: string) {}

  /** A handshake is under way, whichever side began it. */
  get busy(): boolean {
    return this.waiting !== undefined || this.state === "handshaking";
  }

  get established(): boolean {
    return this.state === "established" && Date.now() < this.expiresAt;
  }
}
