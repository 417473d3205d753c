/**
 * Hostile PTS: random text and mutations of real messages are refused as PTS or CSP errors,
 * never anything else; what reads writes back without error. Seeded, so a failure replays.
 */
import { fail } from "node:assert/strict";
import { CspCodecError, decodeCsp } from "../../../src/codec/csp/envelope.ts";
import {
  decodePts,
  encodePts,
  PtsEncodeError,
  PtsSyntaxError,
} from "../../../src/codec/sms/mod.ts";

const SAMPLES = [
  "WV12LR1 CI=JiMMY SH=SHA SH=MD5 TL=7205 SC=1234567-42 UI=wv:alice@example.com",
  "WV12CP4 SI=abc CA=((CT,MP),(PS,262144),(MT,1),(ID,P),(PM,30),(SB,HTTP),(SC,ST),(SC,SS))",
  "WV12SQ5 SI=abc RF=(FF,PF,IF,GE) AR=T",
  'WV12UP17 SI=abc UV=((OS,T,T),(UA,T,AV),(CF,T,((CT,MP),(CP,x))),(ST,T,"Out for lunch"))',
  'WV12LM11 SI=abc AN=((Bob,wv:bob@example.com)) RL=F CP=((DN,"My friends")) CL=wv:a/f@x',
  'WV12PN7 SI=abc PR=((wv:bob@x,((OS,T,T),(UA,T,DI))),(wv:carol@x,((OS,F,""))))',
  'WV12SM3 SI=abc MI=((CY,text/plain),(RE,((UI,wv:bob@x),(GR,wv:a/chat@x)))) CD="Hi, ""you"""',
  "WV12QS5 SI=abc NF=((FF,(VerifyIDFunc))) AF=((FF,((ServiceFunc,(GETSPI)))),IF)",
  "WV12ST998 SI=abc ST=(900,Errors,(DetailedResult,((Code,532),(UI,wv:x@y))))",
];
const ALPHABET = 'WV0123456789XYZabz ()",=&\\\n\t\u00e9\u{1F600}PSRLTUICAFO';

/** A small deterministic generator (mulberry32). */
function random(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, next: () => number): string {
  const pick = (s: string) => s[Math.floor(next() * s.length)];
  const at = Math.floor(next() * (text.length + 1));
  switch (Math.floor(next() * 5)) {
    case 0:
      return text.slice(0, at) + pick(ALPHABET) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1);
    case 2:
      return text.slice(0, at);
    case 3:
      return text.slice(0, at) + text.slice(at, at + 20).repeat(3) + text.slice(at);
    default:
      return text.slice(0, at) + pick(ALPHABET) + text.slice(at + 1);
  }
}

/** Reads and writes back; anything thrown but the codec's own errors fails the test. */
function survive(text: string): void {
  try {
    const message = decodeCsp(decodePts(text));
    try {
      encodePts(message);
    } catch (e) {
      if (!(e instanceof PtsEncodeError)) throw e;
    }
  } catch (e) {
    if (e instanceof PtsSyntaxError || e instanceof CspCodecError) return;
    fail(`${JSON.stringify(text)}: ${e instanceof Error ? e.stack : e}`);
  }
}

Deno.test("20,000 mutations of real messages are read or refused, never crash", () => {
  const next = random(26);
  for (let i = 0; i < 20_000; i++) {
    let text = SAMPLES[i % SAMPLES.length];
    for (let n = 1 + Math.floor(next() * 4); n > 0; n--) text = mutate(text, next);
    survive(text);
  }
});

Deno.test("random text after a valid preamble is read or refused, never crash", () => {
  const next = random(2026);
  for (let i = 0; i < 5_000; i++) {
    let tail = "";
    for (let n = Math.floor(next() * 60); n > 0; n--) {
      tail += ALPHABET[Math.floor(next() * ALPHABET.length)];
    }
    survive(`WV12${["SM", "UP", "PN", "LR", "CP", "QS"][i % 6]}7 ${tail}`);
  }
});
