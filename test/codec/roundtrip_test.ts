import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { decodeCsp, encodeCsp } from "../../src/codec/csp/envelope.ts";
import { isKnownPrimitive } from "../../src/codec/csp/schema.ts";
import { at, items } from "../support/body_reader.ts";
import { XmlError } from "../../src/codec/xml/tree.ts";
import { comparable, type Fixture, haveShared, parse, readFixtures } from "./fixtures.ts";

/** Baraza request files that are deliberately not well-formed (README: 070). */
const NOT_WELL_FORMED = new Set(["070-error-not-wellformed.request.xml"]);

function roundTrip(fixture: Fixture): void {
  const tree = parse(fixture.bytes);
  const xml = encodeCsp(decodeCsp(tree));
  ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><WV-CSP-Message '), fixture.name);
  deepStrictEqual(comparable(parse(xml)), comparable(tree), fixture.name);
}

/** Round-trips every fixture, reporting all failures at once rather than the first. */
function roundTripAll(fixtures: Fixture[]): number {
  const failures: string[] = [];
  for (const fixture of fixtures) {
    try {
      roundTrip(fixture);
    } catch (e) {
      failures.push(`${fixture.name}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
    }
  }
  deepStrictEqual(failures, []);
  return fixtures.length;
}

Deno.test({
  name: "all 116 CSP 1.1 spec examples round-trip to equivalent XML",
  ignore: !haveShared,
  fn() {
    const fixtures = readFixtures("csp11-spec-examples/xml/");
    equal(fixtures.length, 116);
    equal(roundTripAll(fixtures), 116);
  },
});

Deno.test({
  name: "every well-formed Baraza XML fixture round-trips (broken DOCTYPE included)",
  ignore: !haveShared,
  fn() {
    const nonEmpty = readFixtures("baraza/").filter((f) => f.bytes.length > 0);
    const wellFormed = nonEmpty.filter((f) => !NOT_WELL_FORMED.has(f.name));
    ok(wellFormed.length > 150);
    roundTripAll(wellFormed);
    for (const fixture of nonEmpty.filter((f) => NOT_WELL_FORMED.has(f.name))) {
      throws(() => parse(fixture.bytes), XmlError, fixture.name);
    }
  },
});

Deno.test({
  name: "spec and Baraza fixtures decode into their typed form",
  ignore: !haveShared,
  fn() {
    const byName = new Map(
      [...readFixtures("csp11-spec-examples/xml/"), ...readFixtures("baraza/")]
        .map((f) => [f.name, f]),
    );
    const primitive = (name: string) => {
      const msg = decodeCsp(parse(byName.get(name)!.bytes));
      return msg.transactions[0].primitive;
    };

    const status = primitive("wv-001.xml").body;
    equal(at(status, "Result", "Code"), 201);
    equal(items(status, "Result", "DetailedResult").length, 2);
    deepStrictEqual(at(status, "Result", "DetailedResult", 0, "UserID"), [
      "wv:bad_user1@im.com",
      "wv:bad_user2@im.com",
    ]);

    const capabilities = primitive("wv-011.xml").body;
    deepStrictEqual(at(capabilities, "CapabilityList", "SupportedBearer"), ["SMS", "WSP", "HTTP"]);
    equal(at(capabilities, "CapabilityList", "ParserSize"), 32767);

    // Baraza wraps every value in newlines; decoding trims them.
    const login = primitive("002-login-password.request.xml");
    equal(login.name, "Login-Request");
    equal(login.body.UserID, "wv:alice@a.test");
    equal(typeof login.body.TimeToLive, "number");

    const notification = primitive("015-poll-presencenotification-initial.response.xml").body;
    deepStrictEqual(at(notification, "Presence", 0, "PresenceSubList", 0, "@attrs"), {
      xmlns: "http://www.openmobilealliance.org/DTD/WV-PA1.2",
    });

    const unknown = primitive("068-error-unknown-primitive.request.xml");
    equal(unknown.name, "Foo-Request");
    equal(isKnownPrimitive(unknown.name), false);
  },
});
