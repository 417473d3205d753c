/** The PTS text syntax: preamble, quoting, groups, and what the reader refuses. */
import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { CspCodecError, decodeCsp } from "../../../src/codec/csp/envelope.ts";
import {
  decodePts,
  parsePts,
  PtsSyntaxError,
  quote,
  writePts,
} from "../../../src/codec/sms/mod.ts";

Deno.test("values are quoted when they hold a space, quote, comma, parenthesis, = or &", () => {
  equal(quote("plain"), "plain");
  equal(quote("wv:alice@example.com"), "wv:alice@example.com");
  for (const special of [" ", '"', ",", "(", ")", "=", "&"]) equal(quote(`a${special}b`)[0], '"');
  equal(quote('say "hi"'), '"say ""hi"""');
  equal(quote(""), '""');
  equal(quote("two\nlines"), '"two\nlines"');
});

Deno.test("a message reads into its preamble and parameters, and writes back the same", () => {
  const text = 'WV13st42 SI=abc ST=(200,"a ""b"", c") UI=(wv:a@x,wv:b@x) X=((p,"(1)"),(q,""))';
  const message = parsePts(text);
  deepStrictEqual(message, {
    version: "13",
    code: "ST",
    transactionId: "42",
    params: [
      ["SI", "abc"],
      ["ST", ["200", 'a "b", c']],
      ["UI", ["wv:a@x", "wv:b@x"]],
      ["X", [["p", "(1)"], ["q", ""]]],
    ],
  });
  equal(writePts(message), text.replace("st42", "ST42"));
});

Deno.test("the reader forgives extra spaces between parameters and a line break at the end", () => {
  deepStrictEqual(parsePts("WV12PO7  SI=abc \r\n").params, [["SI", "abc"]]);
});

Deno.test("broken text is refused with where reading stopped", () => {
  const broken: [string, RegExp][] = [
    ["", /preamble/],
    ["hello world", /preamble/],
    ["WV1LR7 UI=a", /preamble/],
    ["WV12LR UI=a", /preamble/],
    ["WV12LR1234 UI=a", /preamble/],
    ["WV12LR7ab UI=a", /segment/],
    ["WV12LR7 UI", /no value/],
    ["WV12LR7 UI=", /missing value/],
    ["WV12LR7 =a", /parameter name/],
    ["WV12LR7 PW=a=b", /must be quoted/],
    ["WV12LR7 PW=a&b", /must be quoted/],
    ['WV12LR7 PW="open', /unterminated quoted/],
    ['WV12LR7 PW="a"b', /expected a space/],
    ["WV12LR7 UI=(a,b", /unterminated group/],
    ['WV12LR7 UI=("a"b)', /"," or "\)"/],
    ["WV12LR7 9Z=x", /parameter name/],
    ["WV12LR7 UI=a,b", /outside a group/],
    [`WV12LR7 X=${"(".repeat(40)}a${")".repeat(40)}`, /too deep/],
    [`WV12LR7 X=(${"a,".repeat(9000)}a)`, /too many values/],
    [`WV12LR7 X=${"a".repeat(70_000)}`, /longer than/],
  ];
  for (const [text, reason] of broken) {
    throws(
      () => parsePts(text),
      (e: Error) => e instanceof PtsSyntaxError && reason.test(e.message),
      text,
    );
  }
});

Deno.test("a message that reads but makes no primitive is a CSP error of its transaction", () => {
  const cases = [
    "WV12QQ7 SI=abc",
    "WV12ST7 SI=(a,b)",
    "WV12SB7 PS=((1,2,3,4,5))",
    "WV12LM7 AN=(a,(b))",
    "WV12CP7 CA=(CT)",
    "WV12SM7 MI=((CY))",
    'WV12SM7 MI=(("x y",1))',
  ];
  for (const text of cases) {
    throws(() => decodeCsp(decodePts(text)), (e: unknown) => {
      return e instanceof CspCodecError && e.status === 400 && e.transactionId === "7" &&
        e.version === "1.2";
    }, text);
  }
});

Deno.test("version XX is version discovery, read as 1.2 and written back as XX", () => {
  const message = decodeCsp(decodePts("WVXXVD0"));
  equal(message.version, "1.2");
  equal(message.transactions[0].primitive.name, "WV-CSP-VersionDiscovery-Request");
});
