/**
 * Hostile variants of a peer's SSP transactions, sent in an established session over the wire:
 * every single-point mutation of our own transactions below, and random mutations (fixed seed) of
 * Baraza's captured ones when the shared fixtures are beside the checkout. Each POST is answered
 * with 200 or a 4xx, nothing the server does with it fails, and the session and the server go on.
 */
import assert from "node:assert/strict";
import { str } from "../../src/session/values.ts";
import { BARAZA_FIXTURES, haveBarazaFixtures, readFixture } from "../support/baraza.ts";
import { Mutator } from "../support/mutate.ts";
import { freePort, pollFor, startNode } from "./ssp_support.ts";
import { handshake, NS, post } from "./wire_support.ts";

const META = `<MetaInfo clientOriginated="Yes"><Requestor serviceID="wv:@w.test">` +
  `<User userID="wv:walt@w.test"/></Requestor></MetaInfo>`;
const G = "wv:alice/chat@s.test";
const W = "wv:walt/room@w.test";
const message = (id: string, text: string) =>
  `<SendMessageRequest deliveryReport="Yes">${META}<MessageInfo messageID="${id}" ` +
  `contentType="text/plain" contentSize="${text.length}"><Recipient><User userID="wv:bob@s.test"/>` +
  `</Recipient><Sender><User userID="wv:walt@w.test"/></Sender><DateTime format="iso8601">` +
  `2026-11-21T10:00:00Z</DateTime></MessageInfo><ContentData contentType="text/plain" ` +
  `encoding="base64">${btoa(text)}</ContentData></SendMessageRequest>`;

/** One transaction of each kind a peer sends us, in Baraza's shapes. */
const OWN_TRANSACTIONS: { mode: "Request" | "Response"; xml: string }[] = [
  { mode: "Request", xml: message("wm1", "hello bob") },
  {
    mode: "Request",
    xml: `<SubscribeRequest>${META}<UserID userID="wv:bob@s.test"/><AttributeList>` +
      `<PresenceSubList><OnlineStatus/><StatusText/></PresenceSubList></AttributeList>` +
      `</SubscribeRequest>`,
  },
  {
    mode: "Request",
    xml: `<GetPresenceRequest>${META}<VerUserID userID="wv:bob@s.test"/><AttributeList>` +
      `<PresenceSubList><OnlineStatus/></PresenceSubList></AttributeList></GetPresenceRequest>`,
  },
  {
    mode: "Request",
    xml: `<PresenceNotification><User userID="wv:bob@s.test"/><PresenceValue ` +
      `userID="wv:walt@w.test"><PresenceSubList><OnlineStatus><Qualifier>T</Qualifier>` +
      `<PresenceValue>T</PresenceValue></OnlineStatus><StatusText><Qualifier>T</Qualifier>` +
      `<PresenceValue>away</PresenceValue></StatusText></PresenceSubList></PresenceValue>` +
      `</PresenceNotification>`,
  },
  {
    mode: "Request",
    xml: `<JoinGroupRequest groupID="${G}" joinedListRequest="Yes" subscribeNotif="Yes">${META}` +
      `<ScreenName groupID="${G}">Walt</ScreenName></JoinGroupRequest>`,
  },
  {
    mode: "Request",
    xml: `<DeliveryStatusReport>${META}<DeliveryResult><Status code="200"/></DeliveryResult>` +
      `<DeliveryTime>2026-11-21T10:00:00Z</DeliveryTime><MessageInfo messageID="m0" ` +
      `contentType="text/plain"><Recipient><User userID="wv:walt@w.test"/></Recipient><Sender>` +
      `<User userID="wv:bob@s.test"/></Sender></MessageInfo></DeliveryStatusReport>`,
  },
  {
    mode: "Request",
    xml: `<SendMessageRequest>${META}<MessageInfo messageID="wg1" contentType="text/plain">` +
      `<Recipient><ScreenName groupID="${G}">all</ScreenName></Recipient><Sender>` +
      `<User userID="wv:walt@w.test"/></Sender></MessageInfo><ContentData ` +
      `contentType="text/plain" encoding="base64">${btoa("hi room")}</ContentData>` +
      `</SendMessageRequest>`,
  },
  {
    mode: "Request",
    xml: `<CreateGroupRequest groupID="wv:walt/den@s.test" joinGroup="Yes" subscribeNotif="No">` +
      `${META}<GroupProperties><Property><Name>Name</Name><Value>Den</Value></Property>` +
      `</GroupProperties><ScreenName groupID="wv:walt/den@s.test">Walt</ScreenName>` +
      `</CreateGroupRequest>`,
  },
  {
    mode: "Request",
    xml: `<AddGroupMemberRequest groupID="${G}">${META}<AddUsers><User userID="wv:bob@s.test"/>` +
      `<User userID="wv:walt@w.test"/></AddUsers></AddGroupMemberRequest>`,
  },
  {
    mode: "Request",
    xml: `<MemberAccessRequest groupID="${G}">${META}<Admins><User userID="wv:walt@w.test"/>` +
      `</Admins><Moderators/><OrdinaryUsers><User userID="wv:bob@s.test"/></OrdinaryUsers>` +
      `</MemberAccessRequest>`,
  },
  {
    mode: "Request",
    xml: `<RejectListRequest groupID="${G}">${META}<AddList><User userID="wv:eve@w.test"/>` +
      `</AddList><RemoveList><User userID="wv:bob@s.test"/></RemoveList></RejectListRequest>`,
  },
  {
    mode: "Request",
    xml: `<SendMessageRequest deliveryReport="No"><MetaInfo clientOriginated="Yes"><Requestor ` +
      `serviceID="wv:@w.test"><User userID="${W}"/></Requestor></MetaInfo><MessageInfo ` +
      `messageID="wc1" contentType="text/plain"><Recipient><User userID="wv:bob@s.test"/>` +
      `</Recipient><Sender><GroupID groupID="${W}"/><SenderDisplay><ScreenName groupID="${W}">` +
      `Walt</ScreenName></SenderDisplay></Sender></MessageInfo><ContentData ` +
      `contentType="text/plain" encoding="base64">${
        btoa("copy")
      }</ContentData></SendMessageRequest>`,
  },
  {
    mode: "Request",
    xml: `<GroupChangeNotice groupID="${W}">${META}<User userID="wv:bob@s.test"/><Joined><Name>` +
      `Walt</Name></Joined><Left><Name>Old</Name></Left></GroupChangeNotice>`,
  },
  {
    mode: "Request",
    xml: `<LeaveGroupIndication groupID="${W}">${META}<User userID="wv:bob@s.test"/>` +
      `<Status code="200"/><ReasonText>closing</ReasonText></LeaveGroupIndication>`,
  },
  {
    mode: "Request",
    xml: `<InviteRequest inviteID="wi1" inviteType="GR" validity="600">${META}<Inviting>` +
      `<User userID="wv:walt@w.test"/></Inviting><Invited><User userID="wv:bob@s.test"/>` +
      `</Invited><GroupID groupID="${W}"/><InviteNote>come</InviteNote><ScreenName ` +
      `groupID="${W}">Walt</ScreenName></InviteRequest>`,
  },
  {
    mode: "Request",
    xml: `<CancelInviteRequest inviteID="wi1">${META}<Canceling><User userID="wv:walt@w.test"/>` +
      `</Canceling><Canceled><User userID="wv:bob@s.test"/></Canceled><CancelNote>never mind` +
      `</CancelNote></CancelInviteRequest>`,
  },
  {
    mode: "Request",
    xml: `<InviteResponse inviteID="si1" acceptance="Yes">${META}<Inviting><User ` +
      `userID="wv:alice@s.test"/></Inviting><Responding><User userID="wv:walt@w.test"/>` +
      `</Responding><ResponseNote>sure</ResponseNote></InviteResponse>`,
  },
  {
    mode: "Response",
    xml: `<SendMessageResponse messageID="m0"><Status code="200"/></SendMessageResponse>`,
  },
];

/** Baraza's session transactions, re-addressed: the sending domain is the peer's, the other ours. */
async function capturedTransactions(): Promise<{ mode: "Request" | "Response"; xml: string }[]> {
  if (!await haveBarazaFixtures("SSP mutations of Baraza's captures", "README.md")) return [];
  const names = [...Deno.readDirSync(BARAZA_FIXTURES)]
    .map((e) => e.name).filter((n) => /^ssp-\d+-.*\.http$/.test(n)).sort();
  const transactions = [];
  for (const name of names) {
    const text = await readFixture(name);
    const t = text.match(/<Transaction [^>]*mode="(\w+)"[^>]*>([\s\S]*?)<\/Transaction>/);
    if (!t) continue; // the handshake's SetupTransactions
    const [peer, ours] = name.includes("-a2b-") ? ["a.test", "b.test"] : ["b.test", "a.test"];
    const xml = t[2].replaceAll(peer, "w.test").replaceAll(ours, "s.test");
    transactions.push({
      mode: t[1] === "Response" ? "Response" as const : "Request" as const,
      xml,
    });
  }
  return transactions;
}

Deno.test("mutated SSP transactions get 200 or a 4xx and break nothing; the session goes on", async () => {
  const captured = await capturedTransactions();
  const peerPort = await freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: peerPort });
  const serverPort = await freePort();
  const s = await startNode("s.test", serverPort, { peers: { "w.test": peerPort } });
  const failures: string[] = [];
  const logError = console.error;
  console.error = (...args: unknown[]) => failures.push(`logged: ${args.join(" ").slice(0, 300)}`);
  try {
    const [alice, bob] = await s.login("alice", "bob");
    await alice.send(
      `<CreateGroup-Request><GroupID>${G}</GroupID><GroupProperties><Property><Name>AccessType` +
        `</Name><Value>Open</Value></Property></GroupProperties></CreateGroup-Request>`,
    );
    const peer = await handshake(serverPort, listener);
    // What the server sends us on its connection is taken and answered, as a peer does.
    const draining = (async () => {
      for (;;) {
        await peer.in.next();
        await peer.in.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      }
    })().catch(() => {});
    let tid = 0;
    const send = async (mode: string, xml: string) => {
      const id = `f${++tid}`;
      const body = `<?xml version='1.0'?><WV-SSP-Message xmlns="${NS}"><Session sessionID=` +
        `"${peer.sessionId}"><Transaction mode="${mode}" transactionID="${id}">${xml}` +
        `</Transaction></Session></WV-SSP-Message>`;
      await peer.out.write(post(body, { "x-wv-transactionid": id, "x-wv-sessionid": "w1" }));
      const status = (await peer.out.next()).scan.status;
      if (status !== 200 && (status < 400 || status >= 500)) {
        failures.push(`${status} for ${xml.slice(0, 300)}`);
      }
    };

    const all = [...OWN_TRANSACTIONS, ...captured];
    const mutator = new Mutator(20261121, all.map((t) => t.xml));
    for (const { mode, xml } of all) await send(mode, xml);
    for (const { mode, xml } of OWN_TRANSACTIONS) {
      for (const variant of mutator.variants(xml)) await send(mode, variant);
    }
    for (let round = 0; round < 3; round++) {
      for (const { mode, xml } of captured) await send(mode, mutator.mutate(xml));
    }

    // Still in session: a plain message reaches bob.
    await send("Request", message("wm-last", "still here"));
    const arrived = await pollFor(bob, "NewMessage");
    assert.ok(arrived);
    let last = arrived;
    while (str(last.primitive.body.ContentData) !== "still here") {
      last = await pollFor(bob, "NewMessage");
    }
    peer.out.conn.close();
    peer.in.conn.close();
    await draining;
  } finally {
    console.error = logError;
    listener.close();
    await s.close();
  }
  assert.deepEqual(failures, []);
});
