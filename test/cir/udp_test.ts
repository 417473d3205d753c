/** Conversations over SUDP and WAPUDP: a Nokia woken by a datagram at the address it connects
 * from, plain or as a WSP push PDU. */
import assert from "node:assert/strict";
import { CAPABILITIES, decodeWspPush, UdpReceiver } from "../support/cir.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";
import { at, element } from "../support/body_reader.ts";

const UDP_ENV = { IMPS_CIR_UDP: "true" };

Deno.test("bob's Nokia agrees SUDP with its UDPPort and gets the WVCI as one datagram", async () => {
  await using h = await startServer({ overHttp: true, env: UDP_ENV });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const phone = await UdpReceiver.bind();
  try {
    const reply = await bob.send(CAPABILITIES.nokia(["SUDP"], phone.port));
    const agreed = element(reply.body, "AgreedCapabilityList");
    assert.deepEqual(agreed.SupportedCIRMethod, ["SUDP"]);
    assert.equal(agreed.UDPPort, phone.port);

    await sendOk(alice, [bob.userId], "ping over UDP");
    const datagram = await phone.next();
    assert.equal(new TextDecoder().decode(datagram.bytes), "WVCI 1.2 bob-cookie");
    assert.equal(datagram.from, "127.0.0.1", "sent from the server's own address");
    await ackDelivered(bob, await pollOne(bob, "NewMessage"));
  } finally {
    await phone.close();
  }
});

Deno.test("WAPUDP: a WSP push PDU of application/vnd.wv.csp.cir for x-wap-application:wv.ua", async () => {
  await using h = await startServer({ overHttp: true, env: UDP_ENV });
  const [alice, bob] = await loggedIn(h, "1.1", "alice", "bob");
  const phone = await UdpReceiver.bind();
  try {
    const reply = await bob.send(CAPABILITIES.nokia(["WAPUDP"], phone.port));
    assert.deepEqual(at(reply.body, "CapabilityList", "SupportedCIRMethod"), ["WAPUDP"]);

    await sendOk(alice, [bob.userId], "a push");
    const push = decodeWspPush((await phone.next()).bytes);
    assert.equal(push.pduType, 0x06, "Push");
    assert.equal(push.contentType, 0x46, "application/vnd.wv.csp.cir");
    assert.equal(push.applicationId, 0x0a, "x-wap-application:wv.ua");
    assert.equal(push.body, "WVCI 1.1 bob-cookie");
  } finally {
    await phone.close();
  }
});

Deno.test("a UDPAddress inside IMPS_CIR_UDP_NETWORKS is believed; elsewhere the datagram goes where the client connects from", async () => {
  await using h = await startServer({
    overHttp: true,
    env: { ...UDP_ENV, IMPS_CIR_UDP_NETWORKS: "127.0.0.0/24" },
  });
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  // Bob's phone is behind the operator's gateway at 127.0.0.2; carol's claim of 127.0.1.1 lies
  // outside the trusted network.
  const bobsPhone = await UdpReceiver.bind("127.0.0.2");
  const carolsPhone = await UdpReceiver.bind("127.0.0.1");
  try {
    const offer = (address: string, port: number) =>
      CAPABILITIES.nokia(["SUDP"], port).replace(
        "</CapabilityList>",
        `<UDPAddress>${address}</UDPAddress></CapabilityList>`,
      );
    await bob.send(offer("127.0.0.2", bobsPhone.port));
    await carol.send(offer("127.0.1.1", carolsPhone.port));
    const sessions = h.server.context.sessions.repo;
    assert.equal((await sessions.get(bob.sessionId!))!.cir!.udp!.address, "127.0.0.2");
    assert.equal((await sessions.get(carol.sessionId!))!.cir!.udp!.address, "127.0.0.1");

    await sendOk(alice, [bob.userId, carol.userId], "both");
    assert.equal(new TextDecoder().decode((await bobsPhone.next()).bytes), "WVCI 1.2 bob-cookie");
    assert.equal(
      new TextDecoder().decode((await carolsPhone.next()).bytes),
      "WVCI 1.2 carol-cookie",
    );
  } finally {
    await bobsPhone.close();
    await carolsPhone.close();
  }
});

Deno.test("datagrams are bounded by IMPS_CIR_UDP_RATE for the whole server", async () => {
  await using h = await startServer({
    overHttp: true,
    env: { ...UDP_ENV, IMPS_CIR_UDP_RATE: "2", IMPS_CIR_MIN_GAP_MS: "0" },
  });
  const names = ["u1", "u2", "u3", "u4"];
  const [alice, ...phones] = await loggedIn(h, "1.2", "alice", ...names);
  const receiver = await UdpReceiver.bind();
  try {
    for (const phone of phones) await phone.send(CAPABILITIES.nokia(["SUDP"], receiver.port));
    await sendOk(alice, phones.map((p) => p.userId), "to all four at once");
    await receiver.next();
    await receiver.next();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.count, 0, "two datagrams in the second, the rest left to polling");
  } finally {
    await receiver.close();
  }
});
