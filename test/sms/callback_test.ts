/** Kannel's sms-service callback, the user data header, and who may call back. */
import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { portUdh, readUdh } from "../../src/codec/sms/udh.ts";
import { readCallback, smsText } from "../../src/transport/sms/callback.ts";
import { AddressList } from "../../src/util/address_list.ts";

const base = "http://imps.test/sms?secret=s";

Deno.test("a post-url callback: query fields as bytes, the body as the message", () => {
  const sms = readCallback(
    new URL(`${base}&from=%2B447700900001&to=4242&udh=%06%05%04%0E%06%0E%06&coding=1`),
    "application/octet-stream",
    Uint8Array.of(0x57, 0x56, 0xc3, 0xa9),
  );
  ok(typeof sms === "object");
  equal(sms.from, "+447700900001");
  equal(sms.to, "4242");
  equal(sms.coding, 1);
  deepStrictEqual([...sms.udh], [6, 5, 4, 0x0e, 6, 0x0e, 6]);
  deepStrictEqual(readUdh(sms.udh), { destinationPort: 3590, sourcePort: 3590 });
  equal(smsText(sms), "WVé");
});

Deno.test("text comes in the charset Kannel names; UCS-2 as UTF-16BE", () => {
  const utf8 = readCallback(
    new URL(`${base}&from=123456&coding=0`),
    'text/plain; charset="UTF-8"',
    new TextEncoder().encode("m bob héllo"),
  );
  ok(typeof utf8 === "object");
  equal(smsText(utf8), "m bob héllo");
  const ucs2 = readCallback(
    new URL(`${base}&from=123456&coding=2`),
    "text/plain",
    Uint8Array.of(0, 0x68, 0x4e, 0x2d),
  );
  ok(typeof ucs2 === "object");
  equal(smsText(ucs2), "h中");
  const get = readCallback(new URL(`${base}&from=123456&text=on+now`), undefined, new Uint8Array());
  ok(typeof get === "object");
  equal(smsText(get), "on now");
});

Deno.test("a callback without a sender is not an SMS", () => {
  equal(typeof readCallback(new URL(base), "text/plain", new Uint8Array()), "string");
});

Deno.test("headers that cannot be read are read as far as they go", () => {
  deepStrictEqual(readUdh(new Uint8Array()), {});
  deepStrictEqual(readUdh(Uint8Array.of(5, 0, 3, 1, 2, 1)), {});
  deepStrictEqual(readUdh(Uint8Array.of(200, 5, 4, 0x0b)), {});
  deepStrictEqual(readUdh(Uint8Array.of(4, 4, 2, 0x10, 0x20)), {
    destinationPort: 16,
    sourcePort: 32,
  });
  deepStrictEqual(readUdh(portUdh(2948, 9200)), { destinationPort: 2948, sourcePort: 9200 });
});

Deno.test("allow-lists of addresses and networks, IPv4 and IPv6", () => {
  const list = new AddressList(["127.0.0.1", "10.1.0.0/16", "::1", "fd00::/8"]);
  ok(list.includes("127.0.0.1"));
  ok(list.includes("10.1.200.3"));
  ok(!list.includes("10.2.0.1"));
  ok(list.includes("::1"));
  ok(list.includes("fd12:3456::1"));
  ok(list.includes("::ffff:127.0.0.1"));
  ok(!list.includes("fe80::1"));
  ok(!list.includes(undefined));
  ok(!list.includes("not-an-address"));
  ok(new AddressList([]).empty);
  throws(() => new AddressList(["10.0.0.0/33"]));
  throws(() => new AddressList(["example.com"]));
});
