/** The CLP command set: what each typed SMS means, and replies that fit one SMS. */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { COMMANDS, parseCommand } from "../../../src/codec/clp/commands.ts";
import {
  messageSms,
  oneSms,
  presenceLine,
  shortGroup,
  shortUser,
} from "../../../src/codec/clp/format.ts";

Deno.test("commands are read in any case, short or long, with their arguments", () => {
  const cases: [string, ReturnType<typeof parseCommand>][] = [
    ["", { kind: "help" }],
    ["?", { kind: "help" }],
    ["help m", { kind: "help", topic: "m" }],
    ["on", { kind: "on" }],
    ["LOGOUT", { kind: "off" }],
    ["av", { kind: "availability", value: "AVAILABLE" }],
    ["Busy  in a meeting ", { kind: "availability", value: "DISCREET", text: "in a meeting" }],
    ["AWAY", { kind: "availability", value: "NOT_AVAILABLE" }],
    ["st", { kind: "status", text: "" }],
    ["status out for lunch", { kind: "status", text: "out for lunch" }],
    ["l", { kind: "list", page: 1 }],
    ["L 3", { kind: "list", page: 3 }],
    ["L x", { kind: "usage", command: "L" }],
    ["w bob", { kind: "who", target: "bob" }],
    ["add bob@other.example Bobby B", {
      kind: "add",
      target: "bob@other.example",
      nick: "Bobby B",
    }],
    ["a bob", { kind: "add", target: "bob" }],
    ["del bob", { kind: "remove", target: "bob" }],
    ["m bob  Hi Bob,\nhow  are you?", {
      kind: "message",
      target: "bob",
      text: "Hi Bob,\nhow  are you?",
    }],
    ["MSG #alice/chat hello", { kind: "message", target: "#alice/chat", text: "hello" }],
    ["m bob", { kind: "usage", command: "M" }],
    ["r ok", { kind: "reply", text: "ok" }],
    ["j #chat Bobby", { kind: "join", group: "#chat", nick: "Bobby" }],
    ["lv #chat", { kind: "leave", group: "#chat" }],
    ["g", { kind: "groups" }],
    ["y", { kind: "answer", accept: true }],
    ["Y12", { kind: "answer", accept: true, question: 12 }],
    ["no 3", { kind: "answer", accept: false, question: 3 }],
    ["n x", { kind: "usage", command: "N" }],
    ["hello there", { kind: "unknown", word: "hello" }],
  ];
  for (const [sms, command] of cases) deepStrictEqual(parseCommand(sms), command, sms);
});

Deno.test("no two commands share a name", () => {
  const names = COMMANDS.flatMap((c) => c.names);
  equal(new Set(names).size, names.length);
});

Deno.test("a reply is cut to one SMS: 160 GSM characters, or 70 with one outside GSM", () => {
  equal(oneSms("short"), "short");
  const long = oneSms("x".repeat(200));
  equal(long.length, 160);
  ok(long.endsWith(".."));
  const chinese = oneSms("中".repeat(100));
  equal([...chinese].length, 70);
});

Deno.test("a message is numbered over up to four SMS and cut after", () => {
  deepStrictEqual(messageSms("hi"), ["hi"]);
  const parts = messageSms("y".repeat(1000));
  equal(parts.length, 4);
  ok(parts.every((p, i) => p.startsWith(`${i + 1}/4 `) && p.length <= 160));
  ok(parts[3].endsWith(".."));
});

Deno.test("names are shown as typed: local users bare, groups with #", () => {
  equal(shortUser("wv:bob@example.com", "example.com"), "bob");
  equal(shortUser("wv:bob@other.test", "example.com"), "bob@other.test");
  equal(shortGroup("wv:alice/chat@example.com", "example.com"), "#alice/chat");
  equal(presenceLine("bob", undefined), "bob ?");
  equal(presenceLine("bob", { online: false, availability: "AVAILABLE" }), "bob off");
  equal(
    presenceLine("bob", { online: true, availability: "DISCREET", text: "x" }),
    'bob on, busy "x"',
  );
});
