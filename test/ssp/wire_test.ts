/**
 * The binding itself, from a test peer on raw TCP: pipelined POSTs answered in order with empty
 * 200s, SSP answers arriving as POSTs on the other connection with matching x-wv-transactionid,
 * the handshake with a wrong and then a right digest, and hostile input refused while the server
 * keeps serving.
 */
import assert from "node:assert/strict";
import { str } from "../../src/session/values.ts";
import { freePort, pollFor, startNode } from "./ssp_support.ts";
import { login, md5, NS, post, received, setup, token, Wire } from "./wire_support.ts";

Deno.test("wire: pipelining, handshake (wrong then right digest), session traffic, hostile input", async () => {
  const peerPort = await freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: peerPort });
  const serverPort = await freePort();
  const s = await startNode("s.test", serverPort, { peers: { "w.test": peerPort } });
  const conn1 = new Wire(await Deno.connect({ hostname: "127.0.0.1", port: serverPort }));
  let conn2: Wire | undefined;
  try {
    const [bob] = await s.login("bob");
    // Four POSTs in one write: answered in order, each on its own merits.
    await conn1.write(
      post(setup("Request", "T1", token("tok1")), { "x-wv-transactionid": "T1" }) +
        post(setup("Request", "T9", token("x")), { "x-wv-transactionid": "bad$id" }) +
        post("<WV-SSP-Message><Session", { "x-wv-transactionid": "T8" }) +
        post(setup("Request", "T7", token("x")), { "x-wv-transactionid": "T7" }, "text/xml"),
    );
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await conn1.next()).scan);
    assert.deepEqual(answers.map((a) => a.status), [200, 400, 400, 415]);
    assert.equal(answers[0].contentLength, 0, "the dummy reply is empty");

    // The server's own token comes back as its own POST on connection 2, same transaction id.
    conn2 = new Wire(await listener.accept());
    const theirToken = await received(conn2);
    assert.equal(theirToken.scan.transactionId, "T1");
    assert.match(theirToken.body, /mode="Response"/);
    const serverToken = theirToken.body.match(/<SecretToken>([^<]+)</)![1];

    // A wrong digest: refused (409) and the half-open session is gone.
    await conn1.write(post(setup("Request", "T1", login(md5("not the token")))));
    assert.equal((await conn1.next()).scan.status, 200);
    assert.match((await received(conn2)).body, /<LoginResponse[^>]*>.*code="409"/);
    await conn1.write(post(setup("Request", "T1", login(md5(serverToken)))));
    assert.equal((await conn1.next()).scan.status, 403, "nothing left to log in to");

    // The teardown closed connection 2; again, properly, on a new one: token, proof both ways,
    // session ids both ways.
    conn2.conn.close();
    await conn1.write(post(setup("Request", "T2", token("tok2")), { "x-wv-transactionid": "T2" }));
    assert.equal((await conn1.next()).scan.status, 200);
    conn2 = new Wire(await listener.accept());
    const token2 = (await received(conn2)).body.match(/<SecretToken>([^<]+)</)![1];
    await conn1.write(post(setup("Request", "T2", login(md5(token2)))));
    assert.equal((await conn1.next()).scan.status, 200);
    const proof = await received(conn2);
    assert.equal(proof.body.match(/<PasswordDigest[^>]*>([^<]+)</)![1], md5("tok2"));
    await conn1.write(post(setup(
      "Request",
      "T2",
      `<LoginResponse sessionID="w1" timeToLive="600"><Status code="200"/></LoginResponse>`,
    )));
    assert.equal((await conn1.next()).scan.status, 200);
    const confirmed = await received(conn2);
    const serverSession = confirmed.body.match(/sessionID="([^"]+)"/)![1];

    const message = `<?xml version='1.0'?><WV-SSP-Message xmlns="${NS}"><Session sessionID="w1">` +
      `<Transaction mode="Request" transactionID="m1"><SendMessageRequest deliveryReport="No">` +
      `<MetaInfo clientOriginated="Yes"><Requestor serviceID="wv:@w.test"><User userID="wv:walt@w.test"/></Requestor></MetaInfo>` +
      `<MessageInfo messageID="wm1" contentType="text/plain"><Recipient><User userID="wv:bob@s.test"/><User userID="wv:nobody@s.test"/></Recipient>` +
      `<Sender><User userID="wv:walt@w.test"/></Sender></MessageInfo>` +
      `<ContentData contentType="text/plain" encoding="base64">${
        btoa("over the wire")
      }</ContentData>` +
      `</SendMessageRequest></Transaction></Session></WV-SSP-Message>`;
    // Unknown session, missing session header: refused; the right one: taken.
    await conn1.write(
      post(message.replace('sessionID="w1"', 'sessionID="zz"'), {
        "x-wv-transactionid": "m1",
        "x-wv-sessionid": "zz",
      }) +
        post(message, { "x-wv-transactionid": "m1" }) +
        post(message, { "x-wv-transactionid": "m1", "x-wv-sessionid": "w1" }),
    );
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await conn1.next()).scan.status);
    assert.deepEqual(statuses, [403, 400, 200]);

    const response = await received(conn2);
    assert.equal(response.scan.transactionId, "m1");
    assert.equal(response.scan.sessionId, serverSession);
    assert.match(
      response.body,
      /<Transaction mode="Response" transactionID="m1"><SendMessageResponse messageID="wm1"><Status code="201"/,
    );
    assert.match(response.body, /<DetailedResult code="531">.*wv:nobody@s\.test/);
    const arrived = await pollFor(bob, "NewMessage");
    assert.equal(str(arrived.primitive.body.ContentData), "over the wire");

    // After all that the server still serves clients.
    assert.equal((await bob.send("<KeepAlive-Request/>")).code, 200);
  } finally {
    conn1.conn.close();
    conn2?.conn.close();
    listener.close();
    await s.close();
  }
});
