/**
 * Federated test servers: several domains on loopback in one process, each with its own port,
 * domain and KV, each told the others' SSP endpoints through IMPS_PEERS (so ports are picked
 * before the servers start), and CSP clients for their users.
 */
import assert from "node:assert/strict";
import { type Config, loadConfig } from "../../src/config.ts";
import { loadCore } from "../../src/core/mod.ts";
import { createServer, type ImpsServer } from "../../src/server.ts";
import { hashPassword } from "../../src/util/crypto.ts";
import type { CspTransaction, ElementObject } from "../../src/codec/csp/message.ts";
import { CspClient, PASSWORD } from "../support/harness.ts";
import { startInstances, testShape } from "../support/shapes.ts";
import { startBarazaWire } from "./baraza_wire.ts";

/** Ports this process has handed out: a test asking for three must never get one twice. */
const handedOut = new Set<number>();

/**
 * A port free right now, below the ephemeral range (32768 and up on Linux), so that outgoing
 * connections of other processes on a busy machine do not take it before the server binds it;
 * never one handed out before, since a test picks all its ports before it starts any server.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return await Promise.resolve(port);
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
}

export interface Node extends AsyncDisposable {
  domain: string;
  port: number;
  server: ImpsServer;
  config: Config;
  /** Adds the users and logs each one in (CSP 1.2). */
  login(...names: string[]): Promise<CspClient[]>;
  close(): Promise<void>;
}

export interface NodeOptions {
  /** Other domains' ports (plain HTTP) or SSP URLs, for IMPS_PEERS. */
  peers: Record<string, number | string>;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string; key: string };
  env?: Record<string, string>;
  /** A KV file (to restart with the same state); default in memory. */
  dataPath?: string;
}

export const sspUrl = (port: number) => `http://127.0.0.1:${port}/ssp`;

export async function startNode(domain: string, port: number, options: NodeOptions): Promise<Node> {
  const env: Record<string, string> = {
    IMPS_CORE: Deno.env.get("IMPS_CORE") ?? "wasm",
    IMPS_DOMAIN: domain,
    IMPS_DATA: options.dataPath ?? ":memory:",
    IMPS_SECRET: "test-secret-0123456789",
    IMPS_FEDERATION: "true",
    IMPS_PEERS: Object.entries(options.peers)
      .map(([d, p]) => `${d}=${typeof p === "number" ? sspUrl(p) : p}`).join(","),
    ...options.env,
  };
  // Over HTTPS a domain stays one server in this process (its test CA is trusted here only).
  const shape = options.tls ? "one" : testShape();
  const dir = shape !== "one" && env.IMPS_DATA === ":memory:"
    ? await Deno.makeTempDir()
    : undefined;
  if (dir) env.IMPS_DATA = `${dir}/imps.kv`;
  const config = loadConfig(shape === "one" ? env : { ...env, IMPS_SHARED: "true" });
  const core = await loadCore(config.core);
  const server = await createServer(config, { parseXml: core.parseXml, sweepIntervalMs: 0 });
  // In the shapes of several instances, this process's server serves nothing: clients and peers
  // reach the domain's instances through a proxy on the domain's port.
  const http = shape === "one"
    ? Deno.serve({ hostname: "127.0.0.1", port, onListen() {}, ...options.tls }, server.app.fetch)
    : await startInstances(shape, env, port).catch(async (error) => {
      await server.close();
      throw error;
    });
  const cspUrl = `${options.tls ? "https" : "http"}://127.0.0.1:${port}/csp`;
  // The test's own CA is trusted by a client of its own (HTTPS nodes).
  const client = options.tls && options.env?.IMPS_SSP_CA
    ? Deno.createHttpClient({ caCerts: [await Deno.readTextFile(options.env.IMPS_SSP_CA)] })
    : undefined;
  const transport = (body: string | Uint8Array<ArrayBuffer>, type: string) =>
    fetch(cspUrl, { method: "POST", body, headers: { "content-type": type }, client });
  const close = async () => {
    if ("shutdown" in http) await http.shutdown();
    else await http.close();
    await server.close();
    client?.close();
    if (dir) await Deno.remove(dir, { recursive: true });
  };
  return {
    domain,
    port,
    server,
    config,
    async login(...names) {
      const clients = [];
      for (const name of names) {
        const id = `wv:${name}@${domain}`;
        const ctx = server.context;
        if (!await ctx.users.get(id)) {
          await ctx.users.create({
            id,
            password: await hashPassword(PASSWORD),
            sealedPassword: ctx.sealer ? await ctx.sealer.seal(PASSWORD, id) : undefined,
            createdAt: Date.now(),
          });
        }
        const client = new CspClient(name, "1.2", transport, domain);
        assert.equal((await client.login(PASSWORD)).code, 200);
        clients.push(client);
      }
      return clients;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * How the second domain of a pair talks: as an instance of ours, or as Baraza does on the wire
 * (an instance of ours behind the proxies of baraza_wire.ts). The conversation suites run against
 * both.
 */
export type PeerWire = "ours" | "baraza";
export const PEER_WIRES: readonly PeerWire[] = ["ours", "baraza"];

/** Starts one server per domain, each knowing all the others. */
export async function startDomains(
  domains: string[],
  env: Record<string, string> = {},
  wire: PeerWire = "ours",
): Promise<Node[]> {
  if (wire === "baraza") return await startBarazaPair(domains, env);
  const ports = await Promise.all(domains.map(() => freePort()));
  const nodes = [];
  for (const [i, domain] of domains.entries()) {
    const peers: Record<string, number> = {};
    domains.forEach((d, j) => j !== i && (peers[d] = ports[j]));
    nodes.push(await startNode(domain, ports[i], { peers, env }));
  }
  return nodes;
}

/**
 * Two domains: the first ours, the second Baraza-like on the wire. Ours waits before its
 * LoginRequest (IMPS_SSP_LOGIN_DELAY_MS, as the README advises for Baraza peers) longer than the
 * peer's handshake race lasts, and the peer's front end redirects each new connection once.
 */
async function startBarazaPair(domains: string[], env: Record<string, string>): Promise<Node[]> {
  assert.equal(domains.length, 2, "a Baraza-like peer is the second of two domains");
  const [ours, theirs] = [await freePort(), await freePort()];
  const proxies = startBarazaWire({
    backendPort: theirs,
    targetPort: ours,
    redirectFirst: true,
    raceMs: 50,
  });
  const a = await startNode(domains[0], ours, {
    peers: { [domains[1]]: proxies.inboundUrl },
    env: { IMPS_SSP_LOGIN_DELAY_MS: "150", ...env },
  });
  const b = await startNode(domains[1], theirs, {
    peers: { [domains[0]]: proxies.outboundUrl },
    env,
  });
  const close = async () => {
    await b.close();
    proxies.close();
  };
  return [a, { ...b, close, [Symbol.asyncDispose]: close }];
}

/**
 * How long relayed work may take to arrive: a relay that fails once (a connection lost, a peer
 * slow on a loaded machine) is tried again after a pause that doubles from 250 ms, so this
 * leaves room for several tries, not just the first.
 */
export const RELAY_WAIT_MS = 15_000;

/** Polls until a transaction of `name` arrives (relayed work takes a moment); returns it. */
export function pollFor(
  client: CspClient,
  name: string,
  timeoutMs = RELAY_WAIT_MS,
): Promise<CspTransaction> {
  return poll(client, name, () => true, false, timeoutMs);
}

/**
 * Polls until a transaction of `name` whose body satisfies `wanted` arrives, acknowledging every
 * transaction handed out on the way (so none is handed out again); returns it.
 */
export function pollUntil(
  client: CspClient,
  name: string,
  wanted: (body: ElementObject) => boolean = () => true,
  timeoutMs = RELAY_WAIT_MS,
): Promise<CspTransaction> {
  return poll(client, name, wanted, true, timeoutMs);
}

async function poll(
  client: CspClient,
  name: string,
  wanted: (body: ElementObject) => boolean,
  acknowledge: boolean,
  timeoutMs: number,
): Promise<CspTransaction> {
  const deadline = Date.now() + timeoutMs;
  const seen: string[] = [];
  while (Date.now() < deadline) {
    const reply = await client.send("<Polling-Request/>", { transactionId: "" });
    for (const t of reply.empty ? [] : reply.message!.transactions) {
      seen.push(t.primitive.name);
      if (acknowledge) {
        await client.send("<Status><Result><Code>200</Code></Result></Status>", {
          mode: "Response",
          transactionId: t.transactionId,
        });
      }
      if (t.primitive.name === name && wanted(t.primitive.body)) return t;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `${client.userId} got no ${name} within ${timeoutMs} ms (saw ${seen.join(", ")})`,
  );
}
