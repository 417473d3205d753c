/**
 * A round-robin HTTP proxy, as a load balancer in front of several server instances would be:
 * each request goes to the next instance in turn, whatever session it belongs to, so that a
 * client's consecutive requests land on different instances. An instance that cannot be reached
 * is passed over (and tried again later); a request that fails on its way gets 502, as from a
 * real balancer, and is not sent again (it may have been carried out).
 */

export interface RoundRobin extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Requests sent to each instance so far, by its base URL. */
  served: Map<string, number>;
  close(): Promise<void>;
}

/** How long an instance found unreachable is left out. */
const DOWN_MS = 1_000;

/** The proxy on `port` (default: a free one) in front of `instances` (base URLs). */
export function roundRobin(instances: readonly string[], port = 0): RoundRobin {
  let next = 0;
  const downUntil = new Map<string, number>();
  /** Instances that answered since they last failed: kept-alive connections to them may exist. */
  const reached = new Set<string>();
  const served = new Map<string, number>(instances.map((url) => [url, 0]));
  const client = Deno.createHttpClient({});

  const pick = (): string | undefined => {
    const now = Date.now();
    for (let i = 0; i < instances.length; i++) {
      const url = instances[next++ % instances.length];
      if ((downUntil.get(url) ?? 0) <= now) return url;
    }
    return undefined;
  };

  const handler = async (request: Request): Promise<Response> => {
    const { pathname, search } = new URL(request.url);
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const headers = new Headers(request.headers);
    headers.delete("host");
    for (let tries = 0; tries < instances.length; tries++) {
      const target = pick();
      if (target === undefined) break;
      const maybeSent = reached.has(target);
      try {
        const answer = await fetch(target + pathname + search, {
          method: request.method,
          headers,
          body,
          client,
          redirect: "manual",
        });
        served.set(target, served.get(target)! + 1);
        reached.add(target);
        return new Response(answer.body, { status: answer.status, headers: answer.headers });
      } catch (error) {
        downUntil.set(target, Date.now() + DOWN_MS);
        // A refused connection means nothing was sent, unless the instance had served this
        // proxy since it last failed when the request left: fetch then sends on a kept-alive
        // connection and, when that one dies, tries a new one by itself, so "refused" can follow
        // a request the instance carried out before it died.
        reached.delete(target);
        if (!maybeSent && /\(Connect\)/.test(`${(error as Error).cause}`)) continue;
        return new Response(`bad gateway: ${error}`, { status: 502 });
      }
    }
    return new Response("no instance is up", { status: 502 });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, handler);
  const close = async () => {
    await server.shutdown();
    client.close();
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    served,
    close,
    [Symbol.asyncDispose]: close,
  };
}
