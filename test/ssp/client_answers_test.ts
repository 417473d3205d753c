/**
 * The SSP client reads HTTP/1.1 answers of any shape a front end sends: chunked bodies, 1xx
 * heads, bodies on 3xx and 4xx, Connection: close, answers split across reads.
 */
import assert from "node:assert/strict";
import { loadCore } from "../../src/core/mod.ts";
import { ConnectionLost, PipelinedConnection } from "../../src/transport/ssp/pipeline_client.ts";
import { Wire } from "./wire_support.ts";

const core = await loadCore("wasm");

/** A server that answers each of the client's POSTs with the next of `answers`, written in
 * pieces of `piece` bytes; resolves with what it read. */
async function withServer(
  answers: string[],
  run: (conn: PipelinedConnection) => Promise<void>,
  piece = 1 << 20,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const serving = (async () => {
    const wire = new Wire(await listener.accept());
    for (const answer of answers) {
      await wire.next();
      const bytes = new TextEncoder().encode(answer);
      for (let i = 0; i < bytes.length; i += piece) {
        await wire.conn.write(bytes.subarray(i, i + piece));
        if (piece < bytes.length) await new Promise((r) => setTimeout(r, 1));
      }
    }
    return wire;
  })();
  const conn = await PipelinedConnection.open(new URL(`http://127.0.0.1:${port}/`), {
    core,
    connectTimeoutMs: 1000,
  });
  try {
    await run(conn);
  } finally {
    conn.close();
    (await serving).conn.close();
    listener.close();
  }
}

const post = (conn: PipelinedConnection) => conn.post("<x/>", { transactionId: "t" }, 2000);

Deno.test("a chunked 307 from a front end, a 100 Continue, a 404 with a page: all read", async () => {
  const answers = [
    "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://b.test/ssp\r\n" +
    "Transfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n" +
    "5\r\nmoved\r\n7;ext=1\r\n to you\r\n0\r\nX-Trailer: 1\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here!",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  ];
  for (const piece of [1 << 20, 3]) {
    await withServer(answers, async (conn) => {
      assert.deepEqual(await post(conn), { status: 307, location: "http://b.test/ssp" });
      assert.deepEqual(await post(conn), { status: 200 });
      assert.deepEqual(await post(conn), { status: 404 });
      assert.deepEqual(await post(conn), { status: 200 });
      assert.equal(conn.closed, false, "the connection stays usable");
    }, piece);
  }
});

Deno.test("Connection: close: the answer counts, the connection is done", async () => {
  await withServer(
    ["HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbad"],
    async (conn) => {
      assert.deepEqual(await post(conn), { status: 400 });
      await conn.finished;
      assert.equal(conn.closed, true);
      await assert.rejects(post(conn), ConnectionLost);
    },
  );
});

Deno.test("a connection closed without a reply fails the POST with ConnectionLost", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const closing = (async () => {
    const wire = new Wire(await listener.accept());
    await wire.next();
    wire.conn.close();
  })();
  const conn = await PipelinedConnection.open(new URL(`http://127.0.0.1:${port}/`), {
    core,
    connectTimeoutMs: 1000,
  });
  await assert.rejects(post(conn), ConnectionLost);
  await closing;
  listener.close();
});
