import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { decodeCsp, decodeCspBytes, encodeCsp } from "../../src/codec/csp/envelope.ts";
import { encodeElement } from "../../src/codec/csp/element.ts";
import type { CspMessage, CspVersion } from "../../src/codec/csp/message.ts";
import { at } from "../support/body_reader.ts";
import { isKnownPrimitive } from "../../src/codec/csp/schema.ts";
import { NAMESPACES } from "../../src/codec/csp/versions.ts";
import { comparable, parse } from "./fixtures.ts";

const bytes = (xml: string) => new TextEncoder().encode(xml);

function message(version: CspVersion, session: string, transactions: string): string {
  const ns = NAMESPACES[version];
  return `<?xml version="1.0"?><WV-CSP-Message xmlns="${ns.csp}"><Session><SessionDescriptor>` +
    `<SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor>` +
    transactions.replaceAll("TRC", ns.trc) + session + `</Session></WV-CSP-Message>`;
}

const keepAlive = (id: string, poll = "") =>
  `<Transaction><TransactionDescriptor><TransactionMode>Response</TransactionMode>` +
  `<TransactionID>${id}</TransactionID>${poll}</TransactionDescriptor>` +
  `<TransactionContent xmlns="TRC"><KeepAlive-Response><Result><Code>200</Code></Result>` +
  `<KeepAliveTime>\n 600 \n</KeepAliveTime></KeepAlive-Response></TransactionContent></Transaction>`;

function roundTrips(xml: string): CspMessage {
  const msg = decodeCspBytes(bytes(xml));
  deepStrictEqual(comparable(parse(encodeCsp(msg))), comparable(parse(xml)));
  return msg;
}

Deno.test("1.1 keeps Poll in TransactionDescriptor", () => {
  const msg = roundTrips(message("1.1", "", keepAlive("t1", "<Poll>T</Poll>")));
  equal(msg.version, "1.1");
  equal(msg.transactions[0].poll, true);
  equal(msg.poll, undefined);
  const body = msg.transactions[0].primitive.body;
  equal(body.KeepAliveTime, 600);
  equal(at(body, "Result", "Code"), 200);
});

Deno.test("message-level poll is written where each version wants it", () => {
  const base = decodeCspBytes(bytes(message("1.2", "", keepAlive("t1"))));
  const v11 = encodeCsp({ ...base, version: "1.1", poll: true });
  ok(v11.includes("<TransactionID>t1</TransactionID><Poll>T</Poll></TransactionDescriptor>"));
  ok(!v11.includes("</Transaction><Poll>"));
  const v12 = encodeCsp({ ...base, poll: false });
  ok(v12.endsWith("</Transaction><Poll>F</Poll></Session></WV-CSP-Message>"));
});

Deno.test("1.2 and 1.3: Session Poll and CIR, several transactions", () => {
  const v12 = roundTrips(message("1.2", "<Poll>T</Poll>", keepAlive("a") + keepAlive("b")));
  equal(v12.poll, true);
  deepStrictEqual(v12.transactions.map((t) => t.transactionId), ["a", "b"]);
  const v13 = roundTrips(message("1.3", "<Poll>F</Poll><CIR>T</CIR>", keepAlive("c")));
  equal(v13.version, "1.3");
  equal(v13.poll, false);
  equal(v13.cir, true);
  deepStrictEqual(v13.transactions[0].contentAttrs, { xmlns: NAMESPACES["1.3"].trc });
});

Deno.test("empty TransactionID stays an empty string", () => {
  const polling = `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
    `<TransactionID/></TransactionDescriptor><TransactionContent xmlns="TRC"><Polling-Request/>` +
    `</TransactionContent></Transaction>`;
  const msg = roundTrips(message("1.2", "", polling));
  equal(msg.transactions[0].transactionId, "");
  deepStrictEqual(msg.transactions[0].primitive, { name: "Polling-Request", body: {} });
});

Deno.test("an unknown primitive decodes generically and round-trips", () => {
  const foo = `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
    `<TransactionID>x</TransactionID></TransactionDescriptor><TransactionContent xmlns="TRC">` +
    `<Foo-Request a="1"><Bar>one</Bar><Bar>two</Bar><Baz><Code>7</Code></Baz></Foo-Request>` +
    `</TransactionContent></Transaction>`;
  const { primitive } = roundTrips(message("1.3", "", foo)).transactions[0];
  equal(isKnownPrimitive(primitive.name), false);
  deepStrictEqual(primitive.body, {
    "@attrs": { a: "1" },
    Bar: ["one", "two"],
    Baz: { Code: 7 },
  });
});

Deno.test("unknown presence attributes and ExtBlocks are kept and re-emitted", () => {
  const update = `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
    `<TransactionID>u</TransactionID></TransactionDescriptor><TransactionContent xmlns="TRC">` +
    `<UpdatePresence-Request><PresenceSubList xmlns="${NAMESPACES["1.2"].pa}">` +
    `<OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue></OnlineStatus>` +
    `<StatusText><Qualifier>T</Qualifier><PresenceValue> away </PresenceValue></StatusText>` +
    `<Hobbies x="y"><Qualifier>T</Qualifier><Item>chess</Item></Hobbies>` +
    `</PresenceSubList></UpdatePresence-Request></TransactionContent>` +
    `<ExtBlock xmlns="urn:x">opaque</ExtBlock></Transaction>`;
  const msg = roundTrips(message("1.2", "", update));
  const list = msg.transactions[0].primitive.body.PresenceSubList;
  deepStrictEqual(at(list, "Hobbies"), { "@attrs": { x: "y" }, Qualifier: true, Item: "chess" });
  deepStrictEqual(at(list, "OnlineStatus"), [{ Qualifier: true, PresenceValue: "T" }]);
  deepStrictEqual(msg.transactions[0].extBlocks, [{
    "@attrs": { xmlns: "urn:x" },
    "#text": "opaque",
  }]);
});

Deno.test("encoding writes the version's namespaces and schema order", () => {
  const msg = decodeCsp(parse(message("1.2", "", keepAlive("t"))));
  msg.transactions[0].contentAttrs = { xmlns: "urn:wrong" };
  msg.transactions[0].primitive = {
    name: "UpdatePresence-Request",
    body: {
      PresenceSubList: {
        "@attrs": { xmlns: "" },
        StatusText: { PresenceValue: "x", Qualifier: true },
      },
    },
  };
  const xml = encodeCsp({ ...msg, version: "1.3" });
  ok(xml.includes(`<WV-CSP-Message xmlns="${NAMESPACES["1.3"].csp}">`));
  ok(xml.includes(`<TransactionContent xmlns="${NAMESPACES["1.3"].trc}">`));
  ok(xml.includes(
    `<PresenceSubList xmlns="${NAMESPACES["1.3"].pa}"><StatusText><Qualifier>T</Qualifier>` +
      `<PresenceValue>x</PresenceValue></StatusText></PresenceSubList>`,
  ));
  ok(!xml.includes("DOCTYPE"));
});

Deno.test("encodeElement escapes text and attributes; integers stay text unless canonical", () => {
  equal(
    encodeElement("ExtBlock", { "@attrs": { xmlns: 'a"<&\n' }, "#text": "x<y&z>" }),
    '<ExtBlock xmlns="a&quot;&lt;&amp;&#10;">x&lt;y&amp;z&gt;</ExtBlock>',
  );
  const decoded = decodeCsp(parse(message("1.2", "", keepAlive("t").replace("600", "0600"))));
  equal(decoded.transactions[0].primitive.body.KeepAliveTime, "0600");
});
