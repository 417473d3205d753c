/**
 * The binding's optional parts (seed §5.3, §5.5, HTTPS): redirection of the first SendSecretToken
 * (as a server, and followed as a client only there), several connection pairs to one peer
 * (IMPS_SSP_PAIRS), and SSP over TLS with a CA of the test's own (IMPS_SSP_CA).
 */
import assert from "node:assert/strict";
import { obj, str } from "../../src/session/values.ts";
import { sendOk } from "../im/im_support.ts";
import { freePort, pollFor, sspUrl, startNode } from "./ssp_support.ts";
import { md5, post, setup, token, Wire } from "./wire_support.ts";

const redirectTo = (url: string) =>
  `HTTP/1.1 307 Temporary Redirect\r\nLocation: ${url}\r\nContent-Length: 0\r\n\r\n`;
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

/** Resolves with the next connection, or undefined when none comes within `ms`. */
function acceptWithin(listener: Deno.Listener, ms: number): Promise<Deno.Conn | undefined> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    listener.accept(),
    new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("redirection: b.test's front node sends a's first SendSecretToken to the node bob is on", async () => {
  const [portA, front, back] = [await freePort(), await freePort(), await freePort()];
  const a = await startNode("a.test", portA, { peers: { "b.test": front } });
  // Two nodes serve b.test; the front one only redirects (seed §5.5), the other does the work.
  const b1 = await startNode("b.test", front, {
    peers: { "a.test": portA },
    env: { IMPS_SSP_REDIRECT: sspUrl(back) },
  });
  const b2 = await startNode("b.test", back, { peers: { "a.test": portA } });
  try {
    // On the wire: the front node answers a SendSecretToken with 307 and the target.
    const probe = new Wire(await Deno.connect({ hostname: "127.0.0.1", port: front }));
    await probe.write(post(setup("Request", "P1", token("t")), { "x-wv-transactionid": "P1" }));
    const answer = (await probe.next()).scan;
    assert.equal(answer.status, 307);
    assert.equal(answer.location, sspUrl(back));
    probe.conn.close();

    const [alice] = await a.login("alice");
    const [bob] = await b2.login("bob");
    await sendOk(alice, ["wv:bob@b.test"], "found you behind the redirect");
    const got = await pollFor(bob, "NewMessage");
    assert.equal(str(got.primitive.body.ContentData), "found you behind the redirect");
  } finally {
    await Promise.all([a.close(), b1.close(), b2.close()]);
  }
});

Deno.test("redirection as a client: followed for the first SendSecretToken only, else an error", async () => {
  const listeners = [0, 1, 2].map(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const [l1, l2, l3] = listeners;
  const url = (l: Deno.Listener) => sspUrl((l.addr as Deno.NetAddr).port);
  const portA = await freePort();
  const a = await startNode("a.test", portA, { peers: { "w.test": url(l1) } });
  const open: Deno.Conn[] = [];
  try {
    const [alice] = await a.login("alice");
    await sendOk(alice, ["wv:walt@w.test"], "hello w");

    // Step 1 on a new connection: the first SendSecretToken may be redirected, and is followed.
    const w1 = new Wire(await l1.accept());
    open.push(w1.conn);
    const first = await w1.next();
    assert.match(first.body, /<SendSecretToken serviceID="wv:@a.test"/);
    await w1.write(redirectTo(url(l2)));
    const w2 = new Wire(await l2.accept());
    open.push(w2.conn);
    const again = await w2.next();
    assert.equal(again.body, first.body, "the same SendSecretToken, sent to the new location");
    const tid = again.scan.transactionId!;
    await w2.write(OK);

    // Our token goes back on the other connection; a's LoginRequest follows on connection 1.
    const back = new Wire(await Deno.connect({ hostname: "127.0.0.1", port: portA }));
    open.push(back.conn);
    await back.write(post(setup("Response", tid, token("w-token")), { "x-wv-transactionid": tid }));
    assert.equal((await back.next()).scan.status, 200);
    const proof = await w2.next();
    assert.equal(proof.body.match(/<PasswordDigest[^>]*>([^<]+)</)![1], md5("w-token"));

    // A redirect of anything else is an error: a drops the connection and does not follow it.
    await w2.write(redirectTo(url(l3)));
    await assert.rejects(w2.next(), /connection closed/);
    assert.equal(await acceptWithin(l3, 500), undefined, "the forbidden redirect is not followed");
  } finally {
    for (const conn of open) {
      try {
        conn.close();
      } catch {
        // closed by the server already
      }
    }
    for (const l of listeners) l.close();
    await a.close();
  }
});

/** A TCP relay in front of a port that counts the connections made through it. */
function countingProxy(port: number, target: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const conns: Deno.Conn[] = [];
  let accepted = 0;
  const serving = (async () => {
    for await (const inbound of listener) {
      accepted++;
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conns.push(inbound, outbound);
      inbound.readable.pipeTo(outbound.writable).catch(() => {});
      outbound.readable.pipeTo(inbound.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    get accepted() {
      return accepted;
    },
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await serving;
    },
  };
}

for (const pairs of [1, 3]) {
  Deno.test(`IMPS_SSP_PAIRS=${pairs}: a backlog for b.test goes out on at most ${pairs} connection(s)`, async () => {
    const [portA, portB, portProxy] = [await freePort(), await freePort(), await freePort()];
    const a = await startNode("a.test", portA, {
      peers: { "b.test": portProxy },
      env: { IMPS_SSP_PAIRS: String(pairs) },
    });
    const b = await startNode("b.test", portB, {
      peers: { "a.test": portA },
      env: { IMPS_MAILBOX_SIZE: "1000" },
    });
    let proxy: ReturnType<typeof countingProxy> | undefined;
    try {
      const [alice] = await a.login("alice");
      await b.login("bob");
      // b.test cannot be reached yet: the messages wait in a.test's queue, then leave together.
      const count = 300;
      for (let i = 0; i < count; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => sendOk(alice, ["wv:bob@b.test"], `burst ${i + j}`)),
        );
      }
      proxy = countingProxy(portProxy, portB);
      const mailbox = b.server.elements.im.mailbox;
      const deadline = Date.now() + 15_000;
      while ((await mailbox.pending("wv:bob@b.test", count)).length < count) {
        assert.ok(Date.now() < deadline, "every message arrives");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const relay = a.server.federation!;
      assert.ok(relay.federation.maxDepth > 8, `POSTs pipelined (${relay.federation.maxDepth})`);
      if (pairs === 1) assert.equal(proxy.accepted, 1);
      else {assert.ok(
          proxy.accepted > 1 && proxy.accepted <= pairs,
          `${proxy.accepted} connections`,
        );}
    } finally {
      await a.close();
      await b.close();
      await proxy?.close();
    }
  });
}

const haveOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
if (!haveOpenssl) console.log("note: openssl not found; the SSP over TLS tests are skipped");

/** A CA and a certificate for 127.0.0.1 signed by it, in a new directory. */
async function makeCertificates(): Promise<{ dir: string; cert: string; key: string }> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1\n");
  const openssl = (args: string) =>
    new Deno.Command("openssl", { args: args.split(" "), cwd: dir, stdout: "null", stderr: "null" })
      .output();
  const steps = [
    await openssl(
      "req -x509 -newkey rsa:2048 -nodes -subj /CN=ssp-test-ca -days 1 -keyout ca.key -out ca.pem",
    ),
    await openssl("req -newkey rsa:2048 -nodes -subj /CN=peer -keyout key.pem -out leaf.csr"),
    await openssl(
      "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out cert.pem",
    ),
  ];
  assert.ok(steps.every((s) => s.success), "openssl made the certificates");
  return {
    dir,
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
  };
}

Deno.test({
  name: "SSP over TLS: with IMPS_SSP_CA the peers trust each other; without it nothing is sent",
  ignore: !haveOpenssl,
  async fn() {
    const { dir, cert, key } = await makeCertificates();
    const [portA, portB] = [await freePort(), await freePort()];
    const https = (port: number) => `https://127.0.0.1:${port}/ssp`;
    const trusted = { IMPS_SSP_CA: `${dir}/ca.pem` };
    const a = await startNode("a.test", portA, {
      peers: { "b.test": https(portB) },
      tls: { cert, key },
      env: trusted,
    });
    const b = await startNode("b.test", portB, {
      peers: { "a.test": https(portA) },
      tls: { cert, key },
      env: trusted,
    });
    // c.test does not know the CA: its TLS connection to b.test fails, and its user is told.
    const c = await startNode("c.test", await freePort(), {
      peers: { "b.test": https(portB) },
      env: { IMPS_SSP_GIVE_UP: "1" },
    });
    try {
      const [alice] = await a.login("alice");
      const [bob] = await b.login("bob");
      await sendOk(alice, ["wv:bob@b.test"], "over TLS");
      assert.equal(str((await pollFor(bob, "NewMessage")).primitive.body.ContentData), "over TLS");
      await sendOk(bob, ["wv:alice@a.test"], "and back");
      assert.equal(
        str((await pollFor(alice, "NewMessage")).primitive.body.ContentData),
        "and back",
      );

      const [carol] = await c.login("carol");
      const id = await sendOk(carol, ["wv:bob@b.test"], "untrusted", { report: true });
      const report = await pollFor(carol, "DeliveryReport-Request", 8_000);
      assert.equal(str(obj(report.primitive.body.MessageInfo)?.MessageID), id);
      assert.equal(Number(obj(report.primitive.body.Result)?.Code), 542);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
