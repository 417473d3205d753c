/**
 * Hostile variants of real requests, sent by logged-in users of each CSP version: every
 * single-point mutation of our own requests below (one of each service element), and random
 * mutations (fixed seed) of every request of the CSP spec's examples and Baraza's captures when the
 * shared fixtures are beside the checkout; the same in WBXML and in the SMS binding (PTS), with
 * byte-level damage besides.
 * Whatever the damage, the answer is a CSP status or an HTTP 4xx, never a 5xx.
 */
import assert from "node:assert/strict";
import { haveShared, readFixtures } from "../codec/fixtures.ts";
import { decodeCsp } from "../../src/codec/csp/mod.ts";
import { encodePts, PTS_CONTENT_TYPE } from "../../src/codec/sms/mod.ts";
import { encodeWbxmlTree } from "../../src/codec/wbxml/mod.ts";
import { parse } from "../codec/fixtures.ts";
import {
  type CspClient,
  loggedIn,
  PASSWORD,
  startServer,
  VERSIONS,
  WBXML_TYPES,
} from "../support/harness.ts";
import { Mutator } from "../support/mutate.ts";

const G = "wv:alice/chat@example.com";
/** One request of each service element, so a fresh clone's run mutates them all too. */
const OWN_REQUESTS = [
  `<SendMessage-Request><DeliveryReport>T</DeliveryReport><MessageInfo><ContentType>text/plain` +
  `</ContentType><ContentSize>5</ContentSize><Recipient><User><UserID>wv:bob@example.com</UserID>` +
  `</User><Group><GroupID>${G}</GroupID></Group></Recipient><Sender><User><UserID>` +
  `wv:alice@example.com</UserID></User></Sender><Validity>60</Validity></MessageInfo>` +
  `<ContentData>hello</ContentData></SendMessage-Request>`,
  `<SetDeliveryMethod-Request><DeliveryMethod>N</DeliveryMethod></SetDeliveryMethod-Request>`,
  `<GetMessageList-Request/>`,
  `<GetMessage-Request><MessageID>00000000000000000000</MessageID></GetMessage-Request>`,
  `<BlockEntity-Request><BlockList><InUse>T</InUse><AddList><UserID>wv:carol@example.com</UserID>` +
  `</AddList></BlockList><GrantList><InUse>F</InUse></GrantList></BlockEntity-Request>`,
  `<CreateList-Request><ContactList>wv:alice/friends@example.com</ContactList><NickList><NickName>` +
  `<Name>Bob</Name><UserID>wv:bob@example.com</UserID></NickName></NickList></CreateList-Request>`,
  `<ListManage-Request><ContactList>wv:alice/friends@example.com</ContactList><RemoveNickList>` +
  `<UserID>wv:bob@example.com</UserID></RemoveNickList><ReceiveList>T</ReceiveList>` +
  `</ListManage-Request>`,
  `<SubscribePresence-Request><User><UserID>wv:bob@example.com</UserID></User><PresenceSubList ` +
  `xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"><OnlineStatus/><StatusText/>` +
  `</PresenceSubList><AutoSubscribe>T</AutoSubscribe></SubscribePresence-Request>`,
  `<UpdatePresence-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">` +
  `<StatusText><Qualifier>T</Qualifier><PresenceValue>here</PresenceValue></StatusText>` +
  `</PresenceSubList></UpdatePresence-Request>`,
  `<GetPresence-Request><User><UserID>wv:bob@example.com</UserID></User></GetPresence-Request>`,
  `<CreateGroup-Request><GroupID>${G}</GroupID><GroupProperties><Property><Name>Name</Name>` +
  `<Value>Chat</Value></Property><Property><Name>AccessType</Name><Value>Open</Value></Property>` +
  `</GroupProperties><JoinGroup>T</JoinGroup><ScreenName><SName>Al</SName><GroupID>${G}</GroupID>` +
  `</ScreenName></CreateGroup-Request>`,
  `<JoinGroup-Request><GroupID>${G}</GroupID><ScreenName><SName>B</SName><GroupID>${G}</GroupID>` +
  `</ScreenName><JoinedRequest>T</JoinedRequest></JoinGroup-Request>`,
  `<SetGroupProps-Request><GroupID>${G}</GroupID><GroupProperties><Property><Name>Topic</Name>` +
  `<Value>t</Value></Property></GroupProperties></SetGroupProps-Request>`,
  `<Search-Request><SearchPairList><SearchElement>USER_ALIAS</SearchElement><SearchString>b` +
  `</SearchString></SearchPairList><SearchLimit>10</SearchLimit></Search-Request>`,
  `<Invite-Request><InviteID>i1</InviteID><InviteType>GR</InviteType><GroupID>${G}</GroupID>` +
  `<Recipient><User><UserID>wv:bob@example.com</UserID></User></Recipient></Invite-Request>`,
  `<KeepAlive-Request><TimeToLive>0</TimeToLive></KeepAlive-Request>`,
  `<ClientCapability-Request><CapabilityList><MultiTrans>5</MultiTrans><AcceptedContentLength>` +
  `100</AcceptedContentLength></CapabilityList></ClientCapability-Request>`,
  `<ClientCapability-Request><CapabilityList><SupportedCIRMethod>STCP</SupportedCIRMethod>` +
  `<SupportedCIRMethod>SHTTP</SupportedCIRMethod><SupportedCIRMethod>SUDP</SupportedCIRMethod>` +
  `<SupportedCIRMethod>X-WEBSOCKET</SupportedCIRMethod><UDPPort>56732</UDPPort>` +
  `<UDPAddress>127.0.0.9</UDPAddress></CapabilityList></ClientCapability-Request>`,
];

/** Every CIR channel that needs no outside service is on, so capability mutations reach them. */
const CIR_ENV = {
  IMPS_CIR_TCP_PORT: "0",
  IMPS_CIR_HTTP: "true",
  IMPS_CIR_UDP: "true",
  IMPS_CIR_UDP_NETWORKS: "127.0.0.0/8",
  IMPS_CIR_WEBSOCKET: "true",
};

/** The TransactionContent of each fixture request (answers the client sends count too). */
function fixtureRequests(): { xml: string; mode: "Request" | "Response" }[] {
  const fixtures = [
    ...readFixtures("csp11-spec-examples/xml/"),
    ...readFixtures("baraza/").filter((f) => f.name.includes(".request.")),
  ];
  return fixtures.flatMap(({ bytes }) => {
    const text = new TextDecoder().decode(bytes);
    const content = text.match(/<TransactionContent[^>]*>([\s\S]*)<\/TransactionContent>/)?.[1];
    const mode = text.includes("<TransactionMode>Response") ? "Response" : "Request";
    // Their users become ours, so that mutations reach real state more often.
    return content
      ? [{ xml: content.replace(/wv:([\w.-]+)@[\w.-]+/g, "wv:bob@example.com"), mode }]
      : [];
  });
}

Deno.test("mutated requests of every service get a CSP status or a 4xx, never a 5xx", async () => {
  if (!haveShared) console.log("note: only our own requests are mutated (no shared fixtures)");
  const requests = [
    ...OWN_REQUESTS.map((xml) => ({ xml, mode: "Request" as const })),
    ...fixtureRequests(),
  ];
  await using h = await startServer({ env: CIR_ENV });
  const clients = [
    ...await loggedIn(h, "1.2", "alice", "bob"),
    ...VERSIONS.map((v) => h.client("alice", v)),
  ];
  for (const c of clients.slice(2)) assert.equal((await c.login(PASSWORD)).code, 200);
  const mutator = new Mutator(20261121, requests.map((r) => r.xml));
  // Unharmed first, so that groups, lists and messages exist for the mutations to hit; then every
  // single-point mutation of our own requests, and random ones of the fixtures.
  const variants = OWN_REQUESTS.flatMap((xml) =>
    [...mutator.variants(xml)].map((v) => ({ xml: v, mode: "Request" as const }))
  );
  const mutated = Array.from(
    { length: 3 },
    () => requests.map((r) => ({ ...r, xml: mutator.mutate(r.xml) })),
  ).flat();
  const failures: string[] = [];
  for (const { xml, mode } of [...requests, ...variants, ...mutated]) {
    const client = mutator.pick(clients);
    const reply = await client.send(xml, { mode });
    if (reply.http.status >= 500) failures.push(`${reply.http.status} for ${xml.slice(0, 500)}`);
    if (mutator.random() < 0.1) await client.send("<Polling-Request/>");
  }
  assert.deepEqual(failures, []);
});

/** A request envelope of `client`'s in WBXML; undefined when the XML is not well-formed. */
function wbxmlRequest(client: CspClient, xml: string, mode: "Request" | "Response") {
  try {
    const envelope = client.envelope(xml, { mode, transactionId: `${client.name}-w` });
    return encodeWbxmlTree(parse(envelope), client.version);
  } catch {
    return undefined;
  }
}

Deno.test("mutated WBXML requests of every service get a CSP status or a 4xx, never a 5xx", async () => {
  const requests = [
    ...OWN_REQUESTS.map((xml) => ({ xml, mode: "Request" as const })),
    ...fixtureRequests(),
  ];
  await using h = await startServer();
  await loggedIn(h, "1.2", "bob");
  const clients = VERSIONS.map((v) => h.client("alice", v, "wbxml"));
  await h.addUser("alice", PASSWORD);
  for (const c of clients) assert.equal((await c.login(PASSWORD)).code, 200);
  const mutator = new Mutator(20261207, requests.map((r) => r.xml));
  // Structural damage (every single-point mutation of our own requests, random ones of the
  // fixtures) written as WBXML, then byte-level damage to every request's WBXML.
  const structural = [
    ...requests,
    ...OWN_REQUESTS.flatMap((xml) =>
      [...mutator.variants(xml)].map((v) => ({ xml: v, mode: "Request" as const }))
    ),
    ...requests.map((r) => ({ ...r, xml: mutator.mutate(r.xml) })),
  ];
  const failures: string[] = [];
  let sent = 0;
  const post = async (client: CspClient, body: Uint8Array<ArrayBuffer>, what: string) => {
    const reply = await client.post(body, WBXML_TYPES[client.version]);
    sent++;
    if (reply.http.status >= 500) failures.push(`${reply.http.status} for ${what}`);
  };
  for (const { xml, mode } of structural) {
    const client = mutator.pick(clients);
    const wbxml = wbxmlRequest(client, xml, mode);
    if (wbxml) await post(client, wbxml, xml.slice(0, 300));
  }
  for (let round = 0; round < 3; round++) {
    for (const { xml, mode } of requests) {
      const client = mutator.pick(clients);
      const wbxml = wbxmlRequest(client, xml, mode);
      if (!wbxml) continue;
      const damaged = mutator.mutateBytes(wbxml);
      await post(client, damaged, Array.from(damaged, (b) => b.toString(16)).join(" "));
      if (mutator.random() < 0.1) await client.send("<Polling-Request/>");
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(sent > 1_000, `only ${sent} requests`);
});

/** A request of `client`'s in the SMS binding; undefined when the XML makes no CSP message. */
function ptsRequest(client: CspClient, xml: string, mode: "Request" | "Response") {
  try {
    const envelope = client.envelope(xml, { mode, transactionId: "7" });
    return encodePts(decodeCsp(parse(envelope)))[0];
  } catch {
    return undefined;
  }
}

Deno.test("mutated PTS requests of every service get a PTS status or a 4xx, never a 5xx", async () => {
  const requests = [
    ...OWN_REQUESTS.map((xml) => ({ xml, mode: "Request" as const })),
    ...fixtureRequests(),
  ];
  await using h = await startServer();
  await loggedIn(h, "1.2", "bob");
  const clients = VERSIONS.map((v) => h.client("alice", v));
  await h.addUser("alice", PASSWORD);
  for (const c of clients) assert.equal((await c.login(PASSWORD)).code, 200);
  const mutator = new Mutator(20261226, requests.map((r) => r.xml));
  const failures: string[] = [];
  let sent = 0;
  const post = async (body: string | Uint8Array<ArrayBuffer>, what: string) => {
    const response = await h.transport(body, PTS_CONTENT_TYPE);
    await response.body?.cancel();
    sent++;
    if (response.status >= 500) failures.push(`${response.status} for ${what}`);
  };
  // Structural damage written as PTS, then damage to the PTS text's bytes.
  const structural = [
    ...requests,
    ...OWN_REQUESTS.flatMap((xml) =>
      [...mutator.variants(xml)].map((v) => ({ xml: v, mode: "Request" as const }))
    ),
    ...requests.map((r) => ({ ...r, xml: mutator.mutate(r.xml) })),
  ];
  for (const { xml, mode } of structural) {
    const pts = ptsRequest(mutator.pick(clients), xml, mode);
    if (pts) await post(pts, pts.slice(0, 300));
  }
  for (let round = 0; round < 3; round++) {
    for (const { xml, mode } of requests) {
      const pts = ptsRequest(mutator.pick(clients), xml, mode);
      if (!pts) continue;
      const damaged = mutator.mutateBytes(new TextEncoder().encode(pts));
      await post(damaged, new TextDecoder().decode(damaged).slice(0, 300));
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(sent > 1_000, `only ${sent} requests`);
});
