/**
 * What a real peer needs of us and what operators see: SSP and CSP on any path by their types,
 * a handshake answered with the peer's own transaction id, session ids naming our domain, a
 * digest per peer (HMAC-MD5 or Baraza's MD5), peer state said once per change and served at
 * GET /ssp/peers, and messages to domains with no IMPS server refused at once.
 */
import assert from "node:assert/strict";
import { sendMessageXml, sendOk } from "../im/im_support.ts";
import { freePort, pollFor, startNode } from "./ssp_support.ts";
import { md5, NS, setup, Wire } from "./wire_support.ts";

/** Runs `fn` with console.warn and console.info captured. */
async function captureLogs<T>(fn: (lines: string[]) => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const [warn, info] = [console.warn, console.info];
  console.warn = console.info = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return await fn(lines);
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

Deno.test("SSP and CSP are served on any path, told apart by Content-Type", async () => {
  const a = await startNode("a.test", await freePort(), { peers: {} });
  try {
    const app = a.server.app;
    const postAs = (path: string, type: string, body: string) =>
      app.request(path, { method: "POST", headers: { "content-type": type }, body });
    // Malformed SSP reaches the SSP binding (400), wherever it is posted.
    for (const path of ["/", "/ssp", "/imps/any"]) {
      const answer = await postAs(path, "application/vnd.wv.ssp+xml", "<not-ssp/>");
      assert.equal(answer.status, 400, path);
      await answer.body?.cancel();
    }
    // CSP on the bare host too.
    const spInfo =
      `<?xml version="1.0"?><WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2">` +
      `<Session><SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>` +
      `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
      `<TransactionID>t1</TransactionID></TransactionDescriptor><TransactionContent ` +
      `xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"><GetSPInfo-Request/>` +
      `</TransactionContent></Transaction></Session></WV-CSP-Message>`;
    const csp = await postAs("/", "application/vnd.wv.csp.xml", spInfo);
    assert.equal(csp.status, 200);
    assert.match(await csp.text(), /GetSPInfo-Response/);
    // Each binding's own path keeps its 415; elsewhere an unknown type is not ours to take.
    assert.equal((await postAs("/ssp", "text/plain", "x")).status, 415);
    assert.equal((await postAs("/", "text/plain", "x")).status, 404);
  } finally {
    await a.close();
  }
});

Deno.test("a Baraza handshake: its own transaction id in the answer, session ids with @domain", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const portA = await freePort();
  const a = await startNode("a.test", portA, {
    peers: { "w.test": `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/` },
  });
  const open: Deno.Conn[] = [];
  const OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  try {
    const [alice] = await a.login("alice");
    await sendOk(alice, ["wv:walt@w.test"], "hello walt");

    const w1 = new Wire(await listener.accept());
    open.push(w1.conn);
    const offer = await w1.next();
    assert.equal(offer.scan.target, "/");
    const ourToken = offer.body.match(/<SecretToken>([^<]+)</)![1];
    const tid = offer.scan.transactionId!;
    await w1.write(OK);

    // Baraza answers on its own connection, to `/`, under a transaction id of its own.
    const back = new Wire(await Deno.connect({ hostname: "127.0.0.1", port: portA }));
    open.push(back.conn);
    const answer = (inner: string, headers = "") =>
      `POST / HTTP/1.1\r\nHost: a.test\r\nContent-Type: application/vnd.wv.ssp+xml\r\n${headers}` +
      `Content-Length: ${new TextEncoder().encode(inner).length}\r\n\r\n${inner}`;
    const token =
      `<SendSecretToken serviceID="wv:@w.test" protocol="WV-SSP" procotolVersion="1.3"><SecretToken>w-token</SecretToken></SendSecretToken>`;
    await back.write(answer(setup("Response", "77", token), "x-wv-transactionid: 77\r\n"));
    assert.equal((await back.next()).scan.status, 200);

    const login = await w1.next();
    assert.equal(login.body.match(/<PasswordDigest[^>]*>([^<]+)</)![1], md5("w-token"));
    await w1.write(OK);
    const proof =
      `<LoginRequest serviceID="wv:@w.test" timeToLive="86400"><PasswordDigest encoding="base64">${
        md5(ourToken)
      }</PasswordDigest></LoginRequest>`;
    await back.write(answer(setup("Response", tid, proof)));
    assert.equal((await back.next()).scan.status, 200);

    const loginResponse = await w1.next();
    const ours = loginResponse.body.match(/<LoginResponse sessionID="([^"]+)"/)![1];
    assert.match(ours, /^[0-9a-f]{32}@a\.test$/, "Baraza finds a session by the domain after @");
    await w1.write(OK);
    const confirm =
      `<LoginResponse sessionID="1@w.test" timeToLive="86400"><Status code="200"/></LoginResponse>`;
    await back.write(answer(setup("Response", tid, confirm)));
    assert.equal((await back.next()).scan.status, 200);

    const message = await w1.next();
    assert.match(message.body, new RegExp(`<Session sessionID="${ours}">`));
    assert.equal(message.scan.sessionId, ours);
    assert.match(message.body, /<SendMessageRequest/);
    await w1.write(OK);

    // A post on a session nobody set up is refused so that the peer sets one up again.
    const stray =
      `<?xml version='1.0'?><WV-SSP-Message xmlns="${NS}"><Session sessionID="9@w.test">` +
      `<Transaction mode="Request" transactionID="s1"><Status code="200"/></Transaction></Session></WV-SSP-Message>`;
    await back.write(answer(stray, "x-wv-transactionid: s1\r\nx-wv-sessionid: 9@w.test\r\n"));
    assert.equal((await back.next()).scan.status, 403);
  } finally {
    for (const conn of open) {
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
    listener.close();
    await a.close();
  }
});

Deno.test("HMAC-MD5 or MD5(token) per peer: a Baraza-like peer is told apart, then listed", async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  // b.test proves MD5(token), as Baraza does; a.test has a shared secret for everyone.
  const startA = (env: Record<string, string>) =>
    startNode("a.test", portA, {
      peers: { "b.test": portB },
      env: { IMPS_SSP_SECRET: "a-shared-secret-0123", ...env },
    });
  const b = await startNode("b.test", portB, { peers: { "a.test": portA } });
  try {
    const [bob] = await b.login("bob");
    await captureLogs(async (lines) => {
      const a = await startA({});
      try {
        assert.ok(lines.some((l) => /HMAC-MD5 with IMPS_SSP_SECRET/.test(l)), lines.join("\n"));
        const [alice] = await a.login("alice");
        await sendOk(alice, ["wv:bob@b.test"], "refused");
        const deadline = Date.now() + 5000;
        while (
          !lines.some((l) => /peer b\.test: down \(wrong secret\)/.test(l)) && Date.now() < deadline
        ) {
          await new Promise((r) => setTimeout(r, 20));
        }
        const wrong = lines.filter((l) => /SSP peer b\.test: down \(wrong secret\)/.test(l));
        assert.equal(wrong.length, 1, lines.join("\n"));
        assert.match(wrong[0], /MD5\(token\).*IMPS_SSP_MD5_PEERS/);
      } finally {
        await a.close();
      }
    });
    const a = await startA({ IMPS_SSP_MD5_PEERS: "b.test" });
    try {
      const [alice] = await a.login("alice");
      await sendOk(alice, ["wv:bob@b.test"], "now with MD5");
      const got = await pollFor(bob, "NewMessage");
      assert.ok(got);
    } finally {
      await a.close();
    }
  } finally {
    await b.close();
  }
});

Deno.test("a peer that is down is said once, shown at GET /ssp/peers with its queue", async () => {
  const dead = await freePort();
  await captureLogs(async (lines) => {
    const a = await startNode("a.test", await freePort(), { peers: { "gone.test": dead } });
    try {
      const [alice] = await a.login("alice");
      for (let i = 0; i < 3; i++) await sendOk(alice, ["wv:zed@gone.test"], `try ${i}`);
      await new Promise((r) => setTimeout(r, 1500)); // several retries
      const down = lines.filter((l) => /SSP peer gone\.test: down/.test(l));
      assert.equal(down.length, 1, lines.join("\n"));
      assert.match(down[0], /connection refused/);

      const report = await (await a.server.app.request("/ssp/peers")).json();
      assert.equal(report.domain, "a.test");
      const [peer] = report.peers;
      assert.equal(peer.domain, "gone.test");
      assert.equal(peer.session, false);
      assert.equal(peer.state, "down");
      assert.equal(peer.kind, "connection refused");
      assert.equal(peer.queued, 3);
    } finally {
      await a.close();
    }
  });
});

Deno.test("a message to a domain with no IMPS server is refused at once (516)", async () => {
  const a = await startNode("a.test", await freePort(), { peers: {} });
  try {
    const [alice] = await a.login("alice");
    const reply = await alice.send(sendMessageXml(["wv:x@nowhere.invalid"], "anyone?"));
    assert.equal(reply.code, 516, reply.text);
    assert.match(reply.text, /no IMPS server/);
  } finally {
    await a.close();
  }
});
