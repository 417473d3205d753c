/**
 * A peer domain that behaves on the wire as Baraza does (digest §9, §12; the captures
 * `ssp-*.http`): an instance of ours behind two proxies that give its traffic Baraza's shape.
 *
 * Inbound (our server → the peer), a plain HTTP front end: it takes SSP on `/`; answers chunked
 * (`Connection` twice, as Kannel does); may redirect the first SendSecretToken of a connection
 * with a chunked 307 and a page; and closes the connection without a reply where Baraza does —
 * a post on a session id without `@<domain>` (Baraza finds sessions by the domain after `@`), a
 * session it does not know, a SendMessageRequest without a requesting user (Baraza crashes on
 * it), and a LoginRequest that comes too soon after its own SendSecretToken (its handshake race).
 *
 * Outbound (the peer → our server): posts to `/`; answers our SendSecretToken with a transaction
 * id of its own; sends LoginRequest and LoginResponse without x-wv headers; and puts our session
 * id in x-wv-sessionid of its responses.
 */
import { Wire } from "./wire_support.ts";

export interface BarazaWireOptions {
  /** Port of the instance of ours behind the proxies. */
  backendPort: number;
  /** Port of the server under test, which the peer posts to. */
  targetPort: number;
  /** Redirect the first SendSecretToken of each connection (a front end spreading load). */
  redirectFirst?: boolean;
  /** A LoginRequest this soon after the peer's own SendSecretToken answer finds no session, ms. */
  raceMs?: number;
}

export interface BarazaWire {
  /** Where the server under test posts (its IMPS_PEERS entry for the peer domain). */
  inboundUrl: string;
  /** Where the backend posts (its IMPS_PEERS entry for the server under test's domain). */
  outboundUrl: string;
  /** SendSecretTokens the server under test sent: handshakes it began. */
  handshakes: number;
  /** Connections closed without a reply, and why. */
  dropped: string[];
  close(): void;
}

const REDIRECTED_PATH = "/imps";

export function startBarazaWire(options: BarazaWireOptions): BarazaWire {
  const inbound = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const outbound = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const inPort = (inbound.addr as Deno.NetAddr).port;
  const conns = new Set<Deno.Conn>();
  let tokenAnsweredAt = 0;
  let rowId = 100;
  /** The session id the server under test issued: Baraza echoes it on its responses. */
  let targetSessionId: string | undefined;

  const wire: BarazaWire = {
    inboundUrl: `http://127.0.0.1:${inPort}/`,
    outboundUrl: `http://127.0.0.1:${(outbound.addr as Deno.NetAddr).port}/ssp`,
    handshakes: 0,
    dropped: [],
    close() {
      inbound.close();
      outbound.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    },
  };

  const accept = async (listener: Deno.Listener, serve: (w: Wire) => Promise<void>) => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      conns.add(conn);
      serve(new Wire(conn)).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch {
          // already closed
        }
      });
    }
  };

  /** The server under test's posts, through the front end to the backend. */
  const serveInbound = async (w: Wire) => {
    let first = true;
    for (;;) {
      const { scan, body } = await w.next();
      const isFirst = first;
      first = false;
      if (/<SendSecretToken /.test(body) && /mode="Request"/.test(body)) {
        if (options.redirectFirst && isFirst && scan.target !== REDIRECTED_PATH) {
          const page = "<html><body>Moved to <a>/imps</a></body></html>";
          await w.write(
            "HTTP/1.1 307 Temporary Redirect\r\n" +
              `Location: http://127.0.0.1:${inPort}${REDIRECTED_PATH}\r\n` +
              "Content-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n" +
              chunked(page),
          );
          continue;
        }
        wire.handshakes++;
      }
      const session = /<Session sessionID="([^"]*)"/.exec(body)?.[1];
      const drop = (why: string) => {
        wire.dropped.push(why);
        w.conn.close();
      };
      if (session !== undefined && !session.includes("@")) return drop("session id without @");
      if (
        /<SendMessageRequest/.test(body) &&
        !/clientOriginated="Yes"[^]*<Requestor[^>]*>\s*<User /.test(body)
      ) {
        return drop("SendMessageRequest without a requesting user");
      }
      if (
        /<LoginRequest /.test(body) && /mode="Request"/.test(body) &&
        options.raceMs !== undefined && Date.now() - tokenAnsweredAt < options.raceMs
      ) {
        return drop("LoginRequest in the handshake race");
      }
      const loginResponse = /<LoginResponse sessionID="([^"]*)"/.exec(body);
      if (loginResponse) targetSessionId = loginResponse[1];
      const headers: Record<string, string> = { "content-type": "application/vnd.wv.ssp+xml" };
      if (scan.transactionId) headers["x-wv-transactionid"] = scan.transactionId;
      if (scan.sessionId) headers["x-wv-sessionid"] = scan.sessionId;
      let answer: Response;
      try {
        answer = await fetch(`http://127.0.0.1:${options.backendPort}/`, {
          method: "POST",
          headers,
          body,
        });
      } catch {
        return drop("backend down");
      }
      await answer.body?.cancel();
      // Baraza does not answer a post on a session it does not know: it closes the connection.
      if (answer.status === 403 && session !== undefined) return drop("unknown session");
      await w.write(
        `HTTP/1.1 ${answer.status} ${answer.statusText || "OK"}\r\nServer: Kannel/1.4.5\r\n` +
          "Connection: Keep-Alive\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n" +
          chunked(""),
      );
    }
  };

  /** The backend's posts, in Baraza's shape, to the server under test. */
  const serveOutbound = async (w: Wire) => {
    for (;;) {
      let { scan, body } = await w.next();
      const headers: Record<string, string> = {
        "content-type": "application/vnd.wv.ssp+xml",
        "user-agent": "Baraza IMPS -- http://www.baraza.im",
      };
      const tokenAnswer = /<SetupTransaction mode="Response"[^>]*>\s*<SendSecretToken/.test(body);
      if (tokenAnswer) {
        // Its own transaction id, not the one it answers (digest §9.2).
        const own = String(++rowId);
        body = body.replace(
          /(<SetupTransaction mode="Response" transactionID=")[^"]*"/,
          `$1${own}"`,
        );
        headers["x-wv-transactionid"] = own;
      } else if (/<SetupTransaction/.test(body)) {
        // LoginRequest and LoginResponse carry no x-wv header.
      } else if (/<Transaction mode="Response"/.test(body)) {
        if (targetSessionId) headers["x-wv-sessionid"] = targetSessionId;
      } else {
        if (scan.transactionId) headers["x-wv-transactionid"] = scan.transactionId;
        if (scan.sessionId) headers["x-wv-sessionid"] = scan.sessionId;
      }
      // Its session row is committed only once this answer is taken: a LoginRequest until then
      // (and for raceMs after) finds none.
      if (tokenAnswer) tokenAnsweredAt = Infinity;
      let status: number;
      try {
        const answer = await fetch(`http://127.0.0.1:${options.targetPort}/`, {
          method: "POST",
          headers,
          body,
        });
        await answer.body?.cancel();
        status = answer.status;
      } catch {
        w.conn.close();
        return;
      }
      if (tokenAnswer) tokenAnsweredAt = Date.now();
      await w.write(`HTTP/1.1 ${status} OK\r\nContent-Length: 0\r\n\r\n`);
    }
  };

  accept(inbound, serveInbound);
  accept(outbound, serveOutbound);
  return wire;
}

function chunked(text: string): string {
  const bytes = new TextEncoder().encode(text).length;
  return (bytes > 0 ? `${bytes.toString(16)}\r\n${text}\r\n` : "") + "0\r\n\r\n";
}
